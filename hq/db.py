"""HQ's database: one SQLAlchemy engine for SQLite (default, WAL, synchronous=FULL) or PostgreSQL.

URLs: a plain path or ``sqlite:///path`` -> SQLite; ``postgresql://user@host:port/db`` -> PostgreSQL through
psycopg 3. A ``?schema=NAME`` query on a PostgreSQL URL puts every table in that schema (created when
missing) -- used to isolate parallel test runs in one database.

``db.write()`` opens a write transaction (``BEGIN IMMEDIATE`` on SQLite, so a check and the write it
guards cannot interleave); ``db.read()`` a read-only one. Both commit on success and roll back on error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import psycopg
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import IntegrityError

from core.errors import StorageError
from core.ids import now_iso
from hq import schema
from hq.payments import schema as payments_schema

DEFAULT_DB = "hq.db"
log = logging.getLogger("lapas.hq.db")
T = TypeVar("T")
_SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class HQDatabaseError(StorageError):
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
        self._write_lock = threading.Lock()
        self._committer: GroupCommitter | None = None
        sa_url, self.pg_schema = normalise_url(url)
        self.dialect = "postgresql" if sa_url.startswith("postgresql") else "sqlite"
        self.sa_url = sa_url
        if self.dialect == "sqlite":
            self.engine = create_engine(sa_url, pool_size=pool_size, max_overflow=16)
            self._setup_sqlite(self.engine)
        else:
            # No server-side prepared statements: a generic plan made while a table was small (a sequential
            # scan) would be kept as the table grows; the planner re-plans each statement instead.
            self.engine = create_engine(sa_url, pool_size=pool_size, max_overflow=16, pool_pre_ping=True,
                                        connect_args={"prepare_threshold": None})
            if self.pg_schema:
                self._setup_pg_schema(self.engine, self.pg_schema)

    @staticmethod
    def _setup_sqlite(engine: Engine, *pragmas: str) -> None:
        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            for pragma in pragmas:
                cur.execute(pragma)
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
    def write(self, engine: Engine | None = None) -> Iterator[Connection]:
        """A write transaction (on ``engine``, e.g. the group committer's own, else the database's)."""
        if self.dialect == "sqlite":
            # SQLite has one writer at a time; queue this process's writers on a lock instead of letting them
            # spin in SQLite's busy handler (which sleeps up to 100 ms between tries).
            with self._write_lock, (engine or self.engine).connect() as conn, conn.begin():
                yield conn
            return
        with self.engine.connect() as conn:
            with conn.begin():
                yield conn

    def run_write(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn(conn)`` in a write transaction and return its result once committed.

        Concurrent callers are group-committed: writer threads (one on SQLite, a few on PostgreSQL) take the
        queued jobs, run them in one transaction and commit them together -- one fsync for many requests, and
        no thread storm fighting over the GIL and the connection pool. When a job of a group raises, the group
        runs again with a SAVEPOINT per job, so that job is rolled back alone and re-raised to its caller while
        the others commit. No caller gets its result before that commit.
        """
        return self._group().submit(fn)

    async def run_write_async(self, fn: Callable[[Connection], T]) -> T:
        """:meth:`run_write` for async handlers: the event loop waits on the commit without a thread."""
        return await self._group().submit_async(fn)

    def _group(self) -> GroupCommitter:
        if self._committer is None:
            with self._write_lock:
                if self._committer is None:
                    self._committer = GroupCommitter(self, writers=1 if self.dialect == "sqlite" else 3)
        return self._committer

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
        if self._committer is not None:
            self._committer.stop()
            self._committer = None
        self.engine.dispose()


def all_migrations():
    """Every registered migration as (name, fn), in apply order."""
    out = []
    for module in (schema, payments_schema):  # in apply order: payments' tables refer to the core ones
        out.extend(module.MIGRATIONS)
    names = [n for n, _ in out]
    if len(names) != len(set(names)):
        raise HQDatabaseError(f"duplicate migration names: {names}")
    return out


def open_db(url: str = DEFAULT_DB, *, migrate: bool = True, pool_size: int = 8) -> Database:
    db = Database(url, pool_size=pool_size)
    if migrate:
        db.migrate()
    return db


def pg_copy(conn: Connection, sql: str, rows) -> None:
    """``COPY ... FROM STDIN`` of ``rows`` (tuples) in ``conn``'s PostgreSQL transaction; a constraint violation
    surfaces as SQLAlchemy's ``IntegrityError``, like an INSERT's."""
    try:
        with conn.connection.driver_connection.cursor() as cur, cur.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
    except psycopg.errors.IntegrityError as exc:
        raise IntegrityError(sql, None, exc) from exc


class _Job:
    __slots__ = ("fn", "done", "result", "error", "notify")

    def __init__(self, fn, notify=None):
        self.fn, self.done, self.result, self.error, self.notify = fn, threading.Event(), None, None, notify


