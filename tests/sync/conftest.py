"""Fixtures: a real HQ server process (SQLite file, or a fresh PostgreSQL schema) and enrolled devices."""

from __future__ import annotations

import pytest

from hq.db import Database, open_db
from sync.testing import HQProcess, make_device, pg_available, pg_url


@pytest.fixture(scope="module")
def hq(tmp_path_factory):
    """(Database, HQProcess) on a SQLite file, shared by a module's tests (each test uses its own devices)."""
    path = tmp_path_factory.mktemp("hq") / "hq.db"
    db = open_db(str(path))
    proc = HQProcess(str(path), log_path=path.with_suffix(".log")).start()
    yield db, proc
    proc.stop()
    db.dispose()


@pytest.fixture(scope="module")
def hq_pg(tmp_path_factory):
    if not pg_available():
        pytest.skip("PostgreSQL at 127.0.0.1:5432 is not reachable")
    url = pg_url("sync")
    db = open_db(url)
    proc = HQProcess(url, log_path=tmp_path_factory.mktemp("hqpg") / "hq.log").start()
    yield db, proc
    proc.stop()
    db.drop_pg_schema()
    db.dispose()


@pytest.fixture
def device(hq, tmp_path):
    db, proc = hq
    return make_device(tmp_path / "dev", db, proc.url, batch_size=100)


def fresh(db: Database):
    return db
