"""Two batches in flight (``sync.in_flight``): HQ stores a batch sent with ``after_seq`` only after the batch
it follows, so an overtaking batch waits, and one that follows a batch that never arrives is refused whole with
409 out_of_order; the daemon then sends it again on its own. Real HQ process, real HTTP, a real slow link."""

from __future__ import annotations

import json
import threading
import time

import pytest

from core import identity
from hq import ordering
from kiosk import config as config_mod
from kiosk.domain.reference import apply_reference
from kiosk.store import Store, outbox
from sync.backoff import VirtualClock
from sync.client import BatchOutOfOrder, HQClient
from sync.daemon import Daemon
from tests.support.faultproxy import FaultProxy
from tests.support.hqproc import enqueue, hq_events, make_device, outbox_states


def client_for(cfg, url) -> HQClient:
    return HQClient(url, cfg.device.device_id, identity.load(cfg.keys_dir), timeout=10)


def batches(cfg, *sizes):
    with Store(cfg.db_path, cfg.device.device_id) as store:
        events = outbox.pending_batch(store.conn, 10_000)
    out, i = [], 0
    for n in sizes:
        out.append(events[i:i + n])
        i += n
    return out


def body(cfg, events, after_seq=None) -> bytes:
    doc = {"device_id": cfg.device.device_id, "events": events}
    if after_seq is not None:
        doc["after_seq"] = after_seq
    return json.dumps(doc).encode()


