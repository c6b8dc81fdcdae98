"""Exactly-once ingest of a device's event batch, in one transaction with the projections.

Per event, in ``seq`` order: an ``event_id`` HQ already holds answers its stored outcome (``duplicate`` for
an accepted one, the same ``rejected`` otherwise); a new event is validated against its dataclass in
:mod:`core.events`, projected, and stored under ``UNIQUE(event_id)`` / ``UNIQUE(device_id, seq)`` with
its outcome. The answer is sent only after the commit. A concurrent copy of the same batch loses on the
unique constraints, rolls back and is answered from the stored outcomes on its retry.
"""

from __future__ import annotations

import dataclasses
import logging
import types
import typing
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, case, insert, select, update
from sqlalchemy.engine import Connection

from core.errors import ServerError
from core.events import EVENT_TYPES
from core.ids import iso, today_wib
from hq import projections, reference
from hq.auth import Device
from hq.db import pg_copy
from hq.payments import projections as _payment_projections  # noqa: F401  (registers its handlers)
from hq.schema import devices, events

log = logging.getLogger("lapas.hq.ingest")

# Events whose facility_id records what the device believed before enrolment (not a claim on a facility).
FACILITY_EXEMPT = frozenset({"device.initialised"})
_PY_TYPES = {"str": str, "int": int, "bool": bool, "dict": dict, "list": list, "None": type(None)}


class ProjectionCrashed(ServerError):
    """An unexpected error inside a projection; the batch is retried event by event."""

    def __init__(self, event_id: str, exc: BaseException):
        super().__init__(f"projection of {event_id} failed: {exc!r}")
        self.event_id = event_id


def _field_types(annotation: str) -> tuple[type, ...] | None:
    """Allowed JSON types for a dataclass annotation string (``str | None``, ``list[dict]``...)."""
    out = []
    for part in annotation.replace(" ", "").split("|"):
        base = part.split("[", 1)[0]
        if base not in _PY_TYPES:
            return None  # unknown annotation: accept any value
        out.append(_PY_TYPES[base])
    return tuple(out)


_SPECS: dict[str, tuple[dict[str, tuple[type, ...] | None], frozenset[str]]] = {}


def _spec(type_name: str):
    spec = _SPECS.get(type_name)
    if spec is None:
        cls = EVENT_TYPES[type_name]
        hints: dict[str, Any] = {}
        required = set()
        for f in dataclasses.fields(cls):
            ann = f.type if isinstance(f.type, str) else _ann_name(f.type)
            hints[f.name] = _field_types(ann)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                required.add(f.name)
        spec = _SPECS[type_name] = (hints, frozenset(required))
    return spec


def _ann_name(tp: Any) -> str:
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        return " | ".join(_ann_name(a) for a in typing.get_args(tp))
    origin = typing.get_origin(tp)
    return getattr(origin or tp, "__name__", "object")


def validate_payload(type_name: str, payload: Any, facility_id: str) -> tuple[str, str] | None:
    """``None`` when the payload fits its event type, else ``(code, message)``.

    JSON values are checked by exact type (``true`` is not an integer; a float is never money)."""
    spec = _SPECS.get(type_name)
    if spec is None:
        if type_name not in EVENT_TYPES:
            return ("unknown_type", f"unknown event type {type_name!r}")
        spec = _spec(type_name)
    if type(payload) is not dict:
        return ("invalid_payload", "payload must be a JSON object")
    shape = (type_name, tuple(payload), tuple(map(type, payload.values())))
    if shape not in _FITTING_SHAPES:  # the field checks depend on nothing else: a known fitting shape passes
        problem = _check_fields(type_name, payload, *spec)
        if problem is not None:
            return problem
        if len(_FITTING_SHAPES) >= 10_000:
            _FITTING_SHAPES.clear()
        _FITTING_SHAPES.add(shape)
    fac = payload.get("facility_id")
    if fac is not None and fac != facility_id and type_name not in FACILITY_EXEMPT:
        return ("wrong_facility", f"event for facility {fac} sent by a device of {facility_id}")
    return None


_UNKNOWN = object()
_FITTING_SHAPES: set[tuple] = set()  # (type, field names, value types) that passed _check_fields


