"""kill -9 of the real `lapas sync` process at the three dangerous points, many times: HQ ends with every
event exactly once, in seq order, and the outbox converges to all sent."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.support.hqproc import enqueue, hq_events, outbox_states, run_sync, spawn_sync

POINTS = ("after_read", "after_post", "during_mark")


def kill_at(cfg, point: str, at: int) -> None:
    """Start `lapas sync --once` paused at ``point`` (its ``at``-th time), then SIGKILL it there."""
    marker = cfg.run_dir / f"fault-{point}"
    marker.unlink(missing_ok=True)
    proc = spawn_sync(cfg, "--once", env={"LAPAS_FAULT": point, "LAPAS_FAULT_AT": str(at)})
    deadline = time.monotonic() + 30
    while not marker.exists():
        if proc.poll() is not None:  # nothing left to do before reaching the point
            return
        assert time.monotonic() < deadline, "daemon never reached the fault point"
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert proc.returncode == -signal.SIGKILL


def assert_exactly_once(db, cfg, ids):
    stored = hq_events(db, cfg.device.device_id)
    stored_ids = [e["event_id"] for e in stored]
    assert len(stored_ids) == len(set(stored_ids)), "HQ holds an event twice"
    assert set(stored_ids) == set(outbox_states(cfg)), "HQ and the outbox differ"
    seqs = [e["seq"] for e in stored]
    assert seqs == sorted(seqs), "HQ received events out of seq order"
    assert set(ids) <= set(stored_ids)


@pytest.mark.parametrize("point", POINTS)
def test_kill9_at_each_point_then_converges(hq, device, point):
    db, _ = hq
    ids = enqueue(device, 450)
    for at in (1, 2, 3):
        kill_at(device, point, at)
    before = hq_events(db, device.device.device_id)
    if point == "after_read":
        assert len(before) < 451  # killed before any POST of the later batches
    res = run_sync(device, "--once")
    assert res.returncode == 0, res.stderr
    assert set(outbox_states(device).values()) == {"sent"}
    assert_exactly_once(db, device, ids)


@pytest.mark.slow
def test_kill9_many_times_random_points(hq, device):
    import random

    db, _ = hq
    rnd = random.Random(7)
    ids = enqueue(device, 1200)
    for round_ in range(12):
        kill_at(device, rnd.choice(POINTS), rnd.randint(1, 3))
        if round_ % 4 == 3:
            ids += enqueue(device, 50, start=10_000 + round_ * 50)
    assert run_sync(device, "--once").returncode == 0
    assert set(outbox_states(device).values()) == {"sent"}
    assert_exactly_once(db, device, ids)


@pytest.mark.postgres
def test_kill9_with_postgresql_behind_hq(hq_pg, tmp_path):
    from tests.support.hqproc import make_device

    db, proc = hq_pg
    cfg = make_device(tmp_path / "dev", db, proc.url, batch_size=100)
    ids = enqueue(cfg, 350, kind="visit")
    for point, at in (("after_post", 1), ("during_mark", 2), ("after_read", 3), ("after_post", 3)):
        kill_at(cfg, point, at)
    res = run_sync(cfg, "--once")
    assert res.returncode == 0, res.stderr
    assert set(outbox_states(cfg).values()) == {"sent"}
    assert_exactly_once(db, cfg, ids)
