"""``lapas demo``: the whole system on one machine, stopped by one Ctrl-C.

HQ (SQLite) on a free loopback port, the demo facility, a device enrolled with a one-time code, fresh demo
reference data (pre-registrations for today and tomorrow), the printer simulator (receipts as text + PNG), the
scanner simulator fed from a FIFO, the sync daemon, and the kiosk (or guard) window in this process.

Layout under the demo directory::

    hq.db               HQ database          kiosk/ or guard/   the device's data dir (lapas.toml, kiosk.db)
    receipts/           printed receipts     run/scan           FIFO: echo TICKET > run/scan "scans" it
    logs/*.log          each process's output
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from core.children import die_with_parent
from hq import operators
from hq.db import open_db
from kiosk import config
from kiosk.pin import hash_pin

log = logging.getLogger(__name__)
FACILITY = "LPS-DEMO"
FACILITY_NAME = "Lapas Kelas IIA Demo"
DEMO_PIN = "246810"
DEMO_GATEWAY_KEY = "SB-Mid-server-LAPASDEMO"  # the gateway simulator's default server key (demo only)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Demo:
    def __init__(self, root: Path, guard: bool = False, echo=print):
        self.root = root.resolve()
        self.guard = guard
        self.echo = echo
        self.role = "guard" if guard else "kiosk"
        self.device_dir = self.root / self.role
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self.logs = self.root / "logs"
        self.run_dir = self.root / "run"

    # -- helpers ------------------------------------------------------------------------------

    def lapas(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run([sys.executable, "-m", "lapas", *args], capture_output=True, text=True, timeout=120)
        if check and proc.returncode != 0:
            raise RuntimeError(f"lapas {' '.join(args)} failed: {proc.stderr.strip() or proc.stdout.strip()}")
        return proc

    def spawn(self, name: str, *args: str, stdin=None, first_line: bool = False) -> str:
        out = open(self.logs / f"{name}.log", "ab")
        proc = subprocess.Popen([sys.executable, "-u", "-m", "lapas", *args], stdin=stdin or subprocess.DEVNULL,
                                stdout=subprocess.PIPE if first_line else out, stderr=out, start_new_session=True,
                                preexec_fn=die_with_parent)
        self.procs.append((name, proc))
        if first_line:
            line = proc.stdout.readline().decode().strip()
            if not line:
                raise RuntimeError(f"{name} did not start; see {self.logs / (name + '.log')}")
            # keep draining its stdout into the log

            def drain():
                for chunk in iter(lambda: proc.stdout.read(4096), b""):
                    out.write(chunk)
                    out.flush()

            threading.Thread(target=drain, daemon=True).start()
            return line
        return ""

    # -- steps --------------------------------------------------------------------------------

    def start(self) -> None:
        for d in (self.root, self.logs, self.run_dir):
            d.mkdir(parents=True, exist_ok=True)
        db = str(self.root / "hq.db")
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        # payments (docs/payments.md): the QRIS gateway simulator on loopback; HQ charges through it
        gateway = self.spawn("gateway", "sim", "gateway", "--notify-url", f"{url}/v1/payments/notify",
                             first_line=True)
        os.environ.update(LAPAS_GATEWAY_URL=gateway, LAPAS_GATEWAY_SERVER_KEY=DEMO_GATEWAY_KEY)
        self.spawn("hq", "hq", "serve", "--db", db, "--port", str(port))
        self.wait_health(url)
        self.echo(f"HQ:        {url} (database {db})")
        self.lapas("hq", "facility", "add", FACILITY, "--name", FACILITY_NAME, "--capacity", "120",
                   "--db", db, check=False)
        self.lapas("hq", "payments", "demo", "--facility", FACILITY, "--db", db, check=False)
        self.echo(f"gateway:   {gateway} (pay a QR: lapas sim gateway pay-qris 'QRIS...' --url {gateway})")

        if not (self.device_dir / "lapas.toml").exists():
            self.lapas("init", "--data-dir", str(self.device_dir), "--role", self.role, "--facility", FACILITY,
                       "--device-id", f"{self.role}-demo", "--hq", url)
        code = self.lapas("hq", "enroll-code", "--facility", FACILITY, "--role", self.role, "--db", db).stdout.strip()
        self.lapas("enroll", "--hq", url, "--code", code.splitlines()[0], "--data-dir", str(self.device_dir))
        self.echo(f"device:    {self.device_dir} ({self.role}-demo, enrolled)")

        self.load_reference(db)

        receipts = self.root / "receipts"
        printer_tty = self.spawn("printer", "sim", "printer", "--out", str(receipts),
                                 "--link", str(self.run_dir / "printer.tty"), first_line=True)
        fifo = self.run_dir / "scan"
        if not fifo.exists():
            os.mkfifo(fifo)
        self._fifo_fd = os.open(fifo, os.O_RDWR)  # held open: writers never block, the sim never sees EOF
        scanner_tty = self.spawn("scanner", "sim", "scanner", "--stdin", "--link", str(self.run_dir / "scanner.tty"),
                                 stdin=self._fifo_fd, first_line=True)
        self.configure(printer_tty, scanner_tty)
        self.echo(f"printer:   {printer_tty} -> receipts in {receipts} (text and PNG)")
        self.echo(f"scanner:   {scanner_tty}; scan a ticket with:  echo 'TICKET-QR-TEXT' > {fifo}")
        self.spawn("sync", "sync", "--data-dir", str(self.device_dir))
        self.echo(f"sync:      daemon running (log {self.logs / 'sync.log'})")
        self.echo(f"maintenance: 5 taps on the emblem, PIN {DEMO_PIN}")

    def wait_health(self, url: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(url + "/v1/health", timeout=1).status_code == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"HQ did not answer at {url}; see {self.logs / 'hq.log'}")

    def load_reference(self, db: str) -> None:
        """Fresh demo reference data into HQ (so the daemon's pulls keep it) and straight into the device."""
        ref = self.root / "reference.json"
        made = self.lapas("reference", "demo", "--out", str(ref), "--facility", FACILITY, check=False)
        if made.returncode != 0:
            self.echo("reference: no demo reference data (the visits core's `lapas reference demo` is missing)")
            return
        doc = json.loads(ref.read_text(encoding="utf-8"))
        import_into_hq(db, doc)
        self.lapas("reference", "load", str(ref), "--data-dir", str(self.device_dir))
        self.echo(f"reference: {len(doc.get('inmates', []))} inmates, "
                  f"{len(doc.get('pre_registrations', []))} bookings (codes in {ref})")

    def configure(self, printer_tty: str, scanner_tty: str) -> None:

        cfg = config.load(self.device_dir)
        cfg.printer.port = str(self.run_dir / "printer.tty")
        cfg.scanner.port = str(self.run_dir / "scanner.tty")
        if not cfg.ui.maintenance_pin_hash:
            cfg.ui.maintenance_pin_hash = hash_pin(DEMO_PIN)
        config.save(cfg)

    def stop(self) -> None:
        for _name, proc in reversed(self.procs):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for name, proc in reversed(self.procs):
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop; killing it", name)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        if getattr(self, "_fifo_fd", None) is not None:
            os.close(self._fifo_fd)
            self._fifo_fd = None
        self.procs.clear()


def import_into_hq(db: str, doc: dict) -> None:
    """Put the demo snapshot's inmates, schedule, limits and bookings into HQ's tables."""
    hq = open_db(db)
    try:
        with hq.write() as conn:
            buf = io.StringIO()
            fields = ["id", "reg_no", "name", "block", "room", "code", "visitable", "status"]
            w = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore")
            w.writeheader()
            for inmate in doc.get("inmates", []):
                w.writerow({**inmate, "visitable": "true" if inmate.get("visitable", True) else "false"})
            operators.import_inmates(conn, FACILITY, buf.getvalue(), replace=True)
            if doc.get("schedule"):
                operators.set_schedule(conn, FACILITY, doc["schedule"])
            if doc.get("limits"):
                operators.set_limits(conn, FACILITY, doc["limits"])
            if doc.get("pre_registrations"):
                operators.import_pre_registrations(conn, FACILITY, doc["pre_registrations"])
    finally:
        hq.dispose()
