"""Domain schema: reference data (from HQ), visits, queue counters, presence at the gate."""

from __future__ import annotations

from sqlite_utils.migrations import Migrations

from core.reference import norm_reg_no

migrations = Migrations("domain")


@migrations()
def m001_reference(db):
    # Small sections (facility, schedule, exceptions, emergency_close, limits, ...) as JSON documents.
    db.execute("CREATE TABLE ref_sections (name TEXT PRIMARY KEY, body TEXT NOT NULL)")
    db.execute(
        """
        CREATE TABLE ref_inmates (
            id TEXT PRIMARY KEY, reg_no TEXT NOT NULL, reg_key TEXT NOT NULL, name TEXT NOT NULL,
            name_key TEXT NOT NULL, block TEXT NOT NULL DEFAULT '', room TEXT NOT NULL DEFAULT '',
            code TEXT NOT NULL, visitable INTEGER NOT NULL, status TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE UNIQUE INDEX ref_inmates_reg ON ref_inmates(reg_key)")
    db.execute("CREATE INDEX ref_inmates_name ON ref_inmates(name_key)")
    db.execute("CREATE TABLE ref_banned (nik TEXT PRIMARY KEY, reason TEXT NOT NULL, until TEXT)")
    db.execute(
        """
        CREATE TABLE ref_bookings (
            booking_code TEXT PRIMARY KEY, inmate_id TEXT NOT NULL, visit_date TEXT NOT NULL,
            session TEXT NOT NULL, status TEXT NOT NULL, body TEXT NOT NULL
        )
        """
    )
    db.execute(
        "CREATE TABLE ref_trusted_keys (key_id TEXT PRIMARY KEY, device_id TEXT NOT NULL, "
        "public_key TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0)"
    )
    db.execute("CREATE TABLE ref_cancelled (visit_id TEXT PRIMARY KEY, code TEXT NOT NULL, reason TEXT NOT NULL)")
    db.execute(
        "CREATE TABLE ref_visits_today (visit_id TEXT PRIMARY KEY, queue_no TEXT, visit_date TEXT, body TEXT NOT NULL)"
    )


@migrations()
def m002_visits(db):
    db.execute(
        """
        CREATE TABLE visits (
            visit_id TEXT PRIMARY KEY,
            event_id TEXT NOT NULL,
            facility_id TEXT NOT NULL,
            visit_date TEXT NOT NULL,
            session TEXT NOT NULL,
            queue_no TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('walk_in', 'pre_registered')),
            inmate_id TEXT NOT NULL,
            visitor_nik TEXT NOT NULL,
            visitor_name TEXT NOT NULL,
            visitor_phone TEXT NOT NULL,
            relationship TEXT NOT NULL,
            followers TEXT NOT NULL,
            people INTEGER NOT NULL,
            booking_code TEXT,
            provisional INTEGER NOT NULL DEFAULT 0,
            ticket TEXT NOT NULL,
            created_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX visits_slot ON visits(visit_date, session, kind)")
    db.execute("CREATE INDEX visits_inmate ON visits(inmate_id, visit_date)")
    db.execute("CREATE UNIQUE INDEX visits_booking ON visits(booking_code) WHERE booking_code IS NOT NULL")
    db.execute("CREATE UNIQUE INDEX visits_queue ON visits(visit_date, queue_no)")
    # every person of a visit with a NIK, for the weekly limit per NIK
    db.execute(
        "CREATE TABLE visit_people (visit_id TEXT NOT NULL REFERENCES visits(visit_id), nik TEXT NOT NULL, "
        "visit_date TEXT NOT NULL, PRIMARY KEY (visit_id, nik))"
    )
    db.execute("CREATE INDEX visit_people_nik ON visit_people(nik, visit_date)")
    db.execute(
        "CREATE TABLE queue_counters (visit_date TEXT NOT NULL, session TEXT NOT NULL, last INTEGER NOT NULL, "
        "called INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (visit_date, session))"
    )


@migrations()
def m003_gate(db):
    db.execute(
        """
        CREATE TABLE presence (
            visit_id TEXT PRIMARY KEY,
            visit_date TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('inside', 'left')),
            people INTEGER NOT NULL,
            checked_in_at TEXT NOT NULL,
            checked_out_at TEXT,
            in_event_id TEXT NOT NULL,
            out_event_id TEXT
        )
        """
    )
    db.execute("CREATE INDEX presence_inside ON presence(visit_date, state)")


@migrations()
def m004_reg_key_ignores_punctuation(db):
    """Registration numbers are looked up without dots and spaces (``BI0001/2025`` finds ``BI.0001/2025``)."""

    rows = list(db.execute("SELECT id, reg_no FROM ref_inmates").fetchall())
    for inmate_id, reg_no in rows:  # a clash keeps the old key; the next reference load reports it
        db.execute("UPDATE OR IGNORE ref_inmates SET reg_key = ? WHERE id = ?", (norm_reg_no(reg_no), inmate_id))
