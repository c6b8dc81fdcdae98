"""Fixtures: a real HQ server process (`lapas hq serve` on a SQLite file) and enrolled devices."""

from __future__ import annotations

import pytest

from hq.db import open_db
from tests.support.hqproc import HQProcess, make_device


@pytest.fixture(scope="module")
def hq(tmp_path_factory):
    """(Database, HQProcess) on a SQLite file, shared by a module's tests (each test uses its own devices)."""
    path = tmp_path_factory.mktemp("hq") / "hq.db"
    db = open_db(str(path))
    proc = HQProcess(str(path), log_path=path.with_suffix(".log")).start()
    yield db, proc
    proc.stop()
    db.dispose()


@pytest.fixture
def device(hq, tmp_path):
    db, proc = hq
    return make_device(tmp_path / "dev", db, proc.url, batch_size=100)


def _serve(kind: str, tmp_path_factory, schema: str):
    """(Database, HQProcess) on a SQLite file or a fresh PostgreSQL schema (dropped afterwards)."""
    from tests.support.hqproc import pg_url, require_pg

    if kind == "sqlite":
        url = str(tmp_path_factory.mktemp("hq") / "hq.db")
    else:
        require_pg()
        url = pg_url(schema)
    db = open_db(url)
    proc = HQProcess(url, log_path=tmp_path_factory.mktemp("hqlog") / "hq.log").start()
    yield db, proc
    proc.stop()
    db.drop_pg_schema()
    db.dispose()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def hq_any(request, tmp_path_factory):
    """(Database, HQProcess) on SQLite and on PostgreSQL."""
    yield from _serve(request.param, tmp_path_factory, "syncany")


@pytest.fixture(scope="module")
def hq_pg(request, tmp_path_factory):
    """(Database, HQProcess) on PostgreSQL (HQ runs several writer threads there)."""
    yield from _serve("postgresql", tmp_path_factory, "syncpg")
