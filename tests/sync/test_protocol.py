"""The wire protocol against a real HQ process: ordering, invalid events, clock skew, forged, replayed
and impersonating requests, revoked devices, enrolment codes, and one daemon per database."""

from __future__ import annotations

import json
import time

import pytest
import requests

from core import identity, protocol
from hq import enrolment
from kiosk.store import Store, outbox
from sync.client import HQClient, Refused
from tests.support.hqproc import enqueue, hq_events, make_device, outbox_states, run_sync, spawn_sync


def client_for(cfg, url, clock=time.time) -> HQClient:
    return HQClient(url, cfg.device.device_id, identity.load(cfg.keys_dir), timeout=5, clock=clock)


def pending(cfg, limit=1000):
    with Store(cfg.db_path, cfg.device.device_id) as store:
        return outbox.pending_batch(store.conn, limit)


def test_reordered_batches_are_stored_once_each(hq, device):
    db, proc = hq
    enqueue(device, 30)
    events = pending(device)
    c = client_for(device, proc.url)
    late = c.post_events(events[20:][::-1])  # a later batch first, reversed inside
    assert {r["status"] for r in late["results"]} == {"accepted"}
    early = c.post_events(events[:20][::-1] + events[25:27])  # the rest, plus two repeats
    by_status = {}
    for r in early["results"]:
        by_status.setdefault(r["status"], []).append(r["seq"])
    assert sorted(by_status["duplicate"]) == [events[25]["seq"], events[26]["seq"]]
    assert len(by_status["accepted"]) == 20
    assert early["high_water_seq"] == events[-1]["seq"]
    stored = hq_events(db, device.device.device_id)
    assert sorted(e["seq"] for e in stored) == [e["seq"] for e in events]


def test_one_invalid_event_is_dead_lettered_and_the_rest_accepted(hq, device):
    db, proc = hq
    enqueue(device, 5)
    events = pending(device)
    events[2] = {**events[2], "payload": {"probe_id": "x", "n": "not a number"}}
    events[3] = {**events[3], "type": "no.such.type"}
    answer = client_for(device, proc.url).post_events(events)
    got = {r["seq"]: r for r in answer["results"]}
    assert got[events[2]["seq"]]["status"] == "rejected"
    assert got[events[2]["seq"]]["code"] == "invalid_payload" and "n" in got[events[2]["seq"]]["message"]
    assert got[events[3]["seq"]]["code"] == "unknown_type"
    assert [got[e["seq"]]["status"] for e in events].count("accepted") == 4
    # resending returns the stored outcome: the same rejection, duplicates for the rest
    again = {r["seq"]: r for r in client_for(device, proc.url).post_events(events)["results"]}
    assert again[events[2]["seq"]]["code"] == "invalid_payload"
    assert again[events[0]["seq"]]["status"] == "duplicate"


def test_daemon_dead_letters_a_rejected_event_and_keeps_going(hq, device):
    db, proc = hq
    with Store(device.db_path, device.device.device_id) as store, store.transaction() as tx:
        from core.events import VisitCheckedIn

        tx.emit(VisitCheckedIn("v-1", "LPS-OTHER", 2, "2026-11-29T02:00:00.000Z"))  # another facility's visit
    enqueue(device, 10)
    res = run_sync(device, "--once")
    assert res.returncode == 0, res.stderr
    status = json.loads(res.stdout)
    assert status["pending"] == 0 and status["dead_letters"] == 1
    states = outbox_states(device)
    assert list(states.values()).count("rejected") == 1 and list(states.values()).count("sent") == 11
    with Store(device.db_path, device.device.device_id) as store:
        dead = outbox.dead_letters(store.conn)
    assert dead[0]["code"] == "wrong_facility"


@pytest.mark.parametrize("offset_s", [3 * 3600, -365 * 86400])
def test_device_clock_far_off_still_syncs_and_hq_records_skew(hq, tmp_path, offset_s):
    db, proc = hq
    cfg = make_device(tmp_path / "dev", db, proc.url)
    enqueue(cfg, 3)
    c = client_for(cfg, proc.url, clock=lambda: time.time() + offset_s)
    answer = c.post_events(pending(cfg))
    assert {r["status"] for r in answer["results"]} == {"accepted"}
    assert abs(c.offset + offset_s) < 5  # learned HQ's time from the clock_skew answer
    from hq.operators import list_devices

    with db.read() as conn:
        dev = next(d for d in list_devices(conn) if d["device_id"] == cfg.device.device_id)
    assert abs(dev["last_skew_s"] - offset_s) < 5


