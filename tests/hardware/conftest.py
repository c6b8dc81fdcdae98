"""Fixtures for the hardware tests: simulators as real processes, a device config + store, a clean log."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardware.simproc import spawn_printer_sim, spawn_scanner_sim
from kiosk.config import Config
from kiosk.store import Store


@pytest.fixture
def printer_sim(tmp_path: Path):
    """Factory: start ``hardware.sim_printer`` (a real process on a real pty); stopped afterwards."""
    started = []

    def start(*extra: str, out: Path | None = None, **kw):
        sim = spawn_printer_sim(out or tmp_path / "paper", *extra, **kw)
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


@pytest.fixture
def scanner_sim():
    started = []

    def start(*lines: str, **kw):
        sim = spawn_scanner_sim(*lines, **kw)
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


@pytest.fixture
def kiosk(tmp_path: Path):
    """(config, store) of a kiosk whose printer port is filled in by the test."""
    cfg = Config(data_dir=tmp_path / "kiosk")
    cfg.printer.status_timeout_s = 1.0
    store = Store(tmp_path / "kiosk" / "kiosk.db", "kiosk-test")
    yield cfg, store
    store.close()
