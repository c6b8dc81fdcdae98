"""Reference data from HQ (format in docs/architecture.md): validate, apply atomically, read.

A document is ``full`` (every core section) or a ``delta`` (only the sections that changed, each complete,
on top of version ``since``). :func:`apply_reference` validates the whole document first, then replaces the
sections in one transaction and records ``reference_version`` / ``reference_as_of`` in ``meta``; a failed load
changes nothing. Validation is :mod:`core.reference` (shared with HQ); payments sections are applied by
``kiosk.payments.reference`` in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from core.i18n import N_
from core.identity import unb64u
from core.ids import iso, parse_iso, utcnow
from core.privacy import keyed_hash
from core.reference import (
    CORE_OPTIONAL,
    CORE_REQUIRED,
    DEFAULT_LIMITS,
    ReferenceDataError,
    norm_name,
    norm_nik,
    norm_reg_no,
    validate_reference,
)
from kiosk.domain.rules import Refusal
from kiosk.payments.reference import apply_payment_sections

# --- apply ----------------------------------------------------------------------------------------------


def _replace(tx, name: str, doc: dict) -> None:
    rows = doc.get(name) or []
    if name == "inmates":
        tx.execute("DELETE FROM ref_inmates")
        tx.conn.executemany(
            "INSERT INTO ref_inmates(id, reg_no, reg_key, name, name_key, block, room, code, visitable, status) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(i["id"], i["reg_no"], norm_reg_no(i["reg_no"]), i["name"], norm_name(i["name"]), i.get("block", ""),
              i.get("room", ""), i["code"], int(i.get("visitable", True)), i.get("status", "active")) for i in rows])
    elif name == "banned_visitors":  # ref_banned.nik holds the keyed hash of the NIK, never the NIK
        key = visitor_hash_key(tx.conn)
        tx.execute("DELETE FROM ref_banned")
        tx.conn.executemany(
            "INSERT OR REPLACE INTO ref_banned(nik, reason, until) VALUES (?, ?, ?)",
            [(b.get("nik_hash") or banned_hash(key, b["nik"]), b.get("reason", ""), b.get("until")) for b in rows])
    elif name == "pre_registrations":
        tx.execute("DELETE FROM ref_bookings")
        tx.conn.executemany(
            "INSERT OR REPLACE INTO ref_bookings(booking_code, inmate_id, visit_date, session, status, body) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(b["booking_code"].strip().upper(), b["inmate_id"], b["date"], b["session"], b.get("status", "booked"),
              json.dumps(b, ensure_ascii=False)) for b in rows])
    elif name == "trusted_keys":
        tx.execute("DELETE FROM ref_trusted_keys")
        tx.conn.executemany(
            "INSERT OR REPLACE INTO ref_trusted_keys(key_id, device_id, public_key, revoked) VALUES (?, ?, ?, ?)",
            [(k["key_id"], k["device_id"], k["public_key"], int(bool(k.get("revoked")))) for k in rows])
    elif name == "cancelled_tickets":
        tx.execute("DELETE FROM ref_cancelled")
        tx.conn.executemany("INSERT OR REPLACE INTO ref_cancelled(visit_id, code, reason) VALUES (?, ?, ?)",
                            [(c["visit_id"], c.get("code", "cancelled"), c.get("reason", "")) for c in rows])
    elif name == "visits_today":
        tx.execute("DELETE FROM ref_visits_today")
        tx.conn.executemany(
            "INSERT OR REPLACE INTO ref_visits_today(visit_id, queue_no, visit_date, body) VALUES (?, ?, ?, ?)",
            [(v["visit_id"], v.get("queue_no"), v.get("date"), json.dumps(v, ensure_ascii=False)) for v in rows])
    else:  # small JSON sections
        tx.execute("INSERT INTO ref_sections(name, body) VALUES (?, ?) "
                   "ON CONFLICT(name) DO UPDATE SET body = excluded.body",
                   (name, json.dumps(doc.get(name), ensure_ascii=False, sort_keys=True)))


def visitor_hash_key(conn) -> bytes:
    """The facility's key for visitor hashes (reference section ``privacy``); without one (a hand-made file, no
    HQ yet) a key derived from the facility id, so hashes still never show a NIK in the database."""
    row = conn.execute("SELECT body FROM ref_sections WHERE name = 'privacy'").fetchone()
    body = json.loads(row[0]) if row and row[0] else None
    if body and body.get("visitor_hash_key"):
        return unb64u(body["visitor_hash_key"])
    fac = conn.execute("SELECT body FROM ref_sections WHERE name = 'facility'").fetchone()
    fid = (json.loads(fac[0]) or {}).get("id", "") if fac and fac[0] else ""
    return hashlib.sha256(("lapas-local-visitor-key:" + fid).encode()).digest()[:16]


def banned_hash(key: bytes, nik: str) -> str:
    """How a banned NIK is kept and looked up on the device."""
    return keyed_hash(key, norm_nik(nik), purpose="banned")


def apply_reference(store, doc: dict, facility_id: str | None = None) -> int:
    """Validate ``doc`` and apply it in one transaction; returns the new version.

    ``facility_id`` (the device's configured facility) refuses a document of another facility even on the
    first load."""
    validate_reference(doc)
    if facility_id is not None and doc["facility_id"] != facility_id:
        raise ReferenceDataError(f"reference facility_id: expected {facility_id!r} (this device's), "
                             f"got {doc['facility_id']!r}")
    with store.transaction() as tx:
        current = tx.one("SELECT value FROM meta WHERE key = 'reference_version'")
        current_version = int(current[0]) if current else 0
        facility = tx.one("SELECT value FROM meta WHERE key = 'reference_facility'")
        if facility and facility[0] != doc["facility_id"]:
            raise ReferenceDataError(f"reference facility_id: expected {facility[0]!r} (this device's), "
                                 f"got {doc['facility_id']!r}")
        if doc.get("kind", "full") == "delta" and doc["since"] != current_version:
            raise ReferenceDataError(f"reference since: delta applies on version {doc['since']} but this device has "
                                 f"version {current_version}; ask for a full snapshot")
        if doc["version"] < current_version:
            raise ReferenceDataError(f"reference version: {doc['version']} is older than the loaded {current_version}")
        for name in CORE_REQUIRED + CORE_OPTIONAL:
            if name in doc or doc.get("kind", "full") == "full":
                _replace(tx, name, doc)
        apply_payment_sections(tx.conn, doc, doc["version"])
        for key, value in (("reference_version", str(doc["version"])), ("reference_as_of", doc["as_of"]),
                           ("reference_facility", doc["facility_id"]),
                           ("reference_loaded_at", iso(utcnow())),
                           *((("facility_name", doc["facility"]["name"]),) if doc.get("facility") else ())):
            tx.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                       (key, value))
    return doc["version"]


# --- reads ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Inmate:
    id: str
    reg_no: str
    name: str
    block: str
    room: str
    code: str
    visitable: bool
    status: str


@dataclass
class Reference:
    """The small sections, parsed (read once per operation)."""

    version: int
    as_of: datetime | None
    facility: dict = field(default_factory=dict)
    schedule: dict = field(default_factory=dict)
    exceptions: list = field(default_factory=list)
    emergency_close: dict = field(default_factory=dict)
    limits: dict = field(default_factory=dict)

    def age(self, now: datetime | None = None) -> timedelta | None:
        return None if self.as_of is None else (now or utcnow()) - self.as_of

    def limit(self, name: str) -> int:
        return int(self.limits.get(name, DEFAULT_LIMITS[name]))

    def exception_for(self, day: date) -> dict | None:
        return next((e for e in self.exceptions if e.get("date") == day.isoformat()), None)

    def slots_for(self, day: date) -> list[dict]:
        return list(self.schedule.get("weekdays", {}).get(str(day.isoweekday()), []))

    def session(self, code: str) -> dict | None:
        return self.schedule.get("sessions", {}).get(code)


def read_reference(conn) -> Reference:
    """The loaded reference data (raises :class:`Refusal` ``no_reference`` when none was ever loaded)."""
    rows = dict(conn.execute("SELECT name, body FROM ref_sections").fetchall())
    meta = dict(conn.execute(
        "SELECT key, value FROM meta WHERE key IN ('reference_version', 'reference_as_of')").fetchall())
    if not rows or "reference_version" not in meta:
        raise Refusal("no_reference", N_("This kiosk has no visiting data yet."),
                      N_("Please ask the officer at the registration desk."))
    sections = {k: json.loads(v) for k, v in rows.items()}
    return Reference(
        version=int(meta["reference_version"]), as_of=parse_iso(meta["reference_as_of"]),
        facility=sections.get("facility") or {}, schedule=sections.get("schedule") or {},
        exceptions=sections.get("exceptions") or [], emergency_close=sections.get("emergency_close") or {},
        limits={**DEFAULT_LIMITS, **(sections.get("limits") or {})},
    )


def reference(store) -> Reference:
    with store.lock:
        return read_reference(store.conn)


def facility(store) -> dict:
    return reference(store).facility


def limits(store) -> dict:
    return dict(reference(store).limits)


def _inmate(row) -> Inmate:
    return Inmate(row[0], row[1], row[2], row[3], row[4], row[5], bool(row[6]), row[7])


_INMATE_COLS = "id, reg_no, name, block, room, code, visitable, status"


def inmate_by_id(conn, inmate_id: str) -> Inmate | None:
    row = conn.execute(f"SELECT {_INMATE_COLS} FROM ref_inmates WHERE id = ?", (inmate_id,)).fetchone()
    return _inmate(row) if row else None


def lookup_inmate(conn, query: str) -> Inmate:
    """By registration number, else by exact full name (never partial, never a list).

    Raises :class:`Refusal`: ``inmate_not_found``, or ``inmate_ambiguous`` when two inmates share the name.
    """
    q = (query or "").strip()
    if q:
        row = conn.execute(f"SELECT {_INMATE_COLS} FROM ref_inmates WHERE reg_key = ?", (norm_reg_no(q),)).fetchone()
        if row:
            return _inmate(row)
        rows = conn.execute(f"SELECT {_INMATE_COLS} FROM ref_inmates WHERE name_key = ? LIMIT 2",
                            (norm_name(q),)).fetchall()
        if len(rows) == 1:
            return _inmate(rows[0])
        if len(rows) > 1:
            raise Refusal("inmate_ambiguous", N_("More than one inmate has the name {name}."),
                          N_("Please type the registration number instead."), name=q)
    raise Refusal("inmate_not_found", N_("No inmate was found for \u201c{query}\u201d."),
                  N_("Type the full registration number (e.g. BI.1234/2025) or the full name exactly."), query=q)


def find_inmate(store, query: str) -> Inmate:
    with store.lock:
        return lookup_inmate(store.conn, query)
