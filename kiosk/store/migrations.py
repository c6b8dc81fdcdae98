"""Migration sets, applied in order on every open and recorded in ``_sqlite_migrations``.

Each subsystem owns one sqlite-utils :class:`~sqlite_utils.migrations.Migrations` set in its own module
(listed in :data:`SETS`, in the order they apply). The schema version is the number of applied
migrations across all sets; version *k* means "the first *k* migrations of :func:`all_migrations`".
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils.migrations import Migrations

from core.errors import StorageError
from kiosk.store import printlog, schema, schema_payments, schema_visits


class MigrationsMissing(StorageError, RuntimeError):
    """The database holds migrations this build does not know: it was written by a newer (or a broken) build."""


# Every migration set, in the order they apply (later sets may use earlier tables). A set's name is stored with
# each applied migration, so renaming a set or dropping one from this list is caught by :func:`check_known`.
SETS: tuple[Migrations, ...] = (schema.migrations, schema_visits.migrations, printlog.migrations,
                                schema_payments.migrations)


def sets() -> list[Migrations]:
    return list(SETS)


def all_migrations() -> list[tuple[Migrations, str]]:
    """Every registered migration as (set, name), in the global apply order."""
    return [(s, m.name) for s in sets() for m in s._migrations]


def check_known(db: sqlite_utils.Database) -> None:
    """Raise :class:`MigrationsMissing` naming every applied migration that no set of this build declares."""
    if not db["_sqlite_migrations"].exists():
        return
    known = {(s.name, m.name) for s in SETS for m in s._migrations}
    applied = {(r[0], r[1]) for r in db.execute("SELECT migration_set, name FROM _sqlite_migrations")}
    unknown = sorted(applied - known)
    if unknown:
        raise MigrationsMissing("the database has migrations this build does not know: "
                                + ", ".join(f"{a}/{b}" for a, b in unknown))


def apply_all(db: sqlite_utils.Database) -> int:
    """Apply every pending migration; returns how many were applied. Refuses a database with unknown ones."""
    check_known(db)
    before = applied_count(db)
    for s in sets():
        s.apply(db)
    return applied_count(db) - before


def apply_until(db: sqlite_utils.Database, version: int) -> None:
    """Bring an empty database to schema ``version`` (the first ``version`` migrations). For tests."""
    for i, (s, _name) in enumerate(all_migrations()[:version]):
        pending = s.pending(db)
        if not pending:
            continue
        following = [m.name for m in s._migrations[s._migrations.index(pending[0]) + 1:]]
        s.apply(db, stop_before=following or None)
        assert applied_count(db) == i + 1, "migrations must apply one at a time in order"


def applied_count(db: sqlite_utils.Database) -> int:
    if not db["_sqlite_migrations"].exists():
        return 0
    return db.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0]


def latest_version() -> int:
    return len(all_migrations())
