"""HQ projections: each accepted event updates HQ's read tables inside the ingest transaction.

A projection is registered for one event type with ``@projection("visit.registered")`` and called as
``fn(ctx, payload, meta)``. It returns ``None`` (accepted) or ``(code, message)`` to reject the event (the
event is still stored, with that outcome). A projection must check before it writes; whatever it wrote
stays part of the transaction. Modules listed in :data:`PROJECTION_MODULES` are imported on first use, so
another package (payments) adds its projections without editing this file.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from hq import reference
from hq.schema import cancellations, facilities, visits

PROJECTION_MODULES = ["hq.projections", "hq.payments.projections"]

Outcome = tuple[str, str] | None
ProjectionFn = Callable[["Context", dict[str, Any], dict[str, Any]], Outcome]
PROJECTIONS: dict[str, ProjectionFn] = {}
_loaded = False


@dataclass
class Context:
    """What a projection may use: the open connection, who sent the batch, and what it changed."""

    conn: Connection
    facility_id: str
    device_id: str
    now_iso: str
    today: str  # WIB date
    touched: set[str] = field(default_factory=set)  # reference sections to bump after the batch
    _locked: bool = False

    def lock_facility(self) -> None:
        """Serialise quota checks of this facility across concurrent batches (row lock on PostgreSQL;
        SQLite's write transaction is already exclusive)."""
        if not self._locked:
            self.conn.execute(select(facilities.c.id).where(facilities.c.id == self.facility_id).with_for_update())
            self._locked = True


def projection(event_type: str) -> Callable[[ProjectionFn], ProjectionFn]:
    def deco(fn: ProjectionFn) -> ProjectionFn:
        PROJECTIONS[event_type] = fn
        return fn
    return deco


def load_modules() -> dict[str, ProjectionFn]:
    global _loaded
    if not _loaded:
        for mod in PROJECTION_MODULES:
            try:
                importlib.import_module(mod)
            except ModuleNotFoundError as exc:
                if not (exc.name and (mod == exc.name or mod.startswith(exc.name + "."))):
                    raise
        _loaded = True
    return PROJECTIONS


def mask_nik(nik: str) -> str:
    """``3524********0003``: the first four and last four digits."""
    return nik[:4] + "*" * max(0, len(nik) - 8) + nik[-4:] if len(nik) > 8 else "*" * len(nik)


def nik_hash(nik: str) -> str:
    return hashlib.sha256(("lapas-nik:" + nik).encode()).hexdigest()[:32]


# -- visits ----------------------------------------------------------------------------------------


def quota_for(conn: Connection, facility_id: str, visit_date: str, session: str, kind: str) -> int | None:
    """The quota of (date, session, kind) from the facility's schedule; None when not scheduled."""
    sched = reference.get_doc(conn, facility_id, "schedule")
    try:
        weekday = str(date.fromisoformat(visit_date).isoweekday())
    except ValueError:
        return None
    for slot in sched.get("weekdays", {}).get(weekday, []):
        if slot.get("session") == session:
            key = "pre_registered_quota" if kind == "pre_registered" else "walk_in_quota"
            q = slot.get(key)
            return int(q) if isinstance(q, int) else None
    return None


@projection("visit.registered")
def visit_registered(ctx: Context, p: dict[str, Any], meta: dict[str, Any]) -> Outcome:
    conn = ctx.conn
    ctx.lock_facility()
    existing = conn.execute(select(visits.c.event_id).where(visits.c.visit_id == p["visit_id"])).first()
    if existing is not None and existing.event_id:
        return ("visit_conflict", f"visit {p['visit_id']} was already registered by another event")
    people = 1 + len(p.get("followers") or [])
    rejected: Outcome = None
    if p.get("provisional"):
        quota = quota_for(conn, ctx.facility_id, p["visit_date"], p["session"], p["kind"])
        if quota is not None:
            taken = conn.execute(
                select(func.count()).select_from(visits).where(
                    visits.c.facility_id == ctx.facility_id, visits.c.visit_date == p["visit_date"],
                    visits.c.session == p["session"], visits.c.kind == p["kind"],
                    visits.c.status != "cancelled", visits.c.event_id.is_not(None))
            ).scalar_one()
            if taken >= quota:
                rejected = ("quota_oversold",
                            f"session {p['session']} on {p['visit_date']} is full ({taken}/{quota} {p['kind']})")
    values = dict(
        facility_id=ctx.facility_id, device_id=ctx.device_id, event_id=meta["event_id"],
        visit_date=p["visit_date"], session=p["session"], queue_no=p["queue_no"], kind=p["kind"],
        inmate_id=p["inmate_id"], visitor_name=p["visitor_name"], nik_masked=mask_nik(p["visitor_nik"]),
        people=people, provisional=bool(p.get("provisional")),
        status="cancelled" if rejected else "registered",
    )
    if existing is None:
        conn.execute(insert(visits).values(visit_id=p["visit_id"], **values))
    else:  # a check-in arrived first (from the gate); fill in the registration
        conn.execute(update(visits).where(visits.c.visit_id == p["visit_id"]).values(**values))
    if rejected:
        conn.execute(insert(cancellations).values(
            visit_id=p["visit_id"], facility_id=ctx.facility_id, code=rejected[0], reason=rejected[1],
            created_at=ctx.now_iso))
        ctx.touched.add("cancelled_tickets")
    if p["visit_date"] == ctx.today:
        ctx.touched.add("visits_today")
    return rejected


def _gate_event(ctx: Context, p: dict[str, Any], column: str, inside_delta: int) -> Outcome:
    conn = ctx.conn
    row = conn.execute(
        select(visits.c.facility_id, visits.c.people_in).where(visits.c.visit_id == p["visit_id"])
    ).first()
    if row is None:  # the gate's event arrived before the kiosk's registration: keep it, fill in later
        conn.execute(insert(visits).values(
            visit_id=p["visit_id"], facility_id=ctx.facility_id, people=p["people"], status="registered",
            people_in=max(0, inside_delta * p["people"]), **{column: p["at"]}))
        return None
    if row.facility_id != ctx.facility_id:
        return ("wrong_facility", f"visit {p['visit_id']} belongs to facility {row.facility_id}")
    conn.execute(update(visits).where(visits.c.visit_id == p["visit_id"]).values(
        people_in=max(0, (row.people_in or 0) + inside_delta * p["people"]), **{column: p["at"]}))
    return None


@projection("visit.checked_in")
def visit_checked_in(ctx: Context, p: dict[str, Any], meta: dict[str, Any]) -> Outcome:
    return _gate_event(ctx, p, "checked_in_at", +1)


@projection("visit.checked_out")
def visit_checked_out(ctx: Context, p: dict[str, Any], meta: dict[str, Any]) -> Outcome:
    return _gate_event(ctx, p, "checked_out_at", -1)


def payload_json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
