"""Core schema: device metadata, the outbox, the audit chain and counters."""

from __future__ import annotations

from sqlite_utils.migrations import Migrations

migrations = Migrations("core")


@migrations()
def m001_core(db):
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)")
    db.execute("INSERT INTO counters(name, value) VALUES ('outbox_seq', 0)")
    db.execute(
        """
        CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY,
            event_id TEXT NOT NULL UNIQUE,
            type TEXT NOT NULL,
            payload TEXT NOT NULL,
            created_at TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'rejected')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            sent_at TEXT
        )
        """
    )
    db.execute("CREATE INDEX outbox_pending ON outbox(state, seq)")
    db.execute(
        """
        CREATE TABLE audit (
            seq INTEGER PRIMARY KEY,
            event_id TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        )
        """
    )


@migrations()
def m002_dead_letters(db):
    """Rejected events keep HQ's code and message so operators see why."""
    db.execute("ALTER TABLE outbox ADD COLUMN reject_code TEXT")
    db.execute(
        """
        CREATE TABLE probes (
            probe_id TEXT PRIMARY KEY,
            event_id TEXT NOT NULL,
            n INTEGER NOT NULL,
            note TEXT NOT NULL DEFAULT ''
        )
        """
    )
