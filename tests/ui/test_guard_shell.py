"""The guard station opens on the waiting screen; maintenance is reachable the same way as on the kiosk."""

from __future__ import annotations

import pytest

from tests.conftest import init_device
from tests.support.harness import find_text, texts
from tests.ui.test_maintenance import open_pin_screen

pytestmark = pytest.mark.ui


def test_guard_station_waits_for_a_scan(start_app, tmp_path):
    from kiosk.ui.guard.app import GuardApp

    gdir = init_device(tmp_path / "guard", "--role", "guard")
    h = start_app(gdir, cls=GuardApp)
    h.settle()
    root = h.app.root
    assert h.app.sm.current == "gate"
    assert find_text(root, "Pindai tiket pengunjung.", exact=True), texts(root)
    h.screenshot("guard-gate")
    h.tap(find_text(root, "Ketik nomor tiket", exact=True))
    assert h.app.sm.current == "manual"
    h.screenshot("guard-manual")
    h.app.reset_to_home()
    h.pump(2)
    open_pin_screen(h)
