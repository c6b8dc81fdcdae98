"""The daemon never dies and comes back fast: a locked device database, HQ returning mid-backoff, the backlog HQ
shows after a drain, and the status `lapas doctor` reads."""

from __future__ import annotations

import json
import sqlite3
import time

from sqlalchemy import select

from hq.schema import devices
from kiosk import config as config_mod
from kiosk.store import Store
from tests.support.hqproc import (
    HQProcess,
    enqueue,
    free_port,
    hq_events,
    make_device,
    outbox_states,
    spawn_sync,
)


def _wait(cond, timeout: float, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(step)
    return cond()


def _status(cfg) -> dict:
    with Store(cfg.db_path, cfg.device.device_id) as store:
        raw = store.get_meta("sync_status")
    return json.loads(raw) if raw else {}


def test_daemon_survives_a_write_lock_held_for_30_seconds(hq, tmp_path):
    db, proc = hq
    cfg = make_device(tmp_path / "dev", db, proc.url, batch_size=50, interval_s=0.5, backoff_base_s=0.5,
                      backoff_cap_s=2)
    enqueue(cfg, 20)
    daemon = spawn_sync(cfg)
    try:
        assert _wait(lambda: set(outbox_states(cfg).values()) == {"sent"}, 30)
        locker = sqlite3.connect(cfg.db_path, timeout=1)
        locker.execute("BEGIN IMMEDIATE")  # another writer holds the lock far past the 5 s busy timeout
        locker.execute("UPDATE meta SET value = value WHERE key = 'device_id'")
        time.sleep(30)
        assert daemon.poll() is None, daemon.stderr.read() if daemon.poll() is not None else ""
        locker.rollback()
        locker.close()
        enqueue(cfg, 10, start=20)  # new work after the lock is gone is still pushed
        assert _wait(lambda: set(outbox_states(cfg).values()) == {"sent"}, 30), outbox_states(cfg)
        assert daemon.poll() is None
    finally:
        daemon.terminate()
        _out, err = daemon.communicate(timeout=20)
    assert "local database busy" in err
    assert "Traceback" not in err
    assert len(hq_events(db, cfg.device.device_id)) == 31


def test_daemon_resumes_within_seconds_when_hq_returns_mid_backoff(hq, tmp_path):
    db, proc = hq
    port = free_port()
    cfg = make_device(tmp_path / "dev", db, proc.url, batch_size=50, backoff_base_s=60, backoff_cap_s=600,
                      probe_s=0.5)
    enqueue(cfg, 5)
    cfg = config_mod.load(cfg.data_dir)
    cfg.hq.url = f"http://127.0.0.1:{port}"  # HQ "down": nothing listens there yet
    config_mod.save(cfg)
    daemon = spawn_sync(cfg)
    try:
        assert _wait(lambda: (_status(cfg).get("failures") or 0) >= 1, 20)
        st = _status(cfg)
        assert st["last_error"]["code"] == "unreachable" and st["next_attempt_at"]
        with HQProcess(proc.db_url, port=port):  # HQ is back; the backoff had up to 60 s left
            t0 = time.monotonic()
            assert _wait(lambda: set(outbox_states(cfg).values()) == {"sent"}, 20), outbox_states(cfg)
            resumed = time.monotonic() - t0
    finally:
        daemon.terminate()
        _out, err = daemon.communicate(timeout=20)
    assert resumed < 10, resumed
    assert "HQ answers again" in err or "sync works again" in err, err
    assert err.count("HQ not reachable (network)") == 1  # said once, not once per failure


def test_hq_backlog_returns_to_zero_and_records_the_served_reference_version(hq, tmp_path):
    db, proc = hq
    cfg = make_device(tmp_path / "dev", db, proc.url, batch_size=100)
    enqueue(cfg, 250)
    daemon = spawn_sync(cfg, "--once")
    _out, err = daemon.communicate(timeout=60)
    assert daemon.returncode in (0, 1), err  # 1: the device has no reference data of its own yet
    with db.engine.connect() as conn:
        row = conn.execute(select(devices.c.backlog, devices.c.reference_version)
                           .where(devices.c.device_id == cfg.device.device_id)).one()
    assert row.backlog == 0
    assert row.reference_version is None or row.reference_version >= 1


def test_doctor_shows_the_next_attempt_and_the_failure_count(hq, tmp_path, run_lapas):
    db, proc = hq
    cfg = make_device(tmp_path / "dev", db, proc.url, backoff_base_s=30, backoff_cap_s=60)
    cfg = config_mod.load(cfg.data_dir)
    cfg.hq.url = f"http://127.0.0.1:{free_port()}"
    config_mod.save(cfg)
    daemon = spawn_sync(cfg)
    try:
        assert _wait(lambda: (_status(cfg).get("failures") or 0) >= 1, 20)
    finally:
        daemon.terminate()
        daemon.communicate(timeout=20)
    rep = json.loads(run_lapas("doctor", "--json", "--no-hq", "--data-dir", str(cfg.data_dir)).stdout)
    assert rep["sync_failures"] >= 1 and rep["next_sync_attempt"]
    text = run_lapas("doctor", "--no-hq", "--data-dir", str(cfg.data_dir)).stdout
    assert "sync_failures" in text and "next_sync_attempt" in text
