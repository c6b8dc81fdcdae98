"""Shared fixtures: initialised device data directories and the `lapas` command as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def lapas(*args: str, env: dict | None = None, timeout: float = 60, check: bool = False,
          input: str | None = None) -> subprocess.CompletedProcess:
    """Run the real `lapas` CLI in a subprocess (python -m lapas), capturing text output."""
    full_env = {k: v for k, v in os.environ.items() if k != "LAPAS_HOME"}
    full_env.update({"PYTHONUNBUFFERED": "1", **(env or {})})
    proc = subprocess.run([sys.executable, "-m", "lapas", *args], capture_output=True, text=True,
                          timeout=timeout, env=full_env, input=input, cwd=ROOT)
    if check and proc.returncode != 0:
        raise AssertionError(f"lapas {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture
def run_lapas():
    return lapas


def init_device(data_dir: Path, *extra: str) -> Path:
    """`lapas init` into ``data_dir`` (a real subprocess) and return it."""
    lapas("init", "--data-dir", str(data_dir), *extra, check=True)
    return data_dir


@pytest.fixture
def device_dir(tmp_path: Path) -> Path:
    """An initialised kiosk data directory (config, database, key) made by the real `lapas init`."""
    return init_device(tmp_path / "kiosk")


@pytest.fixture
def device(device_dir: Path):
    """(config, store) of an initialised device; the store is closed afterwards."""
    from kiosk import config
    from kiosk.store import Store

    cfg = config.load(device_dir)
    store = Store(cfg.db_path, cfg.device.device_id)
    yield cfg, store
    store.close()


def fresh_hq_db(kind: str, tmp_path: Path, schema: str):
    """A fresh HQ database: a SQLite file under ``tmp_path``, or a PostgreSQL schema (``kind`` "postgres";
    skipped, or failed under ``LAPAS_REQUIRE_PG=1``, when ``LAPAS_TEST_PG`` is not reachable). Drop it with
    ``db.drop_pg_schema(); db.dispose()``."""
    from tests.support.hqproc import open_db, pg_url, require_pg

    if kind == "sqlite":
        return open_db(str(tmp_path / "hq.db"))
    require_pg()
    return open_db(pg_url(schema))
