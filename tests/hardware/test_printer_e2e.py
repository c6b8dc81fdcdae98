"""The print service end to end: ESC/POS over a real pty into the printer simulator (a real process).

What a user notices: the receipt comes out (text + a QR that scans to the ticket payload), a failure
says why, nothing is lost, and a reprint says SALINAN once the printer is back.
"""

from __future__ import annotations

import re
import signal
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from hardware import layouts, samples
from hardware.escpos_decode import decode
from hardware.printer import PrinterError, probe
from kiosk.printing import PrintService
from kiosk.store.printlog import PrintLog


def read_receipt(line: str) -> tuple[str, Path]:
    """('receipt'|'partial', txt path) from a simulator announcement line."""
    kind, _n, path = line.split(" ", 2)
    return kind, Path(path)


def paper(txt: Path, columns: int = 48):
    """The decoded receipt the simulator saved next to ``txt`` (styles, QR payloads)."""
    return decode(txt.with_suffix(".bin").read_bytes(), columns)[0]


def scan(png: Path) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(Image.open(png))]


def service(kiosk, port: str, **kw) -> PrintService:
    cfg, store = kiosk
    cfg.printer.port = port
    return PrintService(cfg, store, **kw)


def test_ticket_prints_and_its_qr_scans(kiosk, printer_sim):
    sim = printer_sim()
    svc = service(kiosk, sim.path)
    res = svc.print("ticket", samples.ticket(), ref="visit-1")
    kind, txt = read_receipt(sim.wait_for("receipt"))
    text = txt.read_text()
    assert "TIKET KUNJUNGAN" in text and "P - 0 1 7" in text and "3524********0003" in text
    assert scan(txt.with_suffix(".png")) == [samples.TICKET_QR]
    wire = txt.with_suffix(".bin").read_bytes()  # the job plus the status requests slipped in between chunks
    assert re.sub(rb"\x10\x04[\x01-\x04]", b"", wire) == layouts.render(samples.ticket(), svc.profile)
    job = svc.last_job()
    assert (job.job_id, job.state, job.ref, job.copy_no, job.attempts) == (res.job_id, "printed", "visit-1", 0, 1)
    assert res.bytes_sent == len(job.payload) and res.status.ok


def test_reprint_says_salinan_with_the_count(kiosk, printer_sim):
    sim = printer_sim()
    svc = service(kiosk, sim.path)
    first = svc.print("deposit", samples.deposit(), ref="DEP-20261129-0007")
    sim.wait_for("receipt")
    for n in (1, 2):
        res = svc.reprint("last")
        assert res.copy_no == n
        _kind, txt = read_receipt(sim.wait_for("receipt"))
        banner, when = paper(txt).lines[:2]
        assert banner.text.strip() == f"SALINAN #{n}" and banner.spans[0].width == 2 and banner.spans[0].invert
        assert when.text.startswith("Dicetak ulang ") and when.text.endswith(" WIB")
        assert "MENUNGGU KONFIRMASI" in txt.read_text()
        assert scan(txt.with_suffix(".png")) == [samples.DEPOSIT_QR]
    copies = [j for j in PrintLog(kiosk[1]).by_ref("DEP-20261129-0007") if j.copy_of]
    assert [(c.copy_of, c.copy_no, c.state) for c in copies] == [(first.job_id, 1, "printed"),
                                                                  (first.job_id, 2, "printed")]
    assert svc.reprint(copies[0].job_id).copy_no == 3  # reprinting a copy counts on the original


def test_paper_out_before_the_job_loses_nothing_and_reprint_works(kiosk, printer_sim, tmp_path):
    control = tmp_path / "control"
    control.write_text("paper_out=1\n")
    sim = printer_sim(control=control)
    sim.wait_for("state paper_out=1")
    svc = service(kiosk, sim.path)
    with pytest.raises(PrinterError) as err:
        svc.print("ticket", samples.ticket(), ref="visit-2")
    assert err.value.code == "paper_out"
    assert err.value.screen_text("id") == "Kertas printer habis. Silakan panggil petugas."
    assert "out of paper" in err.value.message
    job = PrintLog(kiosk[1]).get(err.value.job_id)
    assert (job.state, job.error_code, job.ref) == ("failed", "paper_out", "visit-2")
    assert [j.job_id for j in PrintLog(kiosk[1]).unprinted()] == [job.job_id]
    assert not list((tmp_path / "paper").glob("receipt-*")), "nothing may come out without paper"
    assert probe(sim.path, status_timeout_s=0.5).problem == "paper_out"

    control.write_text("paper_out=0\n")
    sim.wait_for("state paper_out=0")
    res = svc.reprint(job.job_id)
    _kind, txt = read_receipt(sim.wait_for("receipt"))
    assert paper(txt).lines[0].text.strip() == "SALINAN #1"
    assert scan(txt.with_suffix(".png")) == [samples.TICKET_QR]
    assert PrintLog(kiosk[1]).unprinted() == []
    assert res.copy_no == 1


