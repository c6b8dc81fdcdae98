"""Operators' changes to a facility: facilities, inmates (CSV), schedule, limits, closures, banned list,
pre-registrations. Each function runs inside the caller's write transaction and bumps the reference
version of the sections it changed, so devices pick the change up on their next pull.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection

from core.errors import RefusalError
from core.ids import now_iso
from core.reference import norm_reg_no
from hq import reference
from hq.schema import (
    banned_visitors,
    devices,
    events,
    facilities,
    inmates,
    pre_registrations,
)

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_NIK_RE = re.compile(r"^\d{16}$")
INMATE_COLUMNS = ("id", "reg_no", "name", "block", "room", "code", "visitable", "status")
LIMIT_KEYS = ("max_followers", "max_children", "visits_per_nik_per_week", "visits_per_inmate_per_week",
              "pre_registration_lead_days", "max_days_ahead", "ticket_grace_minutes")


class OperatorError(RefusalError, ValueError):
    """Bad operator input; the message names the row/field and what was expected. Nothing was changed."""


def add_facility(conn: Connection, facility_id: str, name: str, address: str = "", city: str = "",
                 room_capacity: int = 100) -> None:
    if not _ID_RE.match(facility_id):
        raise OperatorError(f"facility id {facility_id!r}: expected 1-64 letters, digits, '.', '_' or '-'")
    if not name.strip():
        raise OperatorError("facility name is required")
    if room_capacity < 1:
        raise OperatorError(f"room capacity {room_capacity}: expected an integer >= 1")
    if conn.execute(select(facilities.c.id).where(facilities.c.id == facility_id)).first():
        raise OperatorError(f"facility {facility_id} already exists")
    conn.execute(insert(facilities).values(id=facility_id, name=name, address=address, city=city,
                                           room_capacity=room_capacity, ref_version=1, created_at=now_iso()))


def update_facility(conn: Connection, facility_id: str, **values: Any) -> int:
    values = {k: v for k, v in values.items() if v is not None}
    _require_facility(conn, facility_id)
    if values.get("room_capacity", 1) < 1:
        raise OperatorError("room capacity: expected an integer >= 1")
    if values:
        conn.execute(update(facilities).where(facilities.c.id == facility_id).values(**values))
    return reference.bump(conn, facility_id, "facility")


def _require_facility(conn: Connection, facility_id: str) -> None:
    if conn.execute(select(facilities.c.id).where(facilities.c.id == facility_id)).first() is None:
        raise OperatorError(f"no facility {facility_id!r} (add it with `lapas hq facility add`)")


def _bool(text: str, where: str) -> bool:
    t = (text or "").strip().lower()
    if t in ("", "1", "true", "yes", "ya", "y"):
        return True
    if t in ("0", "false", "no", "tidak", "n"):
        return False
    raise OperatorError(f"{where}: visitable must be true/false, got {text!r}")


def import_inmates(conn: Connection, facility_id: str, csv_text: str, *, replace: bool = False) -> dict[str, int]:
    """Upsert inmates from CSV with header ``id,reg_no,name,code[,block,room,visitable,status]``
    (``code`` A = tahanan/detainee, B = narapidana/sentenced).

    With ``replace``, inmates missing from the file are removed. All rows are checked before any is written.
    """
    _require_facility(conn, facility_id)
    reader = csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in ("id", "reg_no", "name", "code") if c not in header]
    if missing:
        raise OperatorError(f"CSV header lacks column(s) {', '.join(missing)}; expected {','.join(INMATE_COLUMNS)}")
    unknown = [c for c in header if c not in INMATE_COLUMNS]
    if unknown:
        raise OperatorError(f"CSV has unknown column(s) {', '.join(unknown)}; expected {','.join(INMATE_COLUMNS)}")
    rows: dict[str, dict[str, Any]] = {}
    reg_seen: set[str] = set()
    for n, raw in enumerate(reader, start=2):
        r = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        where = f"line {n}"
        if not _ID_RE.match(r.get("id", "")):
            raise OperatorError(f"{where}: id {r.get('id')!r} must be 1-64 letters, digits, '.', '_' or '-'")
        if not r.get("reg_no") or not r.get("name"):
            raise OperatorError(f"{where}: reg_no and name are required")
        if r["id"] in rows:
            raise OperatorError(f"{where}: inmate id {r['id']} appears twice")
        if r.get("code") not in ("A", "B"):
            raise OperatorError(f"{where}: code must be A (tahanan) or B (narapidana), got {r.get('code')!r}")
        reg_key = norm_reg_no(r["reg_no"])  # the device's lookup key: unique there too
        if reg_key in reg_seen:
            raise OperatorError(f"{where}: reg_no {r['reg_no']} appears twice")
        reg_seen.add(reg_key)
        status = r.get("status") or "active"
        if status not in ("active", "transferred", "released"):
            raise OperatorError(f"{where}: status must be active, transferred or released, got {status!r}")
        rows[r["id"]] = {"facility_id": facility_id, "id": r["id"], "reg_no": r["reg_no"], "name": r["name"],
                         "block": r.get("block", ""), "room": r.get("room", ""), "code": r.get("code", ""),
                         "visitable": _bool(r.get("visitable", ""), where), "status": status}
    existing = {x.id for x in conn.execute(select(inmates.c.id).where(inmates.c.facility_id == facility_id))}
    added = [r for i, r in rows.items() if i not in existing]
    changed = [r for i, r in rows.items() if i in existing]
    for r in changed:
        conn.execute(update(inmates).where(inmates.c.facility_id == facility_id, inmates.c.id == r["id"])
                     .values(**{k: v for k, v in r.items() if k not in ("facility_id", "id")}))
    if added:
        conn.execute(insert(inmates), added)
    removed = 0
    if replace:
        gone = existing - rows.keys()
        if gone:
            removed = conn.execute(delete(inmates).where(inmates.c.facility_id == facility_id,
                                                         inmates.c.id.in_(gone))).rowcount
    reference.bump(conn, facility_id, "inmates")
    return {"added": len(added), "updated": len(changed), "removed": removed}


def validate_schedule(doc: Any) -> dict:
    if not isinstance(doc, dict) or not isinstance(doc.get("sessions"), dict) or not isinstance(
            doc.get("weekdays"), dict):
        raise OperatorError('schedule must be {"sessions": {...}, "weekdays": {...}}')
    if not doc["sessions"]:
        raise OperatorError("schedule.sessions: define at least one session")
    for code, s in doc["sessions"].items():
        if not (len(code) == 1 and code.isalpha() and code.isupper()):
            raise OperatorError(f"session code {code!r}: expected one upper-case letter (P, S, ...)")
        if not isinstance(s, dict) or not str(s.get("label", "")).strip():
            raise OperatorError(f"session {code}: needs a label")
        if not isinstance(s, dict) or not _TIME_RE.match(str(s.get("start", ""))) or not _TIME_RE.match(
                str(s.get("end", ""))) or s["start"] >= s["end"]:
            raise OperatorError(f"session {code}: needs label, start and end as HH:MM with start < end")
    for day, slots in doc["weekdays"].items():
        if day not in {str(i) for i in range(1, 8)}:
            raise OperatorError(f"weekday key {day!r}: expected '1' (Monday) .. '7' (Sunday)")
        if not isinstance(slots, list):
            raise OperatorError(f"weekday {day}: expected a list of sessions")
        for slot in slots:
            if not isinstance(slot, dict) or slot.get("session") not in doc["sessions"]:
                raise OperatorError(f"weekday {day}: session {slot!r} is not defined in sessions")
            codes = slot.get("inmate_codes")
            if not isinstance(codes, list) or not codes or any(c not in ("A", "B") for c in codes):
                raise OperatorError(f"weekday {day} session {slot['session']}: inmate_codes must be a non-empty "
                                    'list of "A" / "B"')
            for q in ("walk_in_quota", "pre_registered_quota"):
                v = slot.get(q, 0)
                if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                    raise OperatorError(f"weekday {day} session {slot['session']}: {q} must be an integer >= 0")
    return doc


def set_schedule(conn: Connection, facility_id: str, doc: Any) -> int:
    _require_facility(conn, facility_id)
    return reference.set_doc(conn, facility_id, "schedule", validate_schedule(doc))


def set_limits(conn: Connection, facility_id: str, changes: dict[str, int]) -> int:
    _require_facility(conn, facility_id)
    limits = dict(reference.get_doc(conn, facility_id, "limits"))
    for k, v in changes.items():
        if k not in LIMIT_KEYS:
            raise OperatorError(f"unknown limit {k!r}; expected one of {', '.join(LIMIT_KEYS)}")
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise OperatorError(f"limit {k} must be an integer >= 0, got {v!r}")
        limits[k] = v
    return reference.set_doc(conn, facility_id, "limits", limits)


def _date(text: str, what: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except (TypeError, ValueError) as exc:
        raise OperatorError(f"{what} {text!r}: expected a date YYYY-MM-DD") from exc


def set_exception(conn: Connection, facility_id: str, day: str, reason: str, closed: bool = True) -> int:
    _require_facility(conn, facility_id)
    day = _date(day, "date")
    items = [x for x in reference.get_doc(conn, facility_id, "exceptions") if x.get("date") != day]
    items.append({"date": day, "closed": closed, "reason": reason})
    return reference.set_doc(conn, facility_id, "exceptions", sorted(items, key=lambda x: x["date"]))


def set_emergency(conn: Connection, facility_id: str, closed: bool, reason: str = "", until: str | None = None) -> int:
    _require_facility(conn, facility_id)
    return reference.set_doc(conn, facility_id, "emergency_close",
                             {"closed": closed, "reason": reason if closed else "", "until": until if closed else None})


def ban(conn: Connection, facility_id: str, nik: str, reason: str, until: str | None = None) -> int:
    _require_facility(conn, facility_id)
    if not _NIK_RE.match(nik):
        raise OperatorError(f"NIK {nik!r}: expected 16 digits")
    until = _date(until, "until") if until else None
    conn.execute(delete(banned_visitors).where(banned_visitors.c.facility_id == facility_id,
                                               banned_visitors.c.nik == nik))
    conn.execute(insert(banned_visitors).values(facility_id=facility_id, nik=nik, reason=reason, until=until))
    return reference.bump(conn, facility_id, "banned_visitors")


def unban(conn: Connection, facility_id: str, nik: str) -> int:
    _require_facility(conn, facility_id)
    n = conn.execute(delete(banned_visitors).where(banned_visitors.c.facility_id == facility_id,
                                                   banned_visitors.c.nik == nik)).rowcount
    if not n:
        raise OperatorError(f"NIK {nik} is not on the banned list of {facility_id}")
    return reference.bump(conn, facility_id, "banned_visitors")


def import_pre_registrations(conn: Connection, facility_id: str, items: Any) -> int:
    """Upsert pre-registrations (a JSON list in the reference format); returns how many."""
    _require_facility(conn, facility_id)
    if not isinstance(items, list):
        raise OperatorError("pre-registrations must be a JSON list")
    for i, p in enumerate(items):
        if not isinstance(p, dict) or not re.match(r"^[A-Z0-9]{4,16}$", str(p.get("booking_code", ""))):
            raise OperatorError(f"item {i}: booking_code must be 4-16 capital letters or digits")
        _date(p.get("date"), f"item {i}: date")
        if not isinstance(p.get("visitor"), dict) or not _NIK_RE.match(str(p["visitor"].get("nik", ""))):
            raise OperatorError(f"item {i}: visitor.nik must be 16 digits")
        for k in ("inmate_id", "session"):
            if not p.get(k):
                raise OperatorError(f"item {i}: {k} is required")
    for p in items:
        p = {"followers": [], "status": "booked", **p}
        conn.execute(delete(pre_registrations).where(pre_registrations.c.facility_id == facility_id,
                                                     pre_registrations.c.booking_code == p["booking_code"]))
        conn.execute(insert(pre_registrations).values(facility_id=facility_id, booking_code=p["booking_code"],
                                                      date=p["date"], body=json.dumps(p, ensure_ascii=False)))
    reference.bump(conn, facility_id, "pre_registrations")
    return len(items)


def list_devices(conn: Connection, facility_id: str | None = None) -> list[dict[str, Any]]:
    q = select(devices).order_by(devices.c.facility_id, devices.c.device_id)
    if facility_id:
        q = q.where(devices.c.facility_id == facility_id)
    return [dict(r._mapping) for r in conn.execute(q)]


def dead_letters(conn: Connection, facility_id: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    q = (select(events.c.device_id, events.c.seq, events.c.event_id, events.c.type, events.c.code,
                events.c.message, events.c.created_at, events.c.received_at)
         .where(events.c.status == "rejected").order_by(events.c.id.desc()).limit(limit))
    if facility_id:
        q = q.where(events.c.facility_id == facility_id)
    return [dict(r._mapping) for r in conn.execute(q)]


def event_counts(conn: Connection, facility_id: str) -> dict[str, int]:
    rows = conn.execute(select(events.c.status, func.count()).where(events.c.facility_id == facility_id)
                        .group_by(events.c.status))
    return {r[0]: r[1] for r in rows}
