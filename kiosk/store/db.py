"""The device's local SQLite store: one file, WAL, ``synchronous=FULL``, migrations applied on open.

A business write is one transaction holding the business rows, an outbox event and an audit-chain
link (invariant 1)::

    with store.transaction() as tx:          # BEGIN IMMEDIATE
        tx.execute("INSERT INTO visits ...", (...))
        tx.emit(VisitRegistered(...))        # outbox row + audit link, same transaction

Nothing is printed or shown as done before the ``with`` block exits (the commit).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlite_utils

from core.errors import StorageError
from core.events import Event
from kiosk.store import migrations
from kiosk.store.outbox import OutboxEntry, append_event


class StoreError(StorageError):
    """Base class of store errors."""


class SchemaTooNew(StoreError):
    """The database was written by a newer version of lapas-kiosk."""


def connect(path: str | Path, *, busy_timeout_ms: int = 5000, readonly: bool = False) -> sqlite3.Connection:
    """Open a connection with the store's pragmas. Transactions are explicit (``isolation_level=None``)."""
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None,
                               check_same_thread=False, timeout=busy_timeout_ms / 1000)
    else:
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False,
                               timeout=busy_timeout_ms / 1000)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    if not readonly:
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise StoreError(f"could not switch {path} to WAL (journal_mode={mode})")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


class Tx:
    """An open write transaction: run SQL and append outbox events into the same commit."""

    def __init__(self, store: Store):
        self.store = store
        self.conn = store.conn
        self.events: list[OutboxEntry] = []

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def one(self, sql: str, params: Any = ()) -> sqlite3.Row | None:
        return self.conn.execute(sql, params).fetchone()

    def insert(self, table: str, row: dict[str, Any]) -> None:
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        self.conn.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", tuple(row.values()))

    def emit(self, event: Event) -> OutboxEntry:
        """Append ``event`` to the outbox and the audit chain; returns its id and ``seq``."""
        entry = append_event(self.conn, self.store.device_id, event)
        self.events.append(entry)
        return entry


class Store:
    """The local database of one device. Thread-safe: writes are serialised by a lock."""

    def __init__(self, path: str | Path, device_id: str, *, migrate: bool = True, busy_timeout_ms: int = 5000):
        self.path = Path(path)
        self.device_id = device_id
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = connect(self.path, busy_timeout_ms=busy_timeout_ms)
        self.db = sqlite_utils.Database(self.conn, execute_plugins=False)
        self._lock = threading.RLock()
        if migrate:
            with self._lock:
                migrations.apply_all(self.db)

    # -- transactions ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self, immediate: bool = True) -> Iterator[Tx]:
        """One write transaction; ``BEGIN IMMEDIATE`` takes the write lock up front so quota checks
        and the write they guard cannot interleave with another writer."""
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
            tx = Tx(self)
            try:
                yield tx
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            else:
                try:
                    self.conn.execute("COMMIT")
                except BaseException:
                    if self.conn.in_transaction:
                        self.conn.execute("ROLLBACK")
                    raise

    @property
    def lock(self) -> threading.RLock:
        """Hold while reading several statements from ``conn`` on a thread shared with writers."""
        return self._lock

    def query(self, sql: str, params: Any = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self.conn.execute(sql, params).fetchall()

    def one(self, sql: str, params: Any = ()) -> sqlite3.Row | None:
        with self._lock:
            return self.conn.execute(sql, params).fetchone()

    def scalar(self, sql: str, params: Any = ()) -> Any:
        row = self.one(sql, params)
        return None if row is None else row[0]

    # -- small key/value store for device state (reference version, sync status, ...) ----------

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.one("SELECT value FROM meta WHERE key = ?", (key,))
        return default if row is None else row[0]

    def set_meta(self, key: str, value: str, tx: Tx | None = None) -> None:
        sql = "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"
        if tx is not None:
            tx.execute(sql, (key, value))
        else:
            with self._lock:
                self.conn.execute(sql, (key, value))

    def schema_version(self) -> int:
        return migrations.applied_count(self.db)

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(cfg) -> Store:
    """Open the store of a configured device (``cfg`` is a :class:`kiosk.config.Config`)."""
    return Store(cfg.db_path, cfg.device.device_id)
