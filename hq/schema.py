"""HQ's tables (SQLAlchemy Core) and the versioned schema: named migrations recorded in ``hq_migrations``.

Other modules add schema pieces the same way: define tables on :data:`metadata` (or their own), expose
``MIGRATIONS = [(name, fn(conn)), ...]`` and are listed in ``hq.db.all_migrations``. Migrations apply in
list order, each once, inside one transaction per migration; never edit an applied one, add a new one.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Connection

metadata = MetaData()


hq_migrations = Table(
    "hq_migrations", metadata,
    Column("name", Text, primary_key=True),
    Column("applied_at", Text, nullable=False),
)

facilities = Table(
    "facilities", metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("address", Text, nullable=False, default=""),
    Column("city", Text, nullable=False, default=""),
    Column("room_capacity", Integer, nullable=False, default=0),
    Column("ref_version", BigInteger, nullable=False, default=1),
    Column("created_at", Text, nullable=False),
)

# Which reference version last changed each section of a facility (deltas carry sections newer than `since`).
section_versions = Table(
    "section_versions", metadata,
    Column("facility_id", Text, nullable=False),
    Column("section", Text, nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("note", Text, nullable=False, default=""),
    PrimaryKeyConstraint("facility_id", "section"),
)

# Operator-set JSON sections: schedule, exceptions, emergency_close, limits.
facility_docs = Table(
    "facility_docs", metadata,
    Column("facility_id", Text, nullable=False),
    Column("section", Text, nullable=False),
    Column("body", Text, nullable=False),
    PrimaryKeyConstraint("facility_id", "section"),
)

devices = Table(
    "devices", metadata,
    Column("device_id", Text, primary_key=True),
    Column("facility_id", Text, nullable=False, index=True),
    Column("role", Text, nullable=False),
    Column("public_key", Text, nullable=False),
    Column("key_id", Text, nullable=False),
    Column("enrolled_at", Text, nullable=False),
    Column("revoked_at", Text),
    Column("last_seen_at", Text),
    Column("last_skew_s", Integer),
    Column("high_water_seq", BigInteger, nullable=False, default=0),
    Column("backlog", BigInteger),
    Column("reference_version", BigInteger),
)

enroll_codes = Table(
    "enroll_codes", metadata,
    Column("code_hash", Text, primary_key=True),
    Column("facility_id", Text, nullable=False),
    Column("role", Text),
    Column("created_at", Text, nullable=False),
    Column("expires_at", Text, nullable=False),
    Column("used_at", Text),
    Column("used_by", Text),
)

nonces = Table(
    "nonces", metadata,
    Column("device_id", Text, nullable=False),
    Column("nonce", Text, nullable=False),
    Column("seen_at", BigInteger, nullable=False, index=True),
    PrimaryKeyConstraint("device_id", "nonce"),
)

events = Table(
    "events", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("event_id", Text, nullable=False),
    Column("device_id", Text, nullable=False),
    Column("facility_id", Text, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("type", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("received_at", Text, nullable=False),
    Column("skew_s", Integer, nullable=False, default=0),
    Column("status", Text, nullable=False),  # accepted | rejected
    Column("code", Text),
    Column("message", Text),
    UniqueConstraint("event_id", name="uq_events_event_id"),
    UniqueConstraint("device_id", "seq", name="uq_events_device_seq"),
)
Index("ix_events_facility_status", events.c.facility_id, events.c.status)

visits = Table(
    "visits", metadata,
    Column("visit_id", Text, primary_key=True),
    Column("facility_id", Text, nullable=False),
    Column("device_id", Text),
    Column("event_id", Text),
    Column("visit_date", Text),
    Column("session", Text),
    Column("queue_no", Text),
    Column("kind", Text),
    Column("inmate_id", Text),
    Column("visitor_name", Text),
    Column("nik_masked", Text),
    Column("people", Integer, nullable=False, default=1),
    Column("provisional", Boolean, nullable=False, default=False),
    Column("status", Text, nullable=False, default="registered"),  # registered|cancelled
    Column("checked_in_at", Text),
    Column("checked_out_at", Text),
    Column("people_in", Integer, nullable=False, default=0),
)
Index("ix_visits_facility_date", visits.c.facility_id, visits.c.visit_date, visits.c.session)

cancellations = Table(
    "cancellations", metadata,
    Column("visit_id", Text, primary_key=True),
    Column("facility_id", Text, nullable=False, index=True),
    Column("code", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", Text, nullable=False),
)

inmates = Table(
    "inmates", metadata,
    Column("facility_id", Text, nullable=False),
    Column("id", Text, nullable=False),
    Column("reg_no", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("block", Text, nullable=False, default=""),
    Column("room", Text, nullable=False, default=""),
    Column("code", Text, nullable=False, default=""),
    Column("visitable", Boolean, nullable=False, default=True),
    Column("status", Text, nullable=False, default="active"),
    PrimaryKeyConstraint("facility_id", "id"),
)

banned_visitors = Table(
    "banned_visitors", metadata,
    Column("facility_id", Text, nullable=False),
    Column("nik", Text, nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("until", Text),
    PrimaryKeyConstraint("facility_id", "nik"),
)

pre_registrations = Table(
    "pre_registrations", metadata,
    Column("facility_id", Text, nullable=False),
    Column("booking_code", Text, nullable=False),
    Column("body", Text, nullable=False),  # the reference-format JSON object
    Column("date", Text, nullable=False),
    PrimaryKeyConstraint("facility_id", "booking_code"),
)

_CORE_TABLES = [facilities, section_versions, facility_docs, devices, enroll_codes, nonces, events, visits,
                cancellations, inmates, banned_visitors, pre_registrations]


def _m001_core(conn: Connection) -> None:
    metadata.create_all(conn, tables=_CORE_TABLES)


MIGRATIONS: list[tuple[str, Callable[[Connection], None]]] = [
    ("hq.core.001", _m001_core),
]
