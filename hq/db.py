"""HQ's database: one SQLAlchemy engine for SQLite (default, WAL, synchronous=FULL) or PostgreSQL.

URLs: a plain path or ``sqlite:///path`` -> SQLite; ``postgresql://user@host:port/db`` -> PostgreSQL through
psycopg 3. A ``?schema=NAME`` query on a PostgreSQL URL puts every table in that schema (created when
missing) -- used to isolate parallel test runs in one database.

``db.write()`` opens a write transaction (``BEGIN IMMEDIATE`` on SQLite, so a check and the write it
guards cannot interleave); ``db.read()`` a read-only one. Both commit on success and roll back on error.
"""

from __future__ import annotations

import contextlib
import importlib
import re
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, event, select, text
from sqlalchemy.engine import Connection, Engine, make_url

from hq import schema
from kiosk.ids import now_iso

DEFAULT_DB = "hq.db"
_SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class HQDatabaseError(Exception):
    """The database URL is unusable or the schema is newer than this code."""


def normalise_url(url: str) -> tuple[str, str | None]:
    """(SQLAlchemy URL, PostgreSQL schema or None) for a user-given URL or path."""
    if "://" not in url:
        return "sqlite:///" + str(Path(url).expanduser().resolve()), None
    u = make_url(url)
    pg_schema = None
    if u.drivername in ("postgresql", "postgres", "postgresql+psycopg"):
        pg_schema = u.query.get("schema")
        if pg_schema is not None and not _SCHEMA_RE.match(pg_schema):
            raise HQDatabaseError(f"invalid schema name {pg_schema!r} in database URL")
        u = u.set(drivername="postgresql+psycopg").difference_update_query(["schema"])
    elif not u.drivername.startswith("sqlite"):
        raise HQDatabaseError(f"unsupported database URL {url!r}: use a sqlite path or postgresql://")
    return u.render_as_string(hide_password=False), pg_schema


class Database:
    """The engine plus transaction helpers and the migration runner."""

    def __init__(self, url: str = DEFAULT_DB, *, pool_size: int = 8):
        self.url_text = url
        sa_url, self.pg_schema = normalise_url(url)
        self.dialect = "postgresql" if sa_url.startswith("postgresql") else "sqlite"
        if self.dialect == "sqlite":
            self.engine = create_engine(sa_url, pool_size=pool_size, max_overflow=16)
            self._setup_sqlite(self.engine)
        else:
            self.engine = create_engine(sa_url, pool_size=pool_size, max_overflow=16, pool_pre_ping=True)
            if self.pg_schema:
                self._setup_pg_schema(self.engine, self.pg_schema)

    @staticmethod
    def _setup_sqlite(engine: Engine) -> None:
        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):
            mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
            conn.exec_driver_sql(f"BEGIN {mode}")

    @staticmethod
    def _setup_pg_schema(engine: Engine, name: str) -> None:
        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn, _record):
            try:
                with dbapi_conn.cursor() as cur:
                    cur.execute(f'CREATE SCHEMA IF NOT EXISTS "{name}"')
                dbapi_conn.commit()
            except Exception:  # a concurrent connection created it first
                dbapi_conn.rollback()
            with dbapi_conn.cursor() as cur:
                cur.execute(f'SET search_path TO "{name}"')
            dbapi_conn.commit()

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            with conn.begin():
                yield conn

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            conn = conn.execution_options(sqlite_begin="DEFERRED")
            with conn.begin():
                yield conn

    # -- schema -----------------------------------------------------------------------------------

    def migrate(self) -> list[str]:
        """Apply every pending migration of every schema module; returns the names applied."""
        applied: list[str] = []
        with self.write() as conn:
            schema.hq_migrations.create(conn, checkfirst=True)
        for name, fn in all_migrations():
            with self.write() as conn:
                if self.dialect == "postgresql":  # one migrator at a time
                    conn.execute(text("LOCK TABLE hq_migrations IN EXCLUSIVE MODE"))
                done = conn.execute(
                    select(schema.hq_migrations.c.name).where(schema.hq_migrations.c.name == name)
                ).first()
                if done:
                    continue
                fn(conn)
                conn.execute(schema.hq_migrations.insert().values(name=name, applied_at=now_iso()))
                applied.append(name)
        return applied

    def schema_version(self) -> int:
        with self.read() as conn:
            return conn.execute(text("SELECT count(*) FROM hq_migrations")).scalar_one()

    def drop_pg_schema(self) -> None:
        """Drop this database's PostgreSQL schema (test clean-up)."""
        if self.dialect == "postgresql" and self.pg_schema:
            with self.engine.connect() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.pg_schema}" CASCADE'))
                conn.commit()

    def dispose(self) -> None:
        self.engine.dispose()


def all_migrations():
    """Every registered migration as (name, fn), in apply order."""
    out = []
    for mod in schema.SCHEMA_MODULES:
        try:
            module = importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name and (mod == exc.name or mod.startswith(exc.name + ".")):
                continue
            raise
        out.extend(getattr(module, "MIGRATIONS", []))
    names = [n for n, _ in out]
    if len(names) != len(set(names)):
        raise HQDatabaseError(f"duplicate migration names: {names}")
    return out


def open_db(url: str = DEFAULT_DB, *, migrate: bool = True, pool_size: int = 8) -> Database:
    db = Database(url, pool_size=pool_size)
    if migrate:
        db.migrate()
    return db