def _check_fields(type_name: str, payload: dict[str, Any], hints: dict[str, tuple[type, ...] | None],
                  required: frozenset[str]) -> tuple[str, str] | None:
    for name, value in payload.items():
        allowed = hints.get(name, _UNKNOWN)
        if allowed is None or (allowed is not _UNKNOWN and type(value) in allowed):
            continue
        if allowed is _UNKNOWN:
            return ("invalid_payload", f"{type_name}: unknown field(s) {', '.join(sorted(payload.keys() - hints))}")
        if type(value) is float:
            return ("invalid_payload", f"{type_name}.{name}: floats are not allowed (integer units)")
        got = "a boolean" if type(value) is bool else type(value).__name__
        return ("invalid_payload", f"{type_name}.{name}: expected {_names(allowed)}, got {got}")
    if not required.issubset(payload):
        return ("invalid_payload", f"{type_name}: missing field(s) {', '.join(sorted(required - payload.keys()))}")
    return None


def _names(types_: tuple[type, ...]) -> str:
    return " or ".join("null" if t is type(None) else t.__name__ for t in types_)


def _parse_device_time(text: str | None, now: datetime) -> int:
    if not text:
        return 0
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
    except ValueError:
        return 0
    return int(round((dt - now).total_seconds()))


def ingest(conn: Connection, device: Device, batch: dict[str, Any], *, careful: bool = False,
           thorough: bool = False, now: datetime | None = None) -> dict[str, Any]:
    """Store and project one batch inside ``conn``'s transaction; returns the response body.

    What HQ already holds is read with one index range over the device's ``seq`` span (skipped when the span
    lies wholly above the device's high-water seq, as ``device`` was read in this transaction). ``thorough`` also
    looks every ``event_id`` up across all devices (the retry path after an ``IntegrityError``: an event id
    stored for another device is answered ``event_id_conflict`` instead of failing the batch again).
    ``careful``: run each projection in a savepoint and dead-letter an event whose projection crashes
    (the retry path after :class:`ProjectionCrashed`; the fast path uses no savepoints).
    """
    now = now or datetime.now(UTC)
    now_s = iso(now)
    skew = _parse_device_time(batch.get("device_time"), now)
    items = sorted(batch["events"], key=lambda e: e["seq"])
    ids = [e["event_id"] for e in items]
    id_set = set(ids)
    seq_set = {e["seq"] for e in items}
    known: dict[str, Any] = {}
    taken_seqs: dict[int, str] = {}
    # Nothing of the device is stored above its high-water seq (raised in every ingest transaction): a batch
    # wholly above it -- the usual case -- skips the look-up. A racing copy committed since the device row was
    # read still fails on the unique constraints, and its retry (``thorough``) looks everything up.
    if items and (thorough or items[0]["seq"] <= device.high_water_seq):
        for r in conn.execute(_STORED_IN_RANGE, {"d": device.device_id, "lo": items[0]["seq"],
                                                 "hi": items[-1]["seq"]}):
            if r.event_id in id_set:
                known[r.event_id] = r
            if r.seq in seq_set:
                taken_seqs[r.seq] = r.event_id
        if thorough:
            for r in conn.execute(select(*_STORED_COLS).where(events.c.event_id.in_(ids))):
                known[r.event_id] = r

    projs = projections.load_modules()
    ctx = projections.Context(conn, device.facility_id, device.device_id, now_s, today_wib(now).isoformat(),
                              batch=[e for e in items if e["event_id"] not in known and e["seq"] not in taken_seqs])
    results: list[dict[str, Any]] = []
    rows: list[tuple] = []  # in _EVENT_COLS order
    batch_ids: set[str] = set()  # new in this batch
    device_id, facility_id = device.device_id, device.facility_id
    payload_json = projections.payload_json
    for e in items:
        eid, seq = e["event_id"], e["seq"]
        old = known.get(eid)
        if old is not None or eid in batch_ids:
            if old is not None and (old.device_id != device_id or old.seq != seq):
                results.append(_res(eid, seq, "rejected", "event_id_conflict",
                                    "this event id is already stored for another device or seq"))
            elif old is not None and old.status == "rejected":
                results.append(_res(eid, seq, "rejected", old.code, old.message))
            else:
                results.append({"event_id": eid, "seq": seq, "status": "duplicate"})
            continue
        if seq in taken_seqs:
            results.append(_res(eid, seq, "rejected", "seq_conflict",
                                f"seq {seq} is already stored with event {taken_seqs[seq]}"))
            continue
        type_, payload = e["type"], e["payload"]
        outcome = validate_payload(type_, payload, facility_id)
        if outcome is None:
            fn = projs.get(type_)
            if fn is not None:
                outcome = _project(ctx, fn, e, careful)
        batch_ids.add(eid)
        taken_seqs[seq] = eid
        status, code, message = ("accepted", None, None) if outcome is None else ("rejected", *outcome)
        rows.append((eid, device_id, facility_id, seq, type_, payload_json(payload), e["created_at"], now_s, skew,
                     status, code, message))
        results.append({"event_id": eid, "seq": seq, "status": status} if outcome is None
                       else _res(eid, seq, status, code, message))
    ctx.finish()
    if rows:
        insert_events(conn, rows)
    if ctx.touched:
        reference.bump(conn, facility_id, *sorted(ctx.touched), note=ctx.today)
    new_high = max((r[3] for r in rows), default=0)
    backlog = batch.get("pending")
    high = conn.execute(_TOUCH_DEVICE, {
        "d": device_id, "seen": now_s, "skew": skew, "high": new_high,
        "backlog": backlog if isinstance(backlog, int) and backlog >= 0 else None}).scalar_one()
    return {"results": results, "high_water_seq": high, "server_time": now_s}


