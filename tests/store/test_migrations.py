"""Migrations apply from an empty database and from every earlier schema version to the same schema."""

from __future__ import annotations

import sqlite3

import pytest
import sqlite_utils

from kiosk.store import Store, connect, migrations


def schema_of(path) -> list[tuple[str, str, str]]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
        ).fetchall()
    finally:
        conn.close()
    return [(t, n, " ".join((s or "").split())) for t, n, s in rows]


def test_from_empty_reaches_latest(tmp_path):
    with Store(tmp_path / "a.db", "dev-1") as store:
        assert store.schema_version() == migrations.latest_version()
        applied = store.query("SELECT migration_set, name FROM _sqlite_migrations ORDER BY id")
    assert [(r[0], r[1]) for r in applied] == [(s.name, n) for s, n in migrations.all_migrations()]


def test_reopen_applies_nothing(tmp_path):
    Store(tmp_path / "a.db", "dev-1").close()
    conn = connect(tmp_path / "a.db")
    db = sqlite_utils.Database(conn, execute_plugins=False)
    assert migrations.apply_all(db) == 0
    conn.close()


@pytest.mark.parametrize("version", range(0, migrations.latest_version()))
def test_from_each_earlier_version(tmp_path, version):
    reference = tmp_path / "fresh.db"
    Store(reference, "dev-1").close()

    old = tmp_path / "old.db"
    conn = connect(old)
    db = sqlite_utils.Database(conn, execute_plugins=False)
    migrations.apply_until(db, version)
    assert migrations.applied_count(db) == version
    conn.close()

    with Store(old, "dev-1") as store:
        assert store.schema_version() == migrations.latest_version()
        # the upgraded database works for a business write
        from core.events import ProbeRecorded

        with store.transaction() as tx:
            tx.emit(ProbeRecorded("p1", 1))
    assert schema_of(old) == schema_of(reference)


def test_store_pragmas(tmp_path):
    with Store(tmp_path / "a.db", "dev-1") as store:
        assert store.scalar("PRAGMA journal_mode") == "wal"
        assert store.scalar("PRAGMA synchronous") == 2  # FULL
        assert store.scalar("PRAGMA foreign_keys") == 1
        assert store.scalar("PRAGMA busy_timeout") >= 1000


def test_a_database_with_a_migration_this_build_does_not_know_is_refused(tmp_path):
    """A renamed or dropped migration set is not skipped silently: opening the database says which is unknown."""
    db = sqlite_utils.Database(tmp_path / "k.db")
    migrations.apply_all(db)
    db["_sqlite_migrations"].insert({"migration_set": "parcels", "name": "m001_parcels",
                                     "applied_at": "2026-12-01 00:00:00"})
    with pytest.raises(migrations.MigrationsMissing, match="parcels/m001_parcels"):
        migrations.apply_all(db)
