"""Helpers for tests and benchmarks of sync/HQ: a real ``lapas hq serve`` process, enrolled devices,
queued events, and HQ-side look-ups. Everything speaks real HTTP on loopback with free ports.
"""

from __future__ import annotations

import functools
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.engine import make_url

from core import identity
from core.children import die_with_parent
from core.events import DeviceInitialised, ProbeRecorded, VisitCheckedIn, VisitRegistered
from hq.db import Database, open_db
from hq.enrolment import create_code
from hq.operators import add_facility
from hq.schema import events
from kiosk import config as config_mod
from kiosk.store import Store

ROOT = Path(__file__).resolve().parent.parent
# The test database, everywhere (tests and bench): LAPAS_TEST_PG, by default the machine's server, database `test`.
PG_BASE = os.environ.get("LAPAS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
PG_ADDR = make_url(PG_BASE)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@functools.cache
def pg_available() -> bool:
    """Whether the test PostgreSQL (``LAPAS_TEST_PG``) answers; asked once per process."""
    try:
        with socket.create_connection((PG_ADDR.host or "127.0.0.1", PG_ADDR.port or 5432), timeout=1):
            pass
        db = Database(PG_BASE)
        with db.engine.connect():
            pass
        db.dispose()
        return True
    except Exception:
        return False


def pg_required() -> bool:
    """CI sets ``LAPAS_REQUIRE_PG=1``: there an unreachable PostgreSQL fails its tests instead of skipping them."""
    return os.environ.get("LAPAS_REQUIRE_PG", "") not in ("", "0")


def require_pg() -> None:
    """Call first in every PostgreSQL test or fixture: skips it when the server is unreachable, or fails it when
    ``LAPAS_REQUIRE_PG=1``, so CI cannot go green by skipping."""
    if pg_available():
        return
    where = PG_ADDR.render_as_string(hide_password=True)
    if pg_required():
        pytest.fail(f"PostgreSQL at {where} is not reachable and LAPAS_REQUIRE_PG=1", pytrace=False)
    pytest.skip(f"PostgreSQL at {where} is not reachable (set LAPAS_TEST_PG to its URL)")


def pg_url(prefix: str = "t") -> str:
    """A PostgreSQL URL with a fresh schema (drop it with ``Database(url).drop_pg_schema()``)."""
    return f"{PG_BASE}?schema={prefix}_{uuid.uuid4().hex[:12]}"


class HQProcess:
    """``lapas hq serve`` as a real subprocess on a free loopback port."""

    def __init__(self, db_url: str, port: int | None = None, log_path: Path | None = None,
                 env: dict[str, str] | None = None, workers: int = 1):
        self.db_url, self.port, self.workers = db_url, port or free_port(), workers
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.env = env
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> HQProcess:
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **(self.env or {})}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "lapas", "hq", "serve", "--db", self.db_url, "--port", str(self.port),
             "--workers", str(self.workers)],
            stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env, preexec_fn=die_with_parent)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"hq serve exited with {self.proc.returncode}")
            try:
                if requests.get(self.url + "/v1/health", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError("hq serve did not become healthy")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> HQProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def ensure_facility(db: Database, facility_id: str, name: str = "Lapas Uji") -> None:
    from hq.operators import OperatorError

    try:
        with db.write() as conn:
            add_facility(conn, facility_id, name)
    except OperatorError:
        pass


def make_device(data_dir: Path, db: Database, hq_url: str, *, facility_id: str = "LPS-TEST",
                device_id: str | None = None, role: str = "kiosk", enroll: bool = True, **sync: Any) -> config_mod.Config:
    """An initialised device (config, key, store with its first event), enrolled at HQ over HTTP."""
    from sync.client import HQClient

    device_id = device_id or f"{role}-{uuid.uuid4().hex[:8]}"
    cfg = config_mod.from_dict({"device": {"facility_id": facility_id, "device_id": device_id, "role": role},
                                "hq": {"url": hq_url, "timeout_s": sync.pop("timeout_s", 5.0)},
                                "sync": sync}, data_dir)
    config_mod.save(cfg)
    key = identity.create(cfg.keys_dir)
    with Store(cfg.db_path, device_id) as store, store.transaction() as tx:
        tx.emit(DeviceInitialised(device_id, facility_id, role, key.public_b64))
    if enroll:
        ensure_facility(db, facility_id)
        with db.write() as conn:
            code, _ = create_code(conn, facility_id)
        client = HQClient(hq_url, device_id, key, timeout=10)
        try:
            client.enroll(code, role)
        finally:
            client.close()
    return cfg


def enqueue(cfg: config_mod.Config, n: int, *, kind: str = "probe", start: int = 0, per_tx: int = 1000) -> list[str]:
    """Queue ``n`` events on the device (``per_tx`` per transaction); returns their event ids in seq order."""
    ids: list[str] = []
    with Store(cfg.db_path, cfg.device.device_id) as store:
        done = 0
        while done < n:
            with store.transaction() as tx:
                for i in range(start + done, start + min(n, done + per_tx)):
                    ids.append(tx.emit(make_event(kind, i, cfg.device.facility_id,
                                                  cfg.device.device_id)).event_id)
            done = min(n, done + per_tx)
    return ids


def make_event(kind: str, i: int, facility_id: str, device_id: str = "dev"):
    """A probe, or (``visit``) a registration for even ``i`` and the check-in of that visit for odd ``i``."""
    if kind == "probe":
        return ProbeRecorded(f"p{i}", i, note="uji sinkronisasi")
    visit_id = f"v-{device_id}-{i}"
    if kind == "visit" and i % 2 == 1:
        return VisitCheckedIn(f"v-{device_id}-{i - 1}", facility_id, 2, "2026-11-29T02:00:00.000Z")
    return VisitRegistered(visit_id, facility_id, "2026-11-30", "P", f"P-{i:03d}", "walk_in", "inm-0001",
                           "3524011203900003", "Siti Aminah", "081234567890", "istri",
                           followers=[{"name": "Budi", "age": 9}], ticket="T" * 120)


def hq_events(db: Database, device_id: str) -> list[dict[str, Any]]:
    """HQ's stored events of one device, in the order HQ stored them."""
    with db.read() as conn:
        rows = conn.execute(select(events.c.event_id, events.c.seq, events.c.status, events.c.code)
                            .where(events.c.device_id == device_id).order_by(events.c.id))
        return [dict(r._mapping) for r in rows]


def outbox_states(cfg: config_mod.Config) -> dict[str, str]:
    from kiosk.store import connect

    conn = connect(cfg.db_path)
    try:
        return {r[0]: r[1] for r in conn.execute("SELECT event_id, state FROM outbox ORDER BY seq")}
    finally:
        conn.close()


def run_sync(cfg: config_mod.Config, *args: str, env: dict[str, str] | None = None,
             timeout: float = 120) -> subprocess.CompletedProcess:
    """``lapas sync --data-dir DIR ARGS`` as a real subprocess."""
    full = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    full.pop("LAPAS_HOME", None)
    return subprocess.run([sys.executable, "-m", "lapas", "sync", "--data-dir", str(cfg.data_dir), *args],
                          capture_output=True, text=True, timeout=timeout, env=full, cwd=ROOT)


def spawn_sync(cfg: config_mod.Config, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    full = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    full.pop("LAPAS_HOME", None)
    return subprocess.Popen([sys.executable, "-m", "lapas", "sync", "--data-dir", str(cfg.data_dir), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full, cwd=ROOT)


__all__ = ["HQProcess", "free_port", "pg_available", "pg_required", "require_pg", "pg_url", "make_device", "enqueue", "hq_events",
           "outbox_states", "run_sync", "spawn_sync", "open_db", "ensure_facility"]
