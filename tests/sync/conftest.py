"""Fixtures: a real HQ server process (`lapas hq serve` on a SQLite file) and enrolled devices."""

from __future__ import annotations

import pytest

from hq.db import open_db
from sync.testing import HQProcess, make_device


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
