"""A hypothesis state machine over enqueue / send / fail / crash against a real HQ process: HQ's events are
always a subset of the device's outbox with no duplicates, and equal to it once the queue is quiet."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from kiosk import config as config_mod
from kiosk.domain.reference import apply_reference
from kiosk.store import connect, outbox
from sync.client import SyncError
from sync.daemon import Daemon
from tests.support.faultproxy import FaultProxy
from tests.support.hqproc import enqueue, hq_events, make_device, outbox_states


def test_outbox_and_hq_agree_under_faults(hq, tmp_path_factory):
    db, proc = hq
    mode = ["pass"]
    proxy = FaultProxy(proc.port, lambda n: mode[0], delay_s=1.5).start()

    class SyncMachine(RuleBasedStateMachine):
        @initialize()
        def device(self):
            cfg = make_device(tmp_path_factory.mktemp("sm") / "d", db, proc.url, batch_size=7, timeout_s=1.0)
            self.cfg = config_mod.load(cfg.data_dir)
            self.daemon = Daemon(self.cfg, apply_reference=apply_reference)
            self.n = 0

        def teardown(self):
            if hasattr(self, "daemon"):
                self.daemon.close()

        @rule(n=st.integers(1, 25))
        def enqueue(self, n):
            enqueue(self.cfg, n, start=self.n)
            self.n += n

        @rule()
        def send(self):
            self.daemon.client.base = proc.url
            self.daemon.push()
            assert self.daemon.status is not None
            assert outbox.stats(self.daemon.conn)["pending"] == 0
            self.quiet_check()

        @rule(fault=st.sampled_from(["reset", "drop", "truncate", "delay", "duplicate"]))
        def fail(self, fault):
            self.daemon.client.base = proxy.url
            mode[0] = fault
            try:
                self.daemon.push()
            except SyncError:
                pass
            finally:
                mode[0] = "pass"

        @rule(marked=st.integers(0, 6))
        def crash_after_post(self, marked):
            """HQ commits a batch; the daemon dies during (or before) its mark: the mark never commits."""
            batch = outbox.pending_batch(self.daemon.conn, 7)
            if not batch:
                return
            answer = self.daemon.client.post_events(batch)
            conn = connect(self.cfg.db_path)
            conn.execute("BEGIN IMMEDIATE")
            for r in answer["results"][:marked]:
                conn.execute("UPDATE outbox SET state = 'sent' WHERE event_id = ?", (r["event_id"],))
            conn.close()  # like kill -9 mid-transaction: nothing of the mark survives

        @invariant()
        def hq_is_a_subset_without_duplicates(self):
            if not hasattr(self, "cfg"):
                return
            stored = [e["event_id"] for e in hq_events(db, self.cfg.device.device_id)]
            assert len(stored) == len(set(stored)), "HQ holds an event twice"
            assert set(stored) <= set(outbox_states(self.cfg)), "HQ holds an event the device never made"

        def quiet_check(self):
            stored = {e["event_id"] for e in hq_events(db, self.cfg.device.device_id)}
            states = outbox_states(self.cfg)
            assert stored == set(states), "quiet queue but HQ differs from the outbox"
            assert set(states.values()) == {"sent"}

    SyncMachine.TestCase.settings = settings(max_examples=15, stateful_step_count=12, deadline=None,
                                             suppress_health_check=list(HealthCheck), database=None)
    try:
        SyncMachine.TestCase().runTest()
        assert len(set(proxy.log) - {"pass"}) >= 3, proxy.log  # the faults were really exercised
    finally:
        proxy.close()
