"""Visit registration through the touch screen: happy path (<= 6 taps plus typing), refusals, booking codes,
printer failure mid-receipt. Needs the visits core (kiosk.domain)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT
from tests.support.harness import find_text, texts
from tests.ui.flows import assert_home_tiles_fit, prepare_demo, register_once, tile, visitable_inmates

pytestmark = pytest.mark.ui
pytest.importorskip("kiosk.domain.visits", reason="the visits core (issue 3) is not built yet")


def printer_sim(tmp_path, *extra):
    """`lapas sim printer` as a real process on a pty; returns (process, pty path, receipts dir)."""
    out = tmp_path / "receipts"
    proc = subprocess.Popen([sys.executable, "-m", "lapas", "sim", "printer", "--out", str(out), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT)
    return proc, proc.stdout.readline().decode().strip(), out


@pytest.fixture
def demo_kiosk(kiosk_dir):
    return kiosk_dir, prepare_demo(kiosk_dir)


def test_happy_path_in_six_taps_prints_the_ticket(start_app, demo_kiosk, tmp_path):
    data_dir, doc = demo_kiosk
    sim, pty, receipts = printer_sim(tmp_path)
    try:
        h = start_app(data_dir)
        h.app.cfg.printer.port = pty
        h.screenshot("home")
        assert len(h.app.sm.get_screen("home").ids.tiles.children) == 6  # visits and payments
        assert_home_tiles_fit(h)
        queue_no, qr = register_once(h, 0, doc=doc, shots=True)
        assert qr  # the ticket's signed payload is shown as a QR on the done screen
        assert h.taps <= 6, f"{h.taps} taps"
        deadline = time.monotonic() + 15
        while not list(receipts.glob("*.txt")) and time.monotonic() < deadline:
            time.sleep(0.1)
        text = "\n".join(p.read_text(encoding="utf-8") for p in receipts.glob("*.txt"))
        assert queue_no in "".join(text.split()) and "TIKET KUNJUNGAN" in text  # printed letter-spaced
        assert h.app.sm.current == "home"
        assert h.app.form.nik == ""  # nothing entered lingers
    finally:
        sim.terminate()


def test_invalid_nik_is_explained_and_does_not_advance(start_app, demo_kiosk):
    data_dir, _doc = demo_kiosk
    h = start_app(data_dir)
    h.tap(tile(h, "visit"))
    scr = h.app.sm.get_screen("visit_nik")
    h.type(scr.ids.keypad, "9907121508900001")  # 99 is no province
    h.screenshot("nik-invalid")
    assert scr.ids.nik.error and scr.help
    from tests.support.harness import find_key

    h.tap(find_key(scr.ids.keypad, "enter"), count=False)
    assert h.app.sm.current == "visit_nik"


def test_second_visit_same_nik_same_week_is_refused_in_indonesian(start_app, demo_kiosk):
    data_dir, doc = demo_kiosk
    h = start_app(data_dir)
    register_once(h, 0, doc=doc)
    with pytest.raises(AssertionError):
        register_once(h, 0, doc=doc, inmate_reg_no=visitable_inmates(doc)[5]["reg_no"])
    assert h.app.panel is not None, texts(h.app.root)
    h.screenshot("refusal-weekly-limit")
    assert h.app.panel.title == "Pendaftaran tidak dapat dilakukan"
    assert h.app.panel.message and h.app.panel.hint


def test_booking_code_redeemed_without_retyping(start_app, demo_kiosk):
    data_dir, doc = demo_kiosk
    from core.ids import today_wib

    booking = next(b for b in doc["pre_registrations"] if b["date"] == today_wib().isoformat()
                   and b.get("status", "booked") == "booked")
    h = start_app(data_dir)
    h.tap(tile(h, "booking"))
    scr = h.app.sm.get_screen("booking")
    h.type(scr.ids.keyboard, booking["booking_code"])
    h.screenshot("booking-typed")
    from tests.support.harness import find_key

    h.tap(find_key(scr.ids.keyboard, "enter"), count=False)
    h.settle(timeout=20)
    assert h.app.sm.current == "visit_done", h.app.panel and h.app.panel.message
    h.screenshot("booking-done")


def test_printer_unplugged_mid_receipt_keeps_the_visit_and_retry_prints(start_app, demo_kiosk, tmp_path):
    data_dir, doc = demo_kiosk
    sim, pty, _receipts = printer_sim(tmp_path, "--unplug-after", "300")
    h = start_app(data_dir)
    h.app.cfg.printer.port = pty
    try:
        register_once(h, 1, doc=doc, close_print_error=False)  # leaves the printer error panel open
    finally:
        if sim.poll() is None:
            sim.terminate()
    h.settle(timeout=20)
    assert h.app.sm.current == "visit_done"
    assert h.app.panel is not None and "Coba lagi" == h.app.panel.primary_text
    h.screenshot("printer-unplugged")
    saved = h.app.services.store.scalar("SELECT count(*) FROM outbox WHERE type = 'visit.registered'")
    assert saved == 1  # the record was safe before printing
    sim2, pty2, receipts2 = printer_sim(tmp_path / "second")
    try:
        h.app.cfg.printer.port = pty2
        h.tap(find_text(h.app.panel, "Coba lagi", exact=True), count=False)
        h.settle(timeout=20)
        deadline = time.monotonic() + 15
        while not list(receipts2.glob("*.txt")) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert list(receipts2.glob("*.txt"))
        assert h.app.panel is None
    finally:
        sim2.terminate()
