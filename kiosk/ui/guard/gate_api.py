"""The guard station's calls into the visits core's gate (``kiosk.domain.gate``); blocking, db lane only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.ids import today_wib
from kiosk.domain import gate, queue


@dataclass
class Inside:
    count: int
    capacity: int
    over: bool


def judge(services, payload: str):
    """The verdict on a scanned ticket payload."""
    return gate.judge(services.store, services.cfg, payload)


def lookup(services, text: str):
    """Manual entry when a QR is damaged: a queue number (P-017) or part of a visit id.

    Returns ``(payload, verdict)`` like a scan; raises the domain's Refusal ``ticket_not_found``."""
    payload = gate.lookup(services.store, services.cfg, text)
    return payload, gate.judge(services.store, services.cfg, payload)


def check_in(services, payload: str):
    return gate.check_in(services.store, services.cfg, payload)


def check_out(services, visit_id: str) -> int:
    return gate.check_out(services.store, services.cfg, visit_id)


def inside(services) -> Inside:
    occ = gate.inside_count(services.store, today_wib())
    return Inside(occ.count, occ.capacity, occ.over)


def next_queue(services) -> str | None:
    """The next queue number to call (recorded as a QueueCalled event), or None when nobody waits."""
    return queue.call_next(services.store, services.cfg)


def verdict_fields(v) -> dict[str, Any]:
    """What the verdict screen shows, from the gate's Verdict."""
    session = f"{v.session_label} ({v.session})" if v.session_label else v.session
    return {
        "verdict": v.verdict, "reason": v.reason, "message": v.message,
        "visit_id": v.visit_id, "visitor": v.visitor_name, "nik": v.nik_masked, "inmate": v.inmate_name,
        "followers": [n for n in v.followers if n], "session": session, "queue_no": v.queue_no, "people": v.people,
    }