def signed_post(cfg, url, body: bytes, key=None, device_id=None, ts=None, nonce=None):
    key = key or identity.load(cfg.keys_dir)
    headers = protocol.sign_headers(key, device_id or cfg.device.device_id, "POST", "/v1/events", body,
                                    ts or int(time.time()), nonce)
    headers["Content-Type"] = "application/json"
    return requests.post(url + "/v1/events", data=body, headers=headers, timeout=5)


def body_for(cfg, events, device_id=None):
    return json.dumps({"device_id": device_id or cfg.device.device_id, "events": events}).encode()


def test_forged_replayed_and_impersonating_requests_are_refused(hq_any, tmp_path):
    db, proc = hq_any
    a = make_device(tmp_path / "a", db, proc.url)
    b = make_device(tmp_path / "b", db, proc.url)
    enqueue(a, 2)
    events = pending(a)
    # forged: signed with a key HQ does not know for this device
    nonce = protocol.new_nonce()
    forged = signed_post(a, proc.url, body_for(a, events), key=identity.create(tmp_path / "otherkey"), nonce=nonce)
    assert forged.status_code == 401 and forged.json()["code"] == "bad_signature"
    # tampered: a valid signature over another body
    headers = protocol.sign_headers(identity.load(a.keys_dir), a.device.device_id, "POST", "/v1/events",
                                    body_for(a, events[:1]), int(time.time()))
    headers["Content-Type"] = "application/json"
    tampered = requests.post(proc.url + "/v1/events", data=body_for(a, events), headers=headers, timeout=5)
    assert tampered.status_code == 401
    # replayed: the same signed request twice (its nonce is the forged request's: a refused request claims none)
    ts = int(time.time())
    first = signed_post(a, proc.url, body_for(a, events), ts=ts, nonce=nonce)
    assert first.status_code == 200
    replay = signed_post(a, proc.url, body_for(a, events), ts=ts, nonce=nonce)
    assert replay.status_code == 401 and replay.json()["code"] == "replayed"
    # impersonating: device b signs a batch claiming to be device a
    enqueue(b, 1)
    imp = signed_post(b, proc.url, body_for(b, pending(b), device_id=a.device.device_id),
                      key=identity.load(b.keys_dir), device_id=b.device.device_id)
    assert imp.status_code == 403 and imp.json()["code"] == "device_mismatch"
    # an old captured request outside the window
    stale = signed_post(a, proc.url, body_for(a, events), ts=int(time.time()) - 3600)
    assert stale.status_code == 401 and stale.json()["code"] == "clock_skew"
    assert len(hq_events(db, b.device.device_id)) == 0
    assert len(hq_events(db, a.device.device_id)) == 3


def test_revoked_device_is_refused_and_its_events_stay_queued(hq_any, tmp_path):
    db, proc = hq_any
    device = make_device(tmp_path / "dev", db, proc.url)
    with db.write() as conn:
        enrolment.revoke(conn, device.device.device_id)
    enqueue(device, 4)
    with pytest.raises(Refused) as exc:
        client_for(device, proc.url).post_events(pending(device))
    assert exc.value.code == "revoked" and exc.value.status == 403
    res = run_sync(device, "--once")
    assert res.returncode == 1
    status = json.loads(res.stdout)
    assert status["last_error"]["code"] == "revoked" and status["pending"] == 5


def test_enrolment_code_is_one_time_and_expires(hq, tmp_path):
    db, proc = hq
    from datetime import UTC, datetime, timedelta

    a = make_device(tmp_path / "a", db, proc.url, enroll=False)
    b = make_device(tmp_path / "b", db, proc.url, enroll=False)
    from tests.support.hqproc import ensure_facility

    ensure_facility(db, "LPS-TEST")
    with db.write() as conn:
        code, _ = enrolment.create_code(conn, "LPS-TEST")
        old, _ = enrolment.create_code(conn, "LPS-TEST", now=datetime.now(UTC) - timedelta(days=2))
    assert client_for(a, proc.url).enroll(code, "kiosk")["facility_id"] == "LPS-TEST"
    with pytest.raises(Refused) as used:
        client_for(b, proc.url).enroll(code, "kiosk")
    assert used.value.code == "code_used"
    with pytest.raises(Refused) as expired:
        client_for(b, proc.url).enroll(old, "kiosk")
    assert expired.value.code == "code_expired"


def test_two_daemons_on_one_database_only_one_runs(hq, device):
    first = spawn_sync(device)
    try:
        deadline = time.monotonic() + 20
        while not (device.run_dir / "sync.lock").exists() or not (device.run_dir / "sync.lock").read_text():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        second = run_sync(device, "--once", timeout=30)
        assert second.returncode == 2
        assert "already running" in second.stderr and str(first.pid) in second.stderr
    finally:
        first.terminate()
        first.wait(10)
    assert first.returncode == 0  # SIGTERM stops the daemon cleanly
    assert run_sync(device, "--once").returncode == 0  # the lock is free again