_STORED_COLS = (events.c.event_id, events.c.device_id, events.c.seq, events.c.status, events.c.code,
                events.c.message)
_STORED_IN_RANGE = select(*_STORED_COLS).where(
    events.c.device_id == bindparam("d"), events.c.seq.between(bindparam("lo"), bindparam("hi")))
_EVENT_COLS = ("event_id", "device_id", "facility_id", "seq", "type", "payload", "created_at", "received_at",
               "skew_s", "status", "code", "message")
_PG_COPY_EVENTS = f"COPY events ({', '.join(_EVENT_COLS)}) FROM STDIN"
_SQLITE_INSERT_EVENTS = (f"INSERT INTO events ({', '.join(_EVENT_COLS)}) "
                         f"VALUES ({', '.join('?' for _ in _EVENT_COLS)})")


def insert_events(conn: Connection, rows: list[tuple]) -> None:
    """Bulk insert of event rows (tuples in ``_EVENT_COLS`` order), in the caller's transaction. SQLite: the
    driver's executemany (SQLAlchemy's per-row parameter processing costs more than the insert itself).
    PostgreSQL: ``COPY`` (the unique constraints still apply; a violation surfaces as SQLAlchemy's
    ``IntegrityError`` like an INSERT's)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(_SQLITE_INSERT_EVENTS, rows)
    elif conn.dialect.name == "postgresql":
        pg_copy(conn, _PG_COPY_EVENTS, rows)
    else:
        conn.execute(insert(events), [dict(zip(_EVENT_COLS, r, strict=True)) for r in rows])


_TOUCH_DEVICE = (update(devices).where(devices.c.device_id == bindparam("d")).values(
    last_seen_at=bindparam("seen"), last_skew_s=bindparam("skew"), backlog=bindparam("backlog"),
    high_water_seq=case((devices.c.high_water_seq > bindparam("high"), devices.c.high_water_seq),
                        else_=bindparam("high")))
    .returning(devices.c.high_water_seq))


def _project(ctx, fn, e, careful: bool):
    meta = {"event_id": e["event_id"], "seq": e["seq"], "created_at": e["created_at"]}
    if not careful:
        try:
            return fn(ctx, e["payload"], meta)
        except Exception as exc:
            raise ProjectionCrashed(e["event_id"], exc) from exc
    try:
        with ctx.conn.begin_nested():
            return fn(ctx, e["payload"], meta)
    except Exception as exc:
        log.exception("projection of %s (%s) failed; event dead-lettered", e["event_id"], e["type"])
        return ("internal_error", f"HQ could not process this event: {type(exc).__name__}")


def device_high_water(conn: Connection, device_id: str) -> int:
    return conn.execute(select(devices.c.high_water_seq).where(devices.c.device_id == device_id)).scalar_one() or 0


def _res(event_id: str, seq: int, status: str, code: str | None = None, message: str | None = None) -> dict:
    r: dict[str, Any] = {"event_id": event_id, "seq": seq, "status": status}
    if code is not None:
        r["code"] = code
        r["message"] = message or ""
    return r
