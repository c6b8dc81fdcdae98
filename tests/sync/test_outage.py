"""HQ down for days with a large queue (injectable clock): backoff stays capped and jittered, memory stays
bounded, and once HQ is back the queue drains in seq order with every event exactly once."""

from __future__ import annotations

import multiprocessing
import os
import statistics
import threading

import psutil
import pytest

from kiosk import config as config_mod
from kiosk.domain.reference import apply_reference
from sync.backoff import Backoff, VirtualClock
from sync.daemon import Daemon
from tests.support.hqproc import HQProcess, enqueue, free_port, hq_events, make_device, outbox_states

DAY = 86400


def outage_then_drain(hq, tmp_path, n: int, days: float):
    db, proc = hq
    cfg = make_device(tmp_path / "dev", db, proc.url, batch_size=500, probe_s=30)
    enqueue(cfg, n, per_tx=5000)
    port = free_port()  # nothing listens here yet: HQ is "down"
    cfg = config_mod.load(cfg.data_dir)
    cfg.hq.url = f"http://127.0.0.1:{port}"
    clock = VirtualClock()
    start = clock.now()
    d = Daemon(cfg, clock=clock, apply_reference=apply_reference)
    planned = []  # the backoff delays the daemon chose (its waits are cut into health probes of sync.probe_s)
    choose = d.backoff.failure
    d.backoff.failure = lambda: planned.append(choose()) or planned[-1]
    me = psutil.Process()
    d.run(max_cycles=1)
    base_rss = me.memory_info().rss
    outage_peak = drain_peak = 0
    try:
        while clock.now() - start < days * DAY:
            d.run(max_cycles=1)
            assert d.status["last_error"]["code"] == "unreachable"
            outage_peak = max(outage_peak, me.memory_info().rss - base_rss)
        sleeps = list(planned)
        assert max(clock.sleeps) <= cfg.sync.probe_s  # HQ's health is asked at least every probe_s seconds
        assert d.status["pending"] == n + 1 and d.status["next_attempt_at"]
        with HQProcess(proc.db_url, port=port):  # HQ comes back on the same address
            stop = threading.Event()
            sampler = threading.Thread(target=_sample, args=(me, stop, peaks := []), daemon=True)
            sampler.start()
            d.run(max_cycles=1)
            stop.set()
            sampler.join()
            drain_peak = max(peaks, default=0) - base_rss
    finally:
        d.close()
    return {"sleeps": sleeps, "outage_peak": outage_peak, "drain_peak": drain_peak,
            "failures": d.backoff.failures, "status": d.status}


def run_isolated(hq, tmp_path, n: int, days: float):
    """Run the scenario in a forked child so the RSS figures are the daemon's alone: other tests' threads in this
    pytest worker (servers, readers) do not survive the fork and cannot inflate the measurement."""
    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)

    def child():
        try:
            send.send(("ok", outage_then_drain(hq, tmp_path, n, days)))
        except BaseException as exc:  # report, never hang the parent
            send.send(("error", f"{type(exc).__name__}: {exc}"))

    proc = ctx.Process(target=child)
    proc.start()
    if not recv.poll(600):
        proc.kill()
        raise AssertionError("outage scenario did not finish in 600 s")
    state, result = recv.recv()
    proc.join(30)
    assert state == "ok", result
    db, _ = hq
    cfg = config_mod.load(tmp_path / "dev")
    return db, cfg, result


def _sample(me, stop, peaks):
    while not stop.wait(0.05):
        peaks.append(me.memory_info().rss)


def check(db, cfg, r, n):
    sleeps, outage_peak, drain_peak = r["sleeps"], r["outage_peak"], r["drain_peak"]
    cap = cfg.sync.backoff_cap_s
    assert max(sleeps) <= cap
    late = sleeps[15:]  # once the window has reached the cap: full jitter over [0, cap]
    assert len(late) > 50
    assert 0.3 * cap < statistics.mean(late) < 0.7 * cap
    assert min(late) < 0.25 * cap and max(late) > 0.75 * cap  # jittered, not a fixed delay
    assert r["failures"] == 0 and r["status"]["last_error"] is None  # reset by the success
    assert r["status"]["pending"] == 0
    # the queue is never loaded whole: 100,000 events would take well over 100 MB as Python objects
    assert outage_peak < 16 * 2**20 and drain_peak < 40 * 2**20, (outage_peak, drain_peak)
    stored = hq_events(db, cfg.device.device_id)
    assert len(stored) == n + 1 == len({e["event_id"] for e in stored})
    assert [e["seq"] for e in stored] == sorted(e["seq"] for e in stored), "drained out of seq order"
    assert set(outbox_states(cfg).values()) == {"sent"}


def test_outage_of_a_day_then_drain(hq, tmp_path):
    n = 3000
    check(*run_isolated(hq, tmp_path, n, days=1), n)


@pytest.mark.slow
def test_outage_of_three_days_with_100k_queued(hq, tmp_path):
    n = int(os.environ.get("LAPAS_OUTAGE_EVENTS", "100000"))
    check(*run_isolated(hq, tmp_path, n, days=3), n)


def test_backoff_window_doubles_to_the_cap_and_resets():
    b = Backoff(1.0, 900.0, rng=lambda: 1.0)
    delays = [b.failure() for _ in range(14)]
    assert delays[:4] == [1, 2, 4, 8] and delays[-1] == 900 and max(delays) == 900
    b.success()
    assert b.failure() == 1
