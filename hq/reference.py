"""Reference data built from HQ's tables, in the ``lapas-reference/1`` format of docs/architecture.md.

Every change to a section bumps the facility's ``ref_version`` and records that version for the section
(:func:`bump`), in the same transaction as the change. ``build(conn, facility, since)`` returns a full
snapshot, or -- when ``since`` is a version this facility has had -- a delta holding only the sections
changed after it. Other modules add sections with ``SECTION_BUILDERS[name] = fn(conn, facility_id, today)``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from core.errors import RefusalError
from core.identity import b64u
from core.ids import now_iso, today_wib
from core.privacy import keyed_hash
from hq import retention
from hq.schema import (
    banned_visitors,
    cancellations,
    devices,
    facilities,
    facility_docs,
    inmates,
    pre_registrations,
    section_versions,
    visits,
)

FORMAT = "lapas-reference/1"
PREREG_WINDOW_DAYS = 2  # devices get bookings for today and the next two days, never the whole register

# What a facility has until an operator sets its own (the usual Ditjenpas practice: morning and afternoon
# sessions Monday-Saturday; detainees (A) and sentenced inmates (B) alike).
_STANDARD_DAY = [{"session": "P", "walk_in_quota": 60, "pre_registered_quota": 40, "inmate_codes": ["A", "B"]},
                 {"session": "S", "walk_in_quota": 40, "pre_registered_quota": 20, "inmate_codes": ["A", "B"]}]
DEFAULT_DOCS: dict[str, Any] = {
    "schedule": {"sessions": {"P": {"label": "Pagi", "start": "08:30", "end": "11:30"},
                              "S": {"label": "Siang", "start": "13:00", "end": "15:00"}},
                 "weekdays": {str(d): _STANDARD_DAY for d in range(1, 7)}},
    "exceptions": [],
    "emergency_close": {"closed": False, "reason": "", "until": None},
    "limits": {"max_followers": 3, "max_children": 2, "visits_per_nik_per_week": 1,
               "visits_per_inmate_per_week": 2, "pre_registration_lead_days": 1, "max_days_ahead": 7,
               "ticket_grace_minutes": 30},
}
DOC_SECTIONS = tuple(DEFAULT_DOCS)


class UnknownFacility(RefusalError, LookupError):
    pass


def get_doc(conn: Connection, facility_id: str, section: str) -> Any:
    row = conn.execute(select(facility_docs.c.body).where(
        facility_docs.c.facility_id == facility_id, facility_docs.c.section == section)).first()
    return json.loads(row.body) if row else DEFAULT_DOCS[section]


def set_doc(conn: Connection, facility_id: str, section: str, body: Any) -> int:
    """Replace an operator-set JSON section and bump the reference version; returns the new version."""
    if section not in DEFAULT_DOCS:
        raise ValueError(f"unknown section {section!r}; expected one of {', '.join(DEFAULT_DOCS)}")
    text = json.dumps(body, ensure_ascii=False, sort_keys=True)
    n = conn.execute(update(facility_docs).where(
        facility_docs.c.facility_id == facility_id, facility_docs.c.section == section).values(body=text)).rowcount
    if not n:
        conn.execute(insert(facility_docs).values(facility_id=facility_id, section=section, body=text))
    return bump(conn, facility_id, section)


def bump(conn: Connection, facility_id: str, *sections: str, note: str = "") -> int:
    """Increment the facility's reference version and stamp ``sections`` with it."""
    version = conn.execute(
        update(facilities).where(facilities.c.id == facility_id)
        .values(ref_version=facilities.c.ref_version + 1).returning(facilities.c.ref_version)
    ).scalar_one_or_none()
    if version is None:
        raise UnknownFacility(facility_id)
    for s in sections:
        n = conn.execute(update(section_versions).where(
            section_versions.c.facility_id == facility_id, section_versions.c.section == s
        ).values(version=version, note=note)).rowcount
        if not n:
            conn.execute(insert(section_versions).values(facility_id=facility_id, section=s, version=version,
                                                         note=note))
    return version


def current_version(conn: Connection, facility_id: str) -> int:
    v = conn.execute(select(facilities.c.ref_version).where(facilities.c.id == facility_id)).scalar_one_or_none()
    if v is None:
        raise UnknownFacility(facility_id)
    return v


def roll_day(conn: Connection, facility_id: str, today: str) -> None:
    """``visits_today`` changes at WIB midnight without any write: bump it once per new day."""
    row = conn.execute(select(section_versions.c.note).where(
        section_versions.c.facility_id == facility_id, section_versions.c.section == "visits_today")).first()
    if row is None or row.note != today:
        bump(conn, facility_id, "visits_today", note=today)
        bump(conn, facility_id, "pre_registrations")  # the window of bookings sent moves with the day


# -- section builders ----------------------------------------------------------------------------


