"""HQ fixtures: the real app served by uvicorn on a free loopback port (in a thread of the test process, so
tests can look into the database too), on SQLite and on PostgreSQL (a fresh schema per module)."""

from __future__ import annotations

import threading
import time

import pytest
import requests
import uvicorn

from hq.app import create_app
from hq.db import open_db
from tests.support.hqproc import free_port, pg_url, require_pg


class ServerThread:
    def __init__(self, db):
        self.db = db
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(create_app(db), host="127.0.0.1", port=self.port,
                                                    log_level="warning", access_log=False))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self):
        self.thread.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/v1/health", timeout=1).ok:
                    return self
            except requests.RequestException:
                time.sleep(0.05)
        raise RuntimeError("HQ server did not start")

    def stop(self):
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def hq_server(request, tmp_path_factory):
    """A running HQ (``.url``, ``.db``) on each backend."""
    if request.param == "sqlite":
        url = str(tmp_path_factory.mktemp("hq") / "hq.db")
    else:
        require_pg()
        url = pg_url("hqt")
    db = open_db(url)
    srv = ServerThread(db).start()
    yield srv
    srv.stop()
    db.drop_pg_schema()
    db.dispose()


@pytest.fixture(scope="module")
def sqlite_hq(tmp_path_factory):
    db = open_db(str(tmp_path_factory.mktemp("hq") / "hq.db"))
    srv = ServerThread(db).start()
    yield srv
    srv.stop()
    db.dispose()