class GroupCommitter:
    """The writer threads behind :meth:`Database.run_write` (at most ``MAX_GROUP`` jobs per commit)."""

    MAX_GROUP = 64

    def __init__(self, db: Database, writers: int = 1):
        self.db = db
        self.jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self.engine: Engine | None = None
        self.checkpointer: WalCheckpointer | None = None
        if db.dialect == "sqlite":
            # The committer's own connection leaves WAL checkpoints to a background thread (with an inline
            # backstop far above SQLite's default of 1,000 pages), so a commit -- and the answer waiting
            # for it -- does not also copy the WAL into the database file and fsync it.
            self.engine = create_engine(db.sa_url, pool_size=2, max_overflow=0)  # committer + checkpointer
            db._setup_sqlite(self.engine, f"PRAGMA wal_autocheckpoint={WalCheckpointer.BACKSTOP_PAGES}")
            self.checkpointer = WalCheckpointer(self.engine)
        self.threads = [threading.Thread(target=self._run, name=f"hq-group-commit-{i}", daemon=True)
                        for i in range(writers)]
        for t in self.threads:
            t.start()

    @contextlib.contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.db.write(self.engine) as conn:
            yield conn
        if self.checkpointer is not None:
            self.checkpointer.poke()

    def submit(self, fn):
        job = _Job(fn)
        self.jobs.put(job)
        job.done.wait()
        if job.error is not None:
            raise job.error
        return job.result

    async def submit_async(self, fn):
        loop = asyncio.get_running_loop()
        future = loop.create_future()

        def notify(job: _Job) -> None:
            def resolve() -> None:
                if future.cancelled():
                    return
                if job.error is not None:
                    future.set_exception(job.error)
                else:
                    future.set_result(job.result)
            loop.call_soon_threadsafe(resolve)

        self.jobs.put(_Job(fn, notify))
        return await future

    def stop(self) -> None:
        for _ in self.threads:
            self.jobs.put(None)
        for t in self.threads:
            t.join(10)
        if self.checkpointer is not None:
            self.checkpointer.stop()
            self.engine.dispose()

    def _run(self) -> None:
        while True:
            first = self.jobs.get()
            if first is None:
                return
            group = [first]
            while len(group) < self.MAX_GROUP:
                try:
                    nxt = self.jobs.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self.jobs.put(None)
                    break
                group.append(nxt)
            self._commit(group)

    def _commit(self, group: list[_Job]) -> None:
        if not self._commit_plain(group):
            self._commit_with_savepoints(group)
        for job in group:
            job.done.set()
            if job.notify is not None:
                job.notify(job)

    def _commit_plain(self, group: list[_Job]) -> bool:
        """Every job in one transaction, without savepoints (on PostgreSQL a savepoint and its release are two
        round trips per job). False when a job of a larger group raised: the transaction was rolled back, and
        the group runs again with a savepoint per job so that the others still commit."""
        failed = None
        try:
            with self._write() as conn:
                for job in group:
                    try:
                        job.result = job.fn(conn)
                    except BaseException:
                        failed = job
                        raise
        except BaseException as exc:
            if failed is not None and len(group) > 1:
                for job in group:
                    job.result = None
                return False
            for job in group:  # the lone job's own error, or the commit failed: nothing of the group is stored
                job.error = exc
        return True

    def _commit_with_savepoints(self, group: list[_Job]) -> None:
        try:
            with self._write() as conn:
                for job in group:
                    try:
                        with conn.begin_nested():
                            job.result = job.fn(conn)
                    except BaseException as exc:  # rolled back to the job's savepoint; the others go on
                        job.error = exc
        except BaseException as exc:  # the commit itself failed: nothing of the group is stored
            for job in group:
                if job.error is None:
                    job.error = exc


class WalCheckpointer:
    """SQLite: checkpoints the WAL on its own thread and connection, at most every ``INTERVAL_S`` while commits
    come in (``PASSIVE``: it never blocks a writer or a reader). Durability is unchanged -- a commit is durable
    once its WAL frames are fsynced (``synchronous=FULL``); checkpointing only copies them into the database
    file. Once a checkpoint has copied every frame, the next writer starts the WAL over, so it stays small."""

    INTERVAL_S = 0.2
    BACKSTOP_PAGES = 10_000  # the committer checkpoints inline only if this thread falls that far behind

    def __init__(self, engine: Engine):
        self.engine = engine
        self.wake = threading.Event()
        self.stopping = False
        self.thread = threading.Thread(target=self._run, name="hq-wal-checkpoint", daemon=True)
        self.thread.start()

    def poke(self) -> None:
        """A commit happened: checkpoint soon."""
        self.wake.set()

    def stop(self) -> None:
        self.stopping = True
        self.wake.set()
        self.thread.join(10)

    def _run(self) -> None:
        conn = self.engine.raw_connection()  # held for the thread's life
        try:
            while True:
                self.wake.wait()
                if self.stopping:
                    return
                self.wake.clear()
                try:
                    conn.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except Exception:  # a busy or failing database: the next commit pokes again; the backstop holds
                    log.warning("background WAL checkpoint failed", exc_info=True)
                time.sleep(self.INTERVAL_S)
        finally:
            conn.close()
