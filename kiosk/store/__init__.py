"""Local store: SQLite (WAL, synchronous=FULL), migrations, outbox and audit chain."""

from kiosk.store.db import SchemaTooNew, Store, StoreError, Tx, connect, open_store

__all__ = ["Store", "StoreError", "SchemaTooNew", "Tx", "connect", "open_store"]
