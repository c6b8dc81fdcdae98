"""A fault-injecting TCP proxy between the daemon and HQ (resets, answers dropped after HQ committed,
delays past the timeout, truncated bodies, duplicated requests): the effect is still exactly once."""

from __future__ import annotations

import pytest

from kiosk import config as config_mod
from kiosk.domain.reference import apply_reference
from sync.backoff import VirtualClock
from sync.daemon import Daemon
from tests.support.faultproxy import FaultProxy
from tests.support.hqproc import enqueue, hq_events, make_device, outbox_states


def drain_through(proxy_url, cfg, max_cycles=200):
    cfg.hq.url = proxy_url
    cfg.hq.timeout_s = 1.0
    clock = VirtualClock()
    d = Daemon(cfg, clock=clock, batch_size=50, apply_reference=apply_reference)
    failures = 0
    try:
        for _ in range(max_cycles):
            if d.run_once():
                if d.status["pending"] == 0:
                    break
            else:
                failures += 1
                d.backoff.failure()
    finally:
        d.close()
    return failures, d


@pytest.mark.parametrize("mode", ["reset", "drop", "delay", "truncate", "duplicate"])
def test_each_fault_mode_exactly_once(hq, tmp_path, mode):
    db, proc = hq
    cfg = make_device(tmp_path / "dev", db, proc.url)
    ids = enqueue(cfg, 230)
    # every other connection is faulty: pass, fault, pass, fault...
    with FaultProxy(proc.port, ["pass", mode], delay_s=1.6) as proxy:
        failures, d = drain_through(proxy.url, config_mod.load(cfg.data_dir))
    assert mode in proxy.log
    assert failures >= 1, "the fault never reached the daemon"
    stored = hq_events(db, cfg.device.device_id)
    stored_ids = [e["event_id"] for e in stored]
    assert len(stored_ids) == len(set(stored_ids))
    assert set(stored_ids) == set(outbox_states(cfg)) >= set(ids)
    assert set(outbox_states(cfg).values()) == {"sent"}
    assert [e["seq"] for e in stored] == sorted(e["seq"] for e in stored)


def test_mixed_faults_with_a_live_daemon_status(hq, tmp_path):
    db, proc = hq
    cfg = make_device(tmp_path / "dev", db, proc.url)
    enqueue(cfg, 400)
    plan = ["reset", "pass", "drop", "truncate", "pass", "delay", "duplicate", "pass"]
    with FaultProxy(proc.port, plan, delay_s=1.6) as proxy:
        failures, d = drain_through(proxy.url, config_mod.load(cfg.data_dir))
    assert failures >= 3
    assert d.status["pending"] == 0 and d.status["last_error"] is None and d.status["last_success"]
    stored = [e["event_id"] for e in hq_events(db, cfg.device.device_id)]
    assert sorted(stored) == sorted(outbox_states(cfg)) and len(stored) == len(set(stored)) == 401
