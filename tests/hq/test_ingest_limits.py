"""Ingest edges: oversized bodies and batches are refused whole (413 / 422) before any work; a projection that
crashes on one event dead-letters that event only (the rest of the batch is stored, the queue moves on)."""

from __future__ import annotations

import json
import time

import requests

from core import identity, protocol
from hq import projections
from kiosk.store import Store, outbox
from sync.client import HQClient
from tests.support.hqproc import enqueue, hq_events, make_device


def signed(cfg, url, body: bytes):
    headers = protocol.sign_headers(identity.load(cfg.keys_dir), cfg.device.device_id, "POST", "/v1/events", body,
                                    int(time.time()))
    headers["Content-Type"] = "application/json"
    return requests.post(url + "/v1/events", data=body, headers=headers, timeout=10)


def test_oversized_body_and_batch_are_refused(sqlite_hq, tmp_path):
    cfg = make_device(tmp_path / "d", sqlite_hq.db, sqlite_hq.url)
    big = json.dumps({"device_id": cfg.device.device_id, "events": [
        {"seq": 1, "event_id": "x", "type": "probe.recorded", "payload": {"note": "n" * 3_000_000},
         "created_at": "2026-11-29T00:00:00.000Z"}]}).encode()
    r = signed(cfg, sqlite_hq.url, big)
    assert r.status_code == 413 and r.json()["code"] == "batch_too_large"
    many = json.dumps({"device_id": cfg.device.device_id, "events": [
        {"seq": i, "event_id": f"e{i}", "type": "probe.recorded", "payload": {"probe_id": "p", "n": i},
         "created_at": "2026-11-29T00:00:00.000Z"} for i in range(1, 502)]}).encode()
    r = signed(cfg, sqlite_hq.url, many)
    assert r.status_code == 422 and r.json()["code"] == "bad_request" and "events" in r.json()["message"]
    assert hq_events(sqlite_hq.db, cfg.device.device_id) == []


def test_a_crashing_projection_dead_letters_only_its_event(sqlite_hq, tmp_path, monkeypatch):
    def fragile(ctx, p, meta):
        if p["n"] == 3:
            raise ZeroDivisionError("bug in a projection")
        return None

    projections.load_modules()
    monkeypatch.setitem(projections.PROJECTIONS, "probe.recorded", fragile)
    cfg = make_device(tmp_path / "d", sqlite_hq.db, sqlite_hq.url)
    enqueue(cfg, 6)
    with Store(cfg.db_path, cfg.device.device_id) as store:
        batch = outbox.pending_batch(store.conn, 100)
    answer = HQClient(sqlite_hq.url, cfg.device.device_id, identity.load(cfg.keys_dir)).post_events(batch)
    by_n = {e["payload"].get("n"): r for e, r in zip(sorted(batch, key=lambda e: e["seq"]), answer["results"],
                                                    strict=True)}
    assert by_n[3]["status"] == "rejected" and by_n[3]["code"] == "internal_error"
    assert [by_n[n]["status"] for n in (0, 1, 2, 4, 5)] == ["accepted"] * 5
    assert len(hq_events(sqlite_hq.db, cfg.device.device_id)) == 7


def test_an_event_id_held_by_another_device_is_refused_not_stored(hq_server, tmp_path):
    a = make_device(tmp_path / "a", hq_server.db, hq_server.url)
    b = make_device(tmp_path / "b", hq_server.db, hq_server.url)
    enqueue(a, 2)
    enqueue(b, 2)
    with Store(a.db_path, a.device.device_id) as store:
        batch_a = outbox.pending_batch(store.conn, 10)
    with Store(b.db_path, b.device.device_id) as store:
        batch_b = outbox.pending_batch(store.conn, 10)
    HQClient(hq_server.url, a.device.device_id, identity.load(a.keys_dir)).post_events(batch_a)
    batch_b[1] = {**batch_b[1], "event_id": batch_a[1]["event_id"]}  # a copied (or colliding) event id
    answer = HQClient(hq_server.url, b.device.device_id, identity.load(b.keys_dir)).post_events(batch_b)
    got = {r["seq"]: r for r in answer["results"]}
    assert got[batch_b[1]["seq"]]["code"] == "event_id_conflict"
    assert got[batch_b[0]["seq"]]["status"] == "accepted" and got[batch_b[2]["seq"]]["status"] == "accepted"
    assert len(hq_events(hq_server.db, b.device.device_id)) == 2
    assert len(hq_events(hq_server.db, a.device.device_id)) == 3
