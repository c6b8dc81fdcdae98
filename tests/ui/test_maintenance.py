"""Maintenance mode: hidden gesture + PIN (hashed in config), lock-out after 5 wrong tries kept across restarts."""

from __future__ import annotations

import tomllib

import pytest

from tests.conftest import lapas
from tests.support.harness import find_text, texts

pytestmark = pytest.mark.ui
PIN = "482916"


def set_pin(data_dir, pin=PIN):
    lapas("maintenance", "set-pin", "--pin-stdin", "--data-dir", str(data_dir), input=pin + "\n", check=True)


def open_pin_screen(h):
    emblem = h.app.root.ids.emblem
    for _ in range(5):
        h.tap(emblem, count=False)
    assert h.app.sm.current == "maintenance_pin"


def enter_pin(h, pin):
    scr = h.app.sm.get_screen("maintenance_pin")
    h.type(scr.ids.keypad, pin)
    h.tap(scr.ids.keypad.ids.get("enter") or _enter(scr.ids.keypad), count=False)
    h.settle()


def _enter(pad):
    from tests.support.harness import find_key

    return find_key(pad, "enter")


def test_set_pin_stores_only_a_salted_hash(kiosk_dir):
    set_pin(kiosk_dir)
    text = (kiosk_dir / "lapas.toml").read_text()
    assert PIN not in text
    stored = tomllib.loads(text)["ui"]["maintenance_pin_hash"]
    assert stored.startswith("scrypt$")
    set_pin(kiosk_dir)  # same PIN again: a new salt, so a different hash
    assert tomllib.loads((kiosk_dir / "lapas.toml").read_text())["ui"]["maintenance_pin_hash"] != stored
    bad = lapas("maintenance", "set-pin", "--pin-stdin", "--data-dir", str(kiosk_dir), input="12ab\n")
    assert bad.returncode != 0 and "4 to 12 digits" in bad.stderr


def test_gesture_and_pin_open_device_health(start_app, kiosk_dir):
    set_pin(kiosk_dir)
    h = start_app(kiosk_dir)
    h.tap(h.app.root.ids.emblem, count=False)  # one tap does nothing
    assert h.app.sm.current == "home"
    open_pin_screen(h)
    h.screenshot("maintenance-pin")
    enter_pin(h, PIN)
    assert h.app.sm.current == "maintenance"
    h.settle(timeout=15)
    root = h.app.root
    for label in ("Printer", "Headquarters", "Records waiting to send", "Reference data"):
        from core.i18n import _

        assert find_text(root, _(label), exact=True), (label, texts(root))
    assert find_text(root, "belum diatur")  # no printer configured on this device
    h.screenshot("maintenance-health")
    h.tap(find_text(root, "Keluar dari perawatan", exact=True), count=False)
    assert h.app.sm.current == "home"


def test_five_wrong_pins_lock_maintenance_even_after_restart(start_app, kiosk_dir):
    set_pin(kiosk_dir)
    h = start_app(kiosk_dir)
    open_pin_screen(h)
    scr = h.app.sm.get_screen("maintenance_pin")
    for i in range(4):
        enter_pin(h, "000000")
        assert f"Sisa {4 - i} kali" in scr.message, scr.message
        assert h.app.sm.current == "maintenance_pin"
    enter_pin(h, "000000")
    assert "terkunci sampai" in scr.message, scr.message
    h.screenshot("maintenance-locked")
    enter_pin(h, PIN)  # the right PIN does not open while locked
    assert h.app.sm.current == "maintenance_pin" and "terkunci" in scr.message
    h.stop()

    h2 = start_app(kiosk_dir)  # a restart does not lift the lock
    open_pin_screen(h2)
    enter_pin(h2, PIN)
    scr2 = h2.app.sm.get_screen("maintenance_pin")
    assert h2.app.sm.current == "maintenance_pin" and "terkunci" in scr2.message

    lapas("maintenance", "unlock", "--data-dir", str(kiosk_dir), check=True)
    enter_pin(h2, PIN)
    assert h2.app.sm.current == "maintenance"
