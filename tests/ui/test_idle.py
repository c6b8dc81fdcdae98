"""Idle reset: a countdown, then home with everything entered wiped; a touch during the countdown keeps it.

The idle time leaves 3 s before the countdown so a loaded test machine's slow taps are not "idle"."""

from __future__ import annotations

import pytest

from tests.support.harness import find_text
from tests.ui.test_maintenance import open_pin_screen

pytestmark = pytest.mark.ui


def test_idle_countdown_then_home_and_data_wiped(start_app, kiosk_dir):
    h = start_app(kiosk_dir, ui={"idle_timeout_s": 6, "idle_countdown_s": 3})
    open_pin_screen(h)
    scr = h.app.sm.get_screen("maintenance_pin")
    h.type(scr.ids.keypad, "1234")
    assert scr.ids.pin.value == "1234"
    h.wait(lambda: h.app.idle.panel is not None, timeout=10, what="idle countdown")
    assert find_text(h.app.idle.panel, "Apakah Anda masih di sini?")
    assert h.app.idle.panel.seconds in (1, 2, 3)
    h.screenshot("idle-countdown")
    h.wait(lambda: h.app.sm.current == "home", timeout=10, what="idle reset to home")
    assert scr.ids.pin.value == ""
    assert h.app.idle.panel is None


def test_touch_during_countdown_keeps_the_data(start_app, kiosk_dir):
    h = start_app(kiosk_dir, ui={"idle_timeout_s": 6, "idle_countdown_s": 3})
    open_pin_screen(h)
    scr = h.app.sm.get_screen("maintenance_pin")
    h.type(scr.ids.keypad, "98")
    h.wait(lambda: h.app.idle.panel is not None, timeout=10, what="idle countdown")
    h.tap(find_text(h.app.idle.panel, "Lanjutkan", exact=True), count=False)
    assert h.app.idle.panel is None
    h.sleep(0.5)
    assert h.app.sm.current == "maintenance_pin" and scr.ids.pin.value == "98"