def test_paper_runs_out_mid_receipt(kiosk, printer_sim, tmp_path):
    sim = printer_sim("--paper-out-after", "400")
    svc = service(kiosk, sim.path, chunk=128)
    with pytest.raises(PrinterError) as err:
        svc.print("ticket", samples.ticket(), ref="visit-3")
    assert err.value.code == "paper_out" and "of 1" in err.value.message  # "after N of 11xx bytes"
    kind, partial = read_receipt(sim.wait_for("partial"))
    assert kind == "partial" and "TIKET KUNJUNGAN" in partial.read_text()
    assert "[PAPER STOPPED HERE]" in partial.read_text()
    assert PrintLog(kiosk[1]).get(err.value.job_id).state == "failed"

    sim.signal(signal.SIGUSR1)  # paper refilled
    sim.wait_for("state paper_out=0")
    svc.reprint("last")
    _kind, txt = read_receipt(sim.wait_for("receipt"))
    assert scan(txt.with_suffix(".png")) == [samples.TICKET_QR]
    assert "Dicetak ulang" in txt.read_text()


def test_printer_unplugged_mid_receipt_then_back(kiosk, printer_sim, tmp_path):
    link = tmp_path / "ttyPRINTER"
    sim = printer_sim("--unplug-after", "500", link=link)
    svc = service(kiosk, str(link), chunk=128)
    with pytest.raises(PrinterError) as err:
        svc.print("deposit", samples.deposit(), ref="DEP-9")
    assert err.value.code in ("unplugged", "timeout")
    assert sim.proc.wait(5) == 3
    job_id = err.value.job_id
    with pytest.raises(PrinterError) as again:  # still unplugged: the port is gone
        svc.reprint(job_id)
    assert again.value.code == "unplugged"
    assert again.value.screen_text("id") == "Printer tidak terhubung. Silakan panggil petugas."

    back = printer_sim(link=link)  # plugged in again (same port name)
    res = svc.reprint(job_id)
    _kind, txt = read_receipt(back.wait_for("receipt"))
    assert res.copy_no == 2 and paper(txt).lines[0].text.strip() == "SALINAN #2"
    assert scan(txt.with_suffix(".png")) == [samples.DEPOSIT_QR]
    states = {j.copy_no: j.state for j in PrintLog(kiosk[1]).by_ref("DEP-9")}
    assert states == {0: "failed", 1: "failed", 2: "printed"}


def test_cover_open_and_offline_are_told_apart(kiosk, printer_sim, tmp_path):
    control = tmp_path / "control"
    control.write_text("cover_open=1\n")
    sim = printer_sim(control=control)
    sim.wait_for("state")
    svc = service(kiosk, sim.path)
    with pytest.raises(PrinterError) as err:
        svc.print("order", samples.order(), ref="ORD-1")
    assert err.value.code == "cover_open"
    control.write_text("cover_open=0\n")
    sim.wait_for("state paper_out=0 near_end=0 cover_open=0")
    sim.signal(signal.SIGUSR2)
    sim.wait_for("state paper_out=0 near_end=0 cover_open=0 offline=1")
    with pytest.raises(PrinterError) as err:
        svc.print("order", samples.order(), ref="ORD-1")
    assert err.value.code == "offline"
    sim.signal(signal.SIGUSR2)
    sim.wait_for("state paper_out=0 near_end=0 cover_open=0 offline=0")
    control.write_text("near_end=1\n")
    sim.wait_for("state paper_out=0 near_end=1")
    res = svc.print("order", samples.order(), ref="ORD-1")
    assert res.status.paper_near_end and res.status.ok  # a warning for the officer, not a failure
    sim.wait_for("receipt")


def test_printer_that_never_answers_status_is_printed_to_blind(kiosk, printer_sim, tmp_path):
    control = tmp_path / "control"
    control.write_text("status=0\n")
    sim = printer_sim(control=control)
    sim.wait_for("state")
    st = probe(sim.path, status_timeout_s=0.2)
    assert st.connected and not st.responded and st.ok
    svc = service(kiosk, sim.path)
    kiosk[0].printer.status_timeout_s = 0.2
    svc.print("complaint", samples.complaint(), ref="ADU-7Q2M-K9")
    _kind, txt = read_receipt(sim.wait_for("receipt"))
    assert "ADU-7Q2M-K9" in txt.read_text()


def test_no_port_or_missing_port_is_a_clear_error(kiosk, tmp_path):
    svc = service(kiosk, "")
    with pytest.raises(PrinterError) as err:
        svc.print("zreport", samples.zreport(), ref="2026-11-29")
    assert err.value.code == "not_configured"
    svc = service(kiosk, str(tmp_path / "no-such-tty"))
    with pytest.raises(PrinterError) as err:
        svc.print("zreport", samples.zreport(), ref="2026-11-29")
    assert err.value.code == "unplugged"
    assert len(PrintLog(kiosk[1]).unprinted()) == 2
    assert not probe(str(tmp_path / "no-such-tty")).connected


def test_58mm_profile_end_to_end(kiosk, printer_sim):
    sim = printer_sim(width=58)
    cfg, _ = kiosk
    cfg.printer.paper_width_mm = 58
    svc = service(kiosk, sim.path)
    svc.print("ticket", samples.ticket(), ref="visit-58")
    _kind, txt = read_receipt(sim.wait_for("receipt"))
    assert max(len(line) for line in txt.read_text().splitlines() if "[" not in line) <= 32
    assert scan(txt.with_suffix(".png")) == [samples.TICKET_QR]
    assert decode(txt.with_suffix(".bin").read_bytes(), 32)[0].find("P-017")
