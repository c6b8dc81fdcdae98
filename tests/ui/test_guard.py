"""Guard station verdicts for tickets fed through the real scanner simulator (a pty), check-in/out counts.
Needs the visits core (kiosk.domain.gate)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.support.harness import find_text
from tests.ui.flows import prepare_demo, register_once

pytestmark = pytest.mark.ui
pytest.importorskip("kiosk.domain.gate", reason="the visits core (issue 3) is not built yet")


def scanner_sim(*lines: str):
    """`lapas sim scanner` typing ``lines`` once a reader opens its pty; returns (process, pty path)."""
    proc = subprocess.Popen([sys.executable, "-m", "lapas", "sim", "scanner", "--interval", "1.0", *lines],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT)
    return proc, proc.stdout.readline().decode().strip()


def test_valid_forged_and_replayed_tickets_and_room_count(start_app, kiosk_dir):
    doc = prepare_demo(kiosk_dir)
    kiosk = start_app(kiosk_dir)
    _queue_no, ticket = register_once(kiosk, 0, doc=doc)
    kiosk.stop()
    assert ticket
    forged = ticket[:-3] + ("A" if ticket[-3] != "A" else "B") + ticket[-2:]

    from kiosk.ui.guard.app import GuardApp

    sim, pty = scanner_sim(ticket)
    try:
        h = start_app(kiosk_dir, cls=GuardApp)
        h.app.cfg.scanner.port = pty
        from hardware.scanner import ScannerReader

        h.app.scanner = ScannerReader(pty, 9600, "CR", on_line=h.app._line_from_scanner).start()
        h.wait(lambda: h.app.sm.current == "verdict", timeout=20, what="a verdict for the scanned ticket")
        h.settle()
        scr = h.app.sm.get_screen("verdict")
        assert scr.verdict == "VALID" and scr.headline == "SAH"
        h.screenshot("guard-valid")
        h.tap(scr.ids.check_in)
        h.settle()
        assert scr.done_text == "Sudah masuk."
        h.tap(scr.ids.close)
        gate = h.app.sm.get_screen("gate")
        h.settle()
        assert gate.inside_text.startswith("Di dalam: 1")
        h.app.scanned(ticket)  # the same ticket again: replay
        h.settle()
        assert scr.verdict == "ALREADY_INSIDE"
        h.screenshot("guard-replayed")
        h.tap(scr.ids.check_out)
        h.settle()
        h.tap(scr.ids.close)
        h.settle()
        assert gate.inside_text.startswith("Di dalam: 0")
        h.app.scanned(forged)
        h.settle()
        assert scr.verdict == "FORGED" and find_text(h.app.root, "TIKET PALSU", exact=True)
        h.screenshot("guard-forged")
    finally:
        sim.terminate()


def test_ticket_from_yesterday_is_refused_with_its_reason(start_app, kiosk_dir):
    """A ticket issued for yesterday (made through the visits core with yesterday's clock) is shown red."""
    from datetime import datetime, timedelta

    from core import identity
    from core.ids import WIB, today_wib
    from kiosk import config
    from kiosk.domain.visits import VisitRequest, register_visit
    from kiosk.store import Store
    from kiosk.ui.guard.app import GuardApp
    from tests.ui.flows import demo_nik, visitable_inmates

    doc = prepare_demo(kiosk_dir)
    cfg = config.load(kiosk_dir)
    yesterday = today_wib() - timedelta(days=1)
    then = datetime(yesterday.year, yesterday.month, yesterday.day, 13, 30, tzinfo=WIB)
    with Store(cfg.db_path, cfg.device.device_id) as store:
        visit = register_visit(store, cfg, identity.load(cfg.keys_dir), VisitRequest(
            visitor_nik=demo_nik(7), visitor_name="BUDI SANTOSO", visitor_phone="081234567899",
            relationship="sibling", inmate_query=visitable_inmates(doc)[7]["reg_no"], visit_date=yesterday,
            session="S"), now=then)
    h = start_app(kiosk_dir, cls=GuardApp)
    h.app.scanned(visit.ticket)
    h.settle()
    scr = h.app.sm.get_screen("verdict")
    assert scr.verdict in ("EXPIRED", "WRONG_DAY"), scr.verdict
    assert not scr.can_check_in and scr.reason
    h.screenshot("guard-expired")


def test_manual_entry_of_a_damaged_ticket_by_queue_number(start_app, kiosk_dir):
    """A guard types the queue number of a ticket whose QR will not scan and gets the same verdict screen."""
    from kiosk.ui.guard.app import GuardApp
    from tests.support.harness import find_key

    doc = prepare_demo(kiosk_dir)
    kiosk = start_app(kiosk_dir)
    queue_no, _ticket = register_once(kiosk, 1, doc=doc, followers=1)
    kiosk.stop()

    h = start_app(kiosk_dir, cls=GuardApp)
    h.settle()
    h.tap(find_text(h.app.root, "Ketik nomor tiket", exact=True))
    manual = h.app.sm.get_screen("manual")
    h.type(manual.ids.keyboard, "P-999")
    h.tap(find_key(manual.ids.keyboard, "enter"), count=False)
    h.settle()
    assert h.app.panel is not None and "P-999" in h.app.panel.message, h.app.panel and h.app.panel.message
    h.screenshot("guard-manual-not-found")
    h.app.panel.dismiss(animation=False)
    h.settle()

    manual.reset()
    h.type(manual.ids.keyboard, queue_no.replace("-", "").lower())  # typed loosely: s017
    h.screenshot("guard-manual-typed")
    h.tap(find_key(manual.ids.keyboard, "enter"), count=False)
    h.wait(lambda: h.app.sm.current == "verdict", timeout=10, what="the verdict for the typed number")
    h.settle()
    scr = h.app.sm.get_screen("verdict")
    assert scr.verdict == "VALID" and scr.headline == "SAH"
    shown = dict(scr.details)
    assert shown["Nomor antrean"].startswith(queue_no) and "2 orang" in shown["Nomor antrean"], shown
    assert shown["Pengikut"] == "ANAK A"
    label = doc["schedule"]["sessions"][queue_no[0]]["label"]
    assert shown["Sesi"].startswith(label), shown
    h.screenshot("guard-manual-valid")
    h.tap(scr.ids.check_in)
    h.settle()
    assert scr.done_text == "Sudah masuk."
