"""Device health: identity, schema, outbox backlog, last sync, disk, configured devices, HQ reachability."""

from __future__ import annotations

import json
import os
import shutil
from typing import Any

import requests
import serial

from core import identity
from core.ids import parse_iso, utcnow
from kiosk.config import Config
from kiosk.store import Store, migrations, outbox

MIN_DISK_FREE_MB = 100


def serial_reachable(port: str, baud: int) -> tuple[bool, str]:
    """Can the tty be opened right now? (A pty path or /dev/ttyUSB*; never blocks.)"""

    if not port:
        return False, "not configured"
    try:
        serial.serial_for_url(port, baudrate=baud, timeout=0).close()
        return True, ""
    except (serial.SerialException, OSError, ValueError) as exc:
        return False, str(exc)


def hq_reachable(url: str, timeout: float = 2.0) -> tuple[bool, str]:

    try:
        r = requests.get(url.rstrip("/") + "/v1/health", timeout=timeout)
        return r.status_code == 200, "" if r.status_code == 200 else f"HTTP {r.status_code}"
    except requests.RequestException as exc:
        return False, type(exc).__name__


def sync_status(store: Store) -> dict[str, Any]:
    raw = store.get_meta("sync_status")
    return json.loads(raw) if raw else {}


def report(cfg: Config, *, check_hq: bool = True) -> dict[str, Any]:
    problems: list[str] = []
    warnings: list[str] = []
    out: dict[str, Any] = {
        "device_id": cfg.device.device_id,
        "facility_id": cfg.device.facility_id,
        "role": cfg.device.role,
        "data_dir": str(cfg.data_dir),
    }
    key_ok = identity.exists(cfg.keys_dir)
    out["identity"] = {"key_present": key_ok}
    if key_ok:
        out["identity"]["key_id"] = identity.load(cfg.keys_dir).key_id
    else:
        problems.append("device key missing (run `lapas init`)")

    with Store(cfg.db_path, cfg.device.device_id) as store:
        out["schema_version"] = store.schema_version()
        out["schema_latest"] = migrations.latest_version()
        st = outbox.stats(store.conn)
        out["pending_events"] = st["pending"]
        out["sent_events"] = st["sent"]
        out["dead_letters"] = st["rejected"]
        oldest = st["oldest_pending_at"]
        out["oldest_pending_age_s"] = (
            round((utcnow() - parse_iso(oldest)).total_seconds(), 1) if oldest else 0
        )
        sync = sync_status(store)
        out["last_sync"] = sync.get("last_success")
        out["last_sync_error"] = sync.get("last_error")
        out["sync_failures"] = sync.get("failures") or 0  # failed cycles in a row (the backoff's count)
        out["next_sync_attempt"] = sync.get("next_attempt_at")
        ref_version = store.get_meta("reference_version")
        out["reference_version"] = int(ref_version) if ref_version else None
        out["reference_as_of"] = store.get_meta("reference_as_of")
    if out["schema_version"] != out["schema_latest"]:
        problems.append(f"schema version {out['schema_version']} != {out['schema_latest']}")
    if out["dead_letters"]:
        warnings.append(f"{out['dead_letters']} event(s) rejected by HQ (dead-lettered)")

    free_mb = shutil.disk_usage(cfg.data_dir).free // (1024 * 1024)
    out["disk_free_mb"] = free_mb
    if free_mb < MIN_DISK_FREE_MB:
        problems.append(f"only {free_mb} MB free on the data disk")

    devices: dict[str, Any] = {}
    for name, sec in (("printer", cfg.printer), ("scanner", cfg.scanner)):
        if sec.port:
            ok, err = serial_reachable(sec.port, sec.baud)
            devices[name] = {"port": sec.port, "baud": sec.baud, "reachable": ok, "error": err}
            if not ok:
                problems.append(f"{name} at {sec.port} not reachable: {err}")
        else:
            devices[name] = {"port": "", "configured": False, "reachable": False}
    out["devices"] = devices

    if check_hq:
        ok, err = hq_reachable(cfg.hq.url, timeout=min(2.0, cfg.hq.timeout_s))
        out["hq"] = {"url": cfg.hq.url, "reachable": ok, "error": err}
        if not ok:  # offline-first: the kiosk keeps working, so this is a warning, not a failure
            warnings.append(f"HQ {cfg.hq.url} not reachable ({err}); records queue locally")
    out["problems"] = problems
    out["warnings"] = warnings
    out["ok"] = not problems
    out["pid"] = os.getpid()
    return out