def _wait_for_log(proc, text: str, timeout: float = 10) -> None:
    """Until HQ's log says ``text`` (the event itself, not a guess at how long it takes)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.log_path and text in proc.log_path.read_text(encoding="utf-8", errors="replace"):
            return
        time.sleep(0.02)
    raise AssertionError(f"HQ never logged {text!r}")


def test_an_overtaking_batch_waits_for_the_one_before(hq, device):
    db, proc = hq
    enqueue(device, 40)
    first, second = batches(device, 21, 20)  # 40 events + the device.initialised event
    c1, c2 = client_for(device, proc.url), client_for(device, proc.url)
    answers = {}

    def send_second():
        t0 = time.monotonic()
        answers["second"] = c2.post_encoded(body(device, second, after_seq=first[-1]["seq"]))
        answers["second_s"] = time.monotonic() - t0

    t = threading.Thread(target=send_second)
    t.start()
    _wait_for_log(proc, "waits for the batch it follows")  # the second batch is at HQ, waiting
    assert "second" not in answers  # held: not answered while the batch it follows has not arrived
    answers["first"] = c1.post_encoded(body(device, first))
    t.join(10)
    assert {r["status"] for r in answers["first"]["results"]} == {"accepted"}
    assert {r["status"] for r in answers["second"]["results"]} == {"accepted"}
    stored = hq_events(db, device.device.device_id)
    assert [e["seq"] for e in stored] == [e["seq"] for e in first + second]  # stored in seq order


def test_a_batch_after_one_that_never_arrives_is_refused_whole(hq, device):
    db, proc = hq
    enqueue(device, 30)
    first, second = batches(device, 11, 20)
    c = client_for(device, proc.url)
    t0 = time.monotonic()
    with pytest.raises(BatchOutOfOrder) as err:
        c.post_encoded(body(device, second, after_seq=first[-1]["seq"]))
    waited = time.monotonic() - t0
    assert err.value.code == "out_of_order" and f"seq {first[-1]['seq']}" in str(err.value)
    assert ordering.ORDER_WAIT_S <= waited < ordering.ORDER_WAIT_S + 3
    assert hq_events(db, device.device.device_id) == []  # nothing of it was stored
    # once the batch before it is in, the same batch is stored
    assert {r["status"] for r in c.post_encoded(body(device, first))["results"]} == {"accepted"}
    again = c.post_encoded(body(device, second, after_seq=first[-1]["seq"]))
    assert {r["status"] for r in again["results"]} == {"accepted"}
    assert len(hq_events(db, device.device.device_id)) == 31


def drain(cfg, url, in_flight=2, timeout_s=10.0):
    cfg = config_mod.load(cfg.data_dir)
    cfg.hq.url, cfg.hq.timeout_s, cfg.sync.in_flight = url, timeout_s, in_flight
    d = Daemon(cfg, clock=VirtualClock(), batch_size=50, apply_reference=apply_reference)
    try:
        ok = d.run_once()
    finally:
        d.close()
    return ok, d


def check_exactly_once_in_order(db, cfg, n):
    stored = hq_events(db, cfg.device.device_id)
    seqs = [e["seq"] for e in stored]
    assert len(seqs) == n + 1 == len(set(seqs))
    assert seqs == sorted(seqs)  # HQ stored them in seq order
    assert set(outbox_states(cfg).values()) == {"sent"}


@pytest.mark.parametrize("in_flight", [1, 2, 4])
def test_the_daemon_drains_in_order_with_any_window(hq, tmp_path, in_flight):
    db, proc = hq
    cfg = make_device(tmp_path / "dev", db, proc.url)
    enqueue(cfg, 420)
    ok, d = drain(cfg, proc.url, in_flight)
    assert ok and d.status["pending"] == 0 and d.status["last_error"] is None
    check_exactly_once_in_order(db, cfg, 420)


def test_a_slow_link_under_the_first_batch_keeps_the_order(hq, tmp_path):
    db, proc = hq
    cfg = make_device(tmp_path / "dev", db, proc.url)
    enqueue(cfg, 200)
    with FaultProxy(proc.port, lambda i: "late" if i == 0 else "pass", delay_s=0.5) as proxy:
        ok, d = drain(cfg, proxy.url)
    assert proxy.log[0] == "late"
    assert ok and d.status["pending"] == 0
    check_exactly_once_in_order(db, cfg, 200)


def test_a_batch_hq_gave_up_on_is_sent_again_alone(hq, tmp_path, caplog):
    db, proc = hq
    cfg = make_device(tmp_path / "dev", db, proc.url)
    enqueue(cfg, 200)
    # the first batch reaches HQ only after the second has waited ORDER_WAIT_S and been refused
    with FaultProxy(proc.port, lambda i: "late" if i == 0 else "pass", delay_s=ordering.ORDER_WAIT_S + 1) as proxy:
        with caplog.at_level("INFO", logger="lapas.sync"):
            ok, d = drain(cfg, proxy.url)
    assert ok, d.status["last_error"]  # not a failed cycle: no backoff
    assert d.status["failures"] == 0 and d.status["pending"] == 0
    assert "refused as out of order; resending it alone" in caplog.text
    check_exactly_once_in_order(db, cfg, 200)


@pytest.mark.postgres
def test_two_in_flight_keep_the_order_on_postgresql(hq_pg, tmp_path):
    db, proc = hq_pg
    cfg = make_device(tmp_path / "dev", db, proc.url)
    enqueue(cfg, 2000, kind="visit", per_tx=2000)
    ok, d = drain(cfg, proc.url, in_flight=2)
    assert ok and d.status["pending"] == 0 and d.status["last_error"] is None
    check_exactly_once_in_order(db, cfg, 2000)
    log = proc.log_path.read_text()
    assert "out_of_order" not in log and "Traceback" not in log


def test_large_events_split_batches_and_an_oversized_one_is_dead_lettered(hq, tmp_path):
    from core import protocol
    from core.events import ProbeRecorded

    db, proc = hq
    cfg = make_device(tmp_path / "dev", db, proc.url)
    with Store(cfg.db_path, cfg.device.device_id) as store:
        for i in range(12):  # 12 x 300 KB: one 50-event read would be a 3.6 MB body
            with store.transaction() as tx:
                tx.emit(ProbeRecorded(f"big{i}", i, note="x" * 300_000))
        with store.transaction() as tx:
            tx.emit(ProbeRecorded("huge", 99, note="y" * (protocol.MAX_BODY_BYTES + 10)))
        with store.transaction() as tx:
            tx.emit(ProbeRecorded("after", 100))
    ok, d = drain(cfg, proc.url)
    assert ok and d.status["pending"] == 0 and d.status["dead_letters"] == 1
    states = outbox_states(cfg)
    assert list(states.values()).count("rejected") == 1 and list(states.values()).count("sent") == 14
    stored = hq_events(db, cfg.device.device_id)
    assert len(stored) == 14 and [e["seq"] for e in stored] == sorted(e["seq"] for e in stored)


def test_no_http_client_carries_two_requests_at_once(hq, tmp_path, monkeypatch):
    """Each in-flight request has a client (a requests session) of its own: sessions are not shared between
    threads."""
    db, proc = hq
    cfg = make_device(tmp_path / "dev", db, proc.url)
    enqueue(cfg, 600)
    busy: set[int] = set()
    clash: list[int] = []
    lock = threading.Lock()
    real = HQClient.post_encoded

    def watched(self, body, device_id=None):
        with lock:
            if id(self) in busy:
                clash.append(id(self))
            busy.add(id(self))
        try:
            return real(self, body, device_id)
        finally:
            with lock:
                busy.discard(id(self))

    monkeypatch.setattr(HQClient, "post_encoded", watched)
    ok, d = drain(cfg, proc.url, in_flight=3)
    assert ok and d.status["pending"] == 0
    assert clash == []
    check_exactly_once_in_order(db, cfg, 600)
