"""Core schema: device metadata, counters, and the outbox whose rows carry their audit-chain link.

Each outbox row holds ``prev_hash`` and ``hash``: the link of the tamper-evident chain (see ``audit.py``).
Keeping the link in the event's own row means a business write touches one b-tree less, which matters at
``synchronous=FULL`` where every dirty page is written to the WAL and fsynced.
"""

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
            sent_at TEXT,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        )
        """
    )


@migrations()
def m002_dead_letters(db):
    """Rejected events keep HQ's code so operators see why; a probe table for diagnostics and crash tests."""
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
