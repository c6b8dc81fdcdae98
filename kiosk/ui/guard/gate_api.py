"""The guard station's calls into the visits core's gate (``kiosk.domain.gate``); blocking, db lane only."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from kiosk.ids import today_wib


def _gate():
    return importlib.import_module("kiosk.domain.gate")


def available() -> bool:
    try:
        gate = _gate()
    except ImportError:
        return False
    return all(hasattr(gate, n) for n in ("judge", "check_in", "check_out", "inside_count"))


def _get(obj: Any, *names: str, default: Any = None) -> Any:
    for n in names:
        if isinstance(obj, dict) and n in obj:
            return obj[n]
        if hasattr(obj, n):
            return getattr(obj, n)
    return default


@dataclass
class Inside:
    count: int
    capacity: int
    over: bool


def judge(services, payload: str):
    return _gate().judge(services.store, services.cfg, payload)


def lookup(services, text: str):
    """Manual entry when a QR is damaged: a queue number (P-017) or the start of a visit id."""
    gate = _gate()
    fn = getattr(gate, "lookup", None) or getattr(gate, "find_visit", None) or gate.judge_manual
    return fn(services.store, services.cfg, text.strip().upper() if "-" in text and len(text) < 8 else text.strip())


def check_in(services, visit_id: str):
    return _gate().check_in(services.store, services.cfg, visit_id)


def check_out(services, visit_id: str):
    return _gate().check_out(services.store, services.cfg, visit_id)


def inside(services) -> Inside:
    occ = _gate().inside_count(services.store, today_wib())
    return Inside(occ.count, occ.capacity, occ.over)


def next_queue(services):
    """The next queue number to call (and record the call as a QueueCalled event), or None."""
    gate = _gate()
    fn = getattr(gate, "call_next", None) or importlib.import_module("kiosk.domain.queue").call_next
    return fn(services.store, services.cfg)


def verdict_fields(v) -> dict[str, Any]:
    followers = _get(v, "followers", default=[]) or []
    names = [f if isinstance(f, str) else _get(f, "name", default="") for f in followers]
    return {
        "verdict": str(_get(v, "verdict", default="")), "reason": _get(v, "reason", "code", default=""),
        "message": _get(v, "message", default=""), "params": _get(v, "params", default={}) or {},
        "visit_id": _get(v, "visit_id", default=""), "visitor": _get(v, "visitor_name", default=""),
        "nik": _get(v, "nik_masked", default=""), "inmate": _get(v, "inmate_name", "inmate", default=""),
        "followers": [n for n in names if n], "session": _get(v, "session_label", "session", default=""),
        "queue_no": _get(v, "queue_no", default=""), "people": _get(v, "people", default=0),
    }
