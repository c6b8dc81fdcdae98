"""HQ projections: each accepted event updates HQ's read tables inside the ingest transaction.

A projection is registered for one event type with ``@projection("visit.registered")`` and called as
``fn(ctx, payload, meta)``. It returns ``None`` (accepted) or ``(code, message)`` to reject the event (the
event is still stored, with that outcome). A projection must check before it writes; whatever it wrote
stays part of the transaction. The payments' projections (``hq.payments.projections``) register the same
way; ``hq.ingest`` imports both modules.
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pydantic_core
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Connection

from core.privacy import mask_id
from hq import reference
from hq.db import pg_copy
from hq.schema import cancellations, facilities, visits

Outcome = tuple[str, str] | None
ProjectionFn = Callable[["Context", dict[str, Any], dict[str, Any]], Outcome]
PROJECTIONS: dict[str, ProjectionFn] = {}


@dataclass
class Context:
    """What a projection may use: the open connection, who sent the batch, the batch itself, and a place
    to keep batch-wide state (``state``) flushed by callbacks registered with :meth:`at_end`."""

    conn: Connection
    facility_id: str
    device_id: str
    now_iso: str
    today: str  # WIB date
    touched: set[str] = field(default_factory=set)  # reference sections to bump after the batch
    batch: list[dict[str, Any]] = field(default_factory=list)  # the new events, in seq order
    state: dict[str, Any] = field(default_factory=dict)
    _locked: bool = False
    _finishers: list[Callable[[], None]] = field(default_factory=list)

    def lock_facility(self) -> None:
        """Serialise quota checks of this facility across concurrent batches (row lock on PostgreSQL;
        SQLite's write transaction is already exclusive)."""
        if not self._locked:
            self.conn.execute(select(facilities.c.id).where(facilities.c.id == self.facility_id).with_for_update())
            self._locked = True

    def at_end(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` once after the batch's last projection (bulk writes of batch-wide state)."""
        self._finishers.append(fn)

    def finish(self) -> None:
        for fn in self._finishers:
            fn()
        self._finishers.clear()


def projection(event_type: str) -> Callable[[ProjectionFn], ProjectionFn]:
    def deco(fn: ProjectionFn) -> ProjectionFn:
        PROJECTIONS[event_type] = fn
        return fn
    return deco


def load_modules() -> dict[str, ProjectionFn]:
    """Every projection by event type: this module's and the payments' (``hq.payments.projections``, imported
    by ``hq.ingest`` so its handlers are registered before the first batch)."""
    return PROJECTIONS


def mask_nik(nik: str) -> str:
    """``3524********0003``: the first four and last four digits (any identity number: core.privacy.mask_id)."""
    return mask_id(nik)


def nik_hash(nik: str) -> str:
    return hashlib.sha256(("lapas-nik:" + nik).encode()).hexdigest()[:32]


# -- visits ----------------------------------------------------------------------------------------
# Visit projections keep the batch's visits in memory (one SELECT for all of them) and write them back with
# one executemany per kind of change at the end of the batch: per-statement overhead, not SQL, is what
# bounds ingest speed.

VISIT_TYPES = ("visit.registered", "visit.checked_in", "visit.checked_out")
_VISIT_COLS = [c.name for c in visits.c]
assert _VISIT_COLS[0] == "visit_id"
_SQLITE_INSERT_VISIT = f"INSERT INTO visits ({', '.join(_VISIT_COLS)}) VALUES ({', '.join('?' for _ in _VISIT_COLS)})"
_SQLITE_SELECT_VISITS = f"SELECT {', '.join(_VISIT_COLS)} FROM visits WHERE visit_id IN"
_SQLITE_UPDATE_VISIT = (f"UPDATE visits SET {', '.join(c + ' = ?' for c in _VISIT_COLS[1:])} "
                        "WHERE visit_id = ?")
_PG_COPY_VISITS = f"COPY visits ({', '.join(_VISIT_COLS)}) FROM STDIN"
_PG_TYPES = {"people": "integer", "people_in": "integer", "provisional": "boolean"}
_PG_ARRAYS = ", ".join("%s::" + _PG_TYPES.get(c, "text") + "[]" for c in _VISIT_COLS)
_PG_UPDATE_VISITS = (
    "UPDATE visits AS v SET " + ", ".join(f"{c} = d.{c}" for c in _VISIT_COLS[1:])
    + f" FROM unnest({_PG_ARRAYS}) AS d({', '.join(_VISIT_COLS)}) WHERE v.visit_id = d.visit_id")
_VISIT_TUPLE = operator.itemgetter(*_VISIT_COLS)  # a row dict -> its values in column order
_VISIT_UPDATE_TUPLE = operator.itemgetter(*_VISIT_COLS[1:], "visit_id")  # SET values, then the WHERE key
_NEW_VISIT = {c: None for c in _VISIT_COLS} | {"people": 1, "provisional": False, "status": "registered",
                                              "people_in": 0}
_UPDATE_VISIT = (update(visits).where(visits.c.visit_id == bindparam("b_visit_id"))
                 .values({c: bindparam(c) for c in _VISIT_COLS if c != "visit_id"}))


def _load_visits(conn: Connection, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The stored visits among ``ids``, as row dicts. SQLite: straight through the driver (SQLAlchemy's
    expanding ``IN`` costs more than the look-up)."""
    if conn.dialect.name != "sqlite":
        return {r.visit_id: dict(r._mapping) for r in conn.execute(select(visits).where(visits.c.visit_id.in_(ids)))}
    out = {}
    for r in conn.exec_driver_sql(f"{_SQLITE_SELECT_VISITS} ({', '.join('?' * len(ids))})", tuple(ids)):
        row = out[r[0]] = dict(zip(_VISIT_COLS, r, strict=True))
        row["provisional"] = bool(row["provisional"])
    return out


class VisitBatch:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        ids = sorted({e["payload"].get("visit_id") for e in ctx.batch if e["type"] in VISIT_TYPES} - {None})
        self.rows: dict[str, dict[str, Any]] = {}
        for i in range(0, len(ids), 500):
            self.rows.update(_load_visits(ctx.conn, ids[i:i + 500]))
        self.new: set[str] = set()
        self.dirty: set[str] = set()
        self.db_counts: dict[tuple, int] = {}
        ctx.at_end(self.flush)

    @classmethod
    def of(cls, ctx: Context) -> VisitBatch:
        vb = ctx.state.get("visits")
        if vb is None:
            vb = ctx.state["visits"] = cls(ctx)
        return vb

    def get(self, visit_id: str) -> dict[str, Any] | None:
        return self.rows.get(visit_id)

    def put(self, visit_id: str, values: dict[str, Any]) -> None:
        row = self.rows.get(visit_id)
        if row is None:
            row = self.rows[visit_id] = {**_NEW_VISIT, "visit_id": visit_id}
            self.new.add(visit_id)
        elif visit_id not in self.new:
            self.dirty.add(visit_id)
        row.update(values)

    def taken(self, visit_date: str, session: str, kind: str) -> int:
        """Registered, non-cancelled visits of (date, session, kind): stored before the batch plus this batch's."""
        key = (visit_date, session, kind)
        if key not in self.db_counts:
            self.db_counts[key] = self.ctx.conn.execute(
                select(func.count()).select_from(visits).where(
                    visits.c.facility_id == self.ctx.facility_id, visits.c.visit_date == visit_date,
                    visits.c.session == session, visits.c.kind == kind, visits.c.status != "cancelled",
                    visits.c.event_id.is_not(None), visits.c.visit_id.not_in(list(self.rows) or [""]))
            ).scalar_one()
        here = sum(1 for r in self.rows.values()
                   if r["event_id"] and r["status"] != "cancelled" and r["facility_id"] == self.ctx.facility_id
                   and (r["visit_date"], r["session"], r["kind"]) == key)
        return self.db_counts[key] + here

    def flush(self) -> None:
        conn = self.ctx.conn
        sqlite = conn.dialect.name == "sqlite"
        if self.new:
            if sqlite:  # the driver's executemany: SQLAlchemy's per-row parameter processing costs more
                conn.exec_driver_sql(_SQLITE_INSERT_VISIT, [_VISIT_TUPLE(self.rows[v]) for v in sorted(self.new)])
            elif conn.dialect.name == "postgresql":
                pg_copy(conn, _PG_COPY_VISITS, (_VISIT_TUPLE(self.rows[v]) for v in sorted(self.new)))
            else:
                conn.execute(insert(visits), [self.rows[v] for v in sorted(self.new)])
        if self.dirty:
            if sqlite:
                conn.exec_driver_sql(_SQLITE_UPDATE_VISIT, [_VISIT_UPDATE_TUPLE(self.rows[i]) for i in sorted(self.dirty)])
            elif conn.dialect.name == "postgresql":  # one statement over column arrays
                ids = sorted(self.dirty)
                conn.exec_driver_sql(_PG_UPDATE_VISITS, tuple([self.rows[i][c] for i in ids] for c in _VISIT_COLS))
            else:
                conn.execute(_UPDATE_VISIT, [{**{k: v for k, v in self.rows[i].items() if k != "visit_id"},
                                              "b_visit_id": i} for i in sorted(self.dirty)])
        self.new.clear()
        self.dirty.clear()


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
    vb = VisitBatch.of(ctx)
    existing = vb.get(p["visit_id"])
    if existing is not None and existing["event_id"]:
        return ("visit_conflict", f"visit {p['visit_id']} was already registered by another event")
    if existing is not None and existing["facility_id"] != ctx.facility_id:
        return ("wrong_facility", f"visit {p['visit_id']} belongs to facility {existing['facility_id']}")
    rejected: Outcome = None
    if p.get("provisional"):
        ctx.lock_facility()
        quota = quota_for(ctx.conn, ctx.facility_id, p["visit_date"], p["session"], p["kind"])
        if quota is not None:
            taken = vb.taken(p["visit_date"], p["session"], p["kind"])
            if taken >= quota:
                rejected = ("quota_oversold",
                            f"session {p['session']} on {p['visit_date']} is full ({taken}/{quota} {p['kind']})")
    vb.put(p["visit_id"], dict(
        facility_id=ctx.facility_id, device_id=ctx.device_id, event_id=meta["event_id"],
        visit_date=p["visit_date"], session=p["session"], queue_no=p["queue_no"], kind=p["kind"],
        inmate_id=p["inmate_id"], visitor_name=p["visitor_name"], nik_masked=mask_nik(p["visitor_nik"]),
        people=1 + len(p.get("followers") or []), provisional=bool(p.get("provisional")),
        status="cancelled" if rejected else "registered"))
    if rejected:
        ctx.conn.execute(insert(cancellations).values(
            visit_id=p["visit_id"], facility_id=ctx.facility_id, code=rejected[0], reason=rejected[1],
            created_at=ctx.now_iso))
        ctx.touched.add("cancelled_tickets")
    if p["visit_date"] == ctx.today:
        ctx.touched.add("visits_today")
    return rejected


def _gate_event(ctx: Context, p: dict[str, Any], column: str, inside: bool) -> Outcome:
    vb = VisitBatch.of(ctx)
    row = vb.get(p["visit_id"])
    if row is not None and row["facility_id"] != ctx.facility_id:
        return ("wrong_facility", f"visit {p['visit_id']} belongs to facility {row['facility_id']}")
    values: dict[str, Any] = {column: p["at"], "facility_id": ctx.facility_id}
    if row is None:  # the gate's event arrived before the kiosk's registration: keep it, fill in later
        values["people"] = p["people"]
    if inside:
        values["people_in"] = p["people"]
    elif row is None or not row["checked_in_at"] or row["checked_in_at"] <= p["at"]:
        values["people_in"] = 0
    vb.put(p["visit_id"], values)
    return None


@projection("visit.checked_in")
def visit_checked_in(ctx: Context, p: dict[str, Any], meta: dict[str, Any]) -> Outcome:
    return _gate_event(ctx, p, "checked_in_at", True)


@projection("visit.checked_out")
def visit_checked_out(ctx: Context, p: dict[str, Any], meta: dict[str, Any]) -> Outcome:
    return _gate_event(ctx, p, "checked_out_at", False)


def payload_json(payload: dict[str, Any]) -> str:
    """Compact JSON of a payload, keys in the order the device sent them (its canonical, sorted order)."""
    return pydantic_core.to_json(payload).decode("utf-8")
