"""`lapas doctor`: the health report a technician reads, as text and as one JSON object."""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from kiosk import config

KEYS = {"device_id", "facility_id", "role", "schema_version", "pending_events", "oldest_pending_age_s",
        "last_sync", "disk_free_mb", "devices", "ok"}


class Health(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        body = b'{"ok": true}'
        self.send_response(200 if self.path == "/v1/health" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_json_report_has_the_keys_and_is_ok(device_dir, run_lapas):
    proc = run_lapas("doctor", "--data-dir", str(device_dir), "--json", "--no-hq")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rep = json.loads(proc.stdout)
    assert KEYS <= rep.keys()
    assert rep["ok"] is True and rep["pending_events"] == 1 and rep["role"] == "kiosk"
    assert rep["oldest_pending_age_s"] >= 0 and rep["disk_free_mb"] > 0


def test_unreachable_printer_makes_it_not_ok(device_dir, run_lapas):
    cfg = config.load(device_dir)
    cfg.printer.port = "/dev/ttyUSB-not-there"
    config.save(cfg)
    proc = run_lapas("doctor", "--data-dir", str(device_dir), "--json", "--no-hq")
    assert proc.returncode == 1
    rep = json.loads(proc.stdout)
    assert rep["ok"] is False
    assert rep["devices"]["printer"]["reachable"] is False
    assert any("printer" in p for p in rep["problems"])
    text = run_lapas("doctor", "--data-dir", str(device_dir), "--no-hq")
    assert text.returncode == 1 and "NOT OK" in text.stdout and "problem: printer" in text.stdout


def test_real_tty_and_real_hq_are_reachable(device_dir, run_lapas):
    master, slave = os.openpty()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        cfg = config.load(device_dir)
        cfg.scanner.port = os.ttyname(slave)
        cfg.hq.url = f"http://127.0.0.1:{server.server_address[1]}"
        config.save(cfg)
        rep = json.loads(run_lapas("doctor", "--data-dir", str(device_dir), "--json").stdout)
        assert rep["devices"]["scanner"]["reachable"] is True
        assert rep["hq"]["reachable"] is True and not rep["warnings"]
        assert rep["ok"] is True
    finally:
        server.shutdown()
        os.close(master)
        os.close(slave)


def test_hq_down_is_a_warning_not_a_failure(device_dir, run_lapas):
    cfg = config.load(device_dir)
    cfg.hq.url = "http://127.0.0.1:9"  # discard port: nothing listens
    config.save(cfg)
    proc = run_lapas("doctor", "--data-dir", str(device_dir), "--json")
    rep = json.loads(proc.stdout)
    assert proc.returncode == 0 and rep["hq"]["reachable"] is False
    assert any("not reachable" in w for w in rep["warnings"])
