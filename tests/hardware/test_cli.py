"""The operator's commands, as real subprocesses: `lapas sim ...`, `lapas printer ...`, `lapas scanner listen`."""

from __future__ import annotations

import json
import sys

import zxingcpp
from PIL import Image

from hardware import samples
from hardware.simproc import SimProcess
from kiosk import config


def test_lapas_printer_test_prints_every_layout_into_lapas_sim_printer(tmp_path, run_lapas):
    out = tmp_path / "paper"
    with SimProcess([sys.executable, "-m", "lapas", "sim", "printer", "--out", str(out)]) as sim:
        assert sim.path.startswith("/dev/pts/")
        proc = run_lapas("printer", "test", "--port", sim.path, "--baud", "9600", "--data-dir", str(tmp_path / "none"))
        assert proc.returncode == 0, proc.stderr
        assert [line.split()[1] for line in proc.stdout.splitlines()] == list(samples.all_samples())
        texts = [sim.wait_for("receipt").split(" ", 2)[2] for _ in range(6)]
    titles = ["TIKET KUNJUNGAN", "BUKTI PENITIPAN UANG", "PESANAN KANTIN", "LABEL TITIPAN BARANG",
              "BUKTI PENGADUAN", "LAPORAN HARIAN"]
    for path, title in zip(texts, titles, strict=True):
        assert title in open(path).read(), (path, title)
    png = texts[0].replace(".txt", ".png")
    assert [r.text for r in zxingcpp.read_barcodes(Image.open(png))] == [samples.TICKET_QR]


def test_printer_status_exit_code_follows_the_printer(tmp_path, printer_sim, run_lapas):
    control = tmp_path / "control"
    control.write_text("paper_out=0\n")
    sim = printer_sim(control=control)
    ok = run_lapas("printer", "status", "--port", sim.path, "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["online"] is True
    control.write_text("paper_out=1\n")
    sim.wait_for("state paper_out=1")
    bad = run_lapas("printer", "status", "--port", sim.path)
    assert bad.returncode == 1 and "OFFLINE (paper_out" in bad.stdout
    gone = run_lapas("printer", "status", "--port", str(tmp_path / "nothing"))
    assert gone.returncode == 1 and "not connected" in gone.stdout


def test_reprint_and_log_commands_use_the_device_print_log(device_dir, printer_sim, run_lapas):
    sim = printer_sim()
    cfg = config.load(device_dir)
    cfg.printer.port = sim.path
    config.save(cfg)
    from kiosk.printing import PrintService
    from kiosk.store import Store

    store = Store(cfg.db_path, cfg.device.device_id)
    try:
        PrintService(cfg, store).print("parcel", samples.parcel(), ref="PKT-0042")
    finally:
        store.close()
    sim.wait_for("receipt")
    res = run_lapas("printer", "reprint", "--data-dir", str(device_dir))
    assert res.returncode == 0, res.stderr
    assert "reprinted parcel PKT-0042 as copy 1" in res.stdout
    assert "SALINAN" in open(sim.wait_for("receipt").split(" ", 2)[2]).read().replace(" ", "")
    log = run_lapas("printer", "log", "--data-dir", str(device_dir), "--json")
    rows = [json.loads(line) for line in log.stdout.splitlines()]
    assert [(r["kind"], r["copy_no"], r["state"]) for r in rows] == [("parcel", 1, "printed"), ("parcel", 0, "printed")]
    missing = run_lapas("printer", "reprint", "no-such-job", "--data-dir", str(device_dir))
    assert missing.returncode == 1 and "no print job no-such-job" in missing.stderr


def test_scanner_listen_prints_each_scanned_line(scanner_sim, run_lapas):
    sim = scanner_sim("TICKET-A", "TICKET-A", "TICKET-B")
    proc = run_lapas("scanner", "listen", "--port", sim.path, "--count", "2", "--timeout", "20")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["TICKET-A", "TICKET-B"]


def test_scanner_listen_without_port_is_a_clear_error(tmp_path, run_lapas):
    proc = run_lapas("scanner", "listen", "--data-dir", str(tmp_path))
    assert proc.returncode == 1 and "no scanner port" in proc.stderr


def test_lapas_sim_scanner_prints_its_path_first():
    with SimProcess([sys.executable, "-m", "lapas", "sim", "scanner", "X", "--exit-when-done"]) as sim:
        assert sim.path.startswith("/dev/pts/")