def _facility(conn, fid, today):
    f = conn.execute(select(facilities).where(facilities.c.id == fid)).one()
    return {"id": f.id, "name": f.name, "address": f.address, "city": f.city, "room_capacity": f.room_capacity}


def _inmates(conn, fid, today):
    rows = conn.execute(select(inmates).where(inmates.c.facility_id == fid).order_by(inmates.c.id))
    return [{"id": r.id, "reg_no": r.reg_no, "name": r.name, "block": r.block, "room": r.room, "code": r.code,
             "visitable": bool(r.visitable), "status": r.status} for r in rows]


def _visitor_key(conn, fid) -> bytes:
    """The facility's key for visitor hashes (derived from HQ's secret; sent only to this facility's devices)."""
    secret = retention.load_secret(retention.secret_path(conn.engine.url.render_as_string(hide_password=True)))
    return retention.facility_hash_key(secret, fid)


def _privacy(conn, fid, today):
    return {"visitor_hash_key": b64u(_visitor_key(conn, fid))}


def _banned(conn, fid, today):
    """Banned visitors as keyed hashes of their NIK: a device can tell a banned NIK when it is typed, but its
    database never lists whom."""
    key = _visitor_key(conn, fid)
    rows = conn.execute(select(banned_visitors).where(banned_visitors.c.facility_id == fid)
                        .order_by(banned_visitors.c.nik))
    out = [{"nik_hash": keyed_hash(key, r.nik, purpose="banned"), "reason": r.reason, "until": r.until}
           for r in rows if r.until is None or r.until >= today]
    return sorted(out, key=lambda b: b["nik_hash"])


def _prereg(conn, fid, today):
    """Pre-registrations for the devices' window only: today and the next PREREG_WINDOW_DAYS days."""
    last = (date.fromisoformat(today) + timedelta(days=PREREG_WINDOW_DAYS)).isoformat()
    rows = conn.execute(select(pre_registrations.c.body).where(
        pre_registrations.c.facility_id == fid, pre_registrations.c.date >= today,
        pre_registrations.c.date <= last)
        .order_by(pre_registrations.c.date, pre_registrations.c.booking_code))
    return [json.loads(r.body) for r in rows]


def _keys(conn, fid, today):
    rows = conn.execute(select(devices).where(devices.c.facility_id == fid, devices.c.revoked_at.is_(None))
                        .order_by(devices.c.device_id))
    return [{"key_id": r.key_id, "device_id": r.device_id, "public_key": r.public_key, "revoked": False}
            for r in rows]


def _cancelled(conn, fid, today):
    rows = conn.execute(select(cancellations).where(cancellations.c.facility_id == fid)
                        .order_by(cancellations.c.created_at, cancellations.c.visit_id))
    return [{"visit_id": r.visit_id, "code": r.code, "reason": r.reason} for r in rows]


def _visits_today(conn, fid, today):
    rows = conn.execute(select(visits).where(
        visits.c.facility_id == fid, visits.c.visit_date == today, visits.c.status != "cancelled")
        .order_by(visits.c.session, visits.c.queue_no))
    return [{"visit_id": r.visit_id, "visitor_name": r.visitor_name, "nik_masked": r.nik_masked,
             "inmate_id": r.inmate_id, "date": r.visit_date, "session": r.session, "queue_no": r.queue_no,
             "people": r.people, "provisional": bool(r.provisional)} for r in rows]


def _doc(section):
    return lambda conn, fid, today: get_doc(conn, fid, section)


SECTION_BUILDERS: dict[str, Callable[[Connection, str, str], Any]] = {
    "facility": _facility,
    "inmates": _inmates,
    "schedule": _doc("schedule"),
    "exceptions": _doc("exceptions"),
    "emergency_close": _doc("emergency_close"),
    "limits": _doc("limits"),
    "privacy": _privacy,
    "banned_visitors": _banned,
    "pre_registrations": _prereg,
    "trusted_keys": _keys,
    "cancelled_tickets": _cancelled,
    "visits_today": _visits_today,
}


def build(conn: Connection, facility_id: str, since: int | None = None, today: str | None = None) -> dict:
    """The reference document for ``facility_id``: a delta after ``since`` when possible, else full."""
    today = today or today_wib().isoformat()
    roll_day(conn, facility_id, today)
    version = current_version(conn, facility_id)
    delta = since is not None and 0 < since <= version
    if delta:
        changed = {r.section for r in conn.execute(select(section_versions.c.section).where(
            section_versions.c.facility_id == facility_id, section_versions.c.version > since))}
        names = [s for s in SECTION_BUILDERS if s in changed]
    else:
        names = list(SECTION_BUILDERS)
    doc: dict[str, Any] = {"format": FORMAT, "facility_id": facility_id, "version": version, "as_of": now_iso(),
                           "kind": "delta" if delta else "full", "since": since if delta else None}
    for name in names:
        doc[name] = SECTION_BUILDERS[name](conn, facility_id, today)
    return doc
