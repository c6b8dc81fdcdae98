"""Reference data over HTTP: full snapshot, deltas with only the changed sections, ETag/304, revoked keys
leaving the trusted keys, and the device applying it (a stale delta falls back to a full snapshot)."""

from __future__ import annotations

import json

import pytest
import requests

from core import identity, protocol
from core.identity import unb64u
from hq import enrolment, operators
from kiosk import config as config_mod
from kiosk.domain.reference import apply_reference, banned_hash
from kiosk.store import Store
from sync.client import HQClient
from sync.daemon import Daemon
from tests.support.hqproc import make_device


def client(cfg, url):
    return HQClient(url, cfg.device.device_id, identity.load(cfg.keys_dir), timeout=5)


@pytest.fixture
def facility(hq_server, tmp_path):
    fid = "LPS-R" + tmp_path.name[-8:].upper().replace("_", "")
    with hq_server.db.write() as conn:
        operators.add_facility(conn, fid, "Lapas Referensi", city="Malang", room_capacity=80)
        operators.import_inmates(conn, fid, "id,reg_no,name,code\ninm-1,BI.1/2025,Ahmad,B\n")
    return fid


def test_full_then_delta_then_304(hq_server, tmp_path, facility):
    db, url = hq_server.db, hq_server.url
    kiosk = make_device(tmp_path / "k", db, url, facility_id=facility)
    c = client(kiosk, url)
    full, etag = c.get_reference(None)
    assert full["kind"] == "full" and full["facility"]["room_capacity"] == 80
    assert [i["name"] for i in full["inmates"]] == ["Ahmad"]
    assert kiosk.device.device_id in {k["device_id"] for k in full["trusted_keys"]}
    v = full["version"]
    same, etag2 = c.get_reference(v, etag)
    assert same is None and etag2 == etag  # 304: nothing changed
    with db.write() as conn:
        operators.ban(conn, facility, "3524011203900009", "membawa barang terlarang")
    delta, etag3 = c.get_reference(v, etag)
    assert delta["kind"] == "delta" and delta["since"] == v and delta["version"] > v
    assert set(delta) - {"format", "facility_id", "version", "as_of", "kind", "since"} == {"banned_visitors"}
    key = unb64u(full["privacy"]["visitor_hash_key"])  # the facility's key, sent only to its own devices
    assert delta["banned_visitors"][0]["nik_hash"] == banned_hash(key, "3524011203900009")
    assert "3524011203900009" not in json.dumps(delta)
    assert etag3 != etag


def test_revoked_device_leaves_trusted_keys(hq_server, tmp_path, facility):
    db, url = hq_server.db, hq_server.url
    a = make_device(tmp_path / "a", db, url, facility_id=facility)
    b = make_device(tmp_path / "b", db, url, facility_id=facility, role="guard")
    with db.write() as conn:
        enrolment.revoke(conn, a.device.device_id)
    doc, _ = client(b, url).get_reference(None)
    ids = {k["device_id"] for k in doc["trusted_keys"]}
    assert b.device.device_id in ids and a.device.device_id not in ids


def test_daemon_applies_reference_and_recovers_from_a_stale_delta(hq_server, tmp_path, facility):
    db, url = hq_server.db, hq_server.url
    guard = make_device(tmp_path / "g", db, url, facility_id=facility, role="guard")
    d = Daemon(config_mod.load(guard.data_dir), apply_reference=apply_reference)
    try:
        assert d.run_once()
        v1 = d.status["reference_version"]
        with Store(guard.db_path, guard.device.device_id) as store:
            assert store.scalar("SELECT count(*) FROM ref_inmates") == 1
            store.set_meta("reference_version", str(v1 - 1))  # the device thinks it is one version behind
        with db.write() as conn:
            operators.import_inmates(conn, facility, "id,reg_no,name,code\ninm-2,BI.2/2025,Budi,A\n")
        assert d.run_once(), d.status  # the delta does not apply on v1-1: the daemon fetches a full snapshot
        with Store(guard.db_path, guard.device.device_id) as store:
            assert store.scalar("SELECT count(*) FROM ref_inmates") == 2
        assert d.status["reference_version"] > v1
    finally:
        d.close()


def test_reference_requires_a_signature(hq_server):
    r = requests.get(hq_server.url + "/v1/reference", timeout=5)
    assert r.status_code == 401 and r.json()["code"] == "missing_auth"


def test_enrolment_must_be_signed_by_the_registered_key(hq_server, tmp_path, facility):
    db, url = hq_server.db, hq_server.url
    dev = make_device(tmp_path / "d", db, url, facility_id=facility, enroll=False)
    with db.write() as conn:
        code, _ = enrolment.create_code(conn, facility)
    other = identity.create(tmp_path / "other")
    body = json.dumps({"code": code, "device_id": dev.device.device_id, "role": "kiosk",
                       "public_key": identity.load(dev.keys_dir).public_b64}).encode()
    import time

    headers = protocol.sign_headers(other, dev.device.device_id, "POST", "/v1/enroll", body, int(time.time()))
    headers["Content-Type"] = "application/json"
    r = requests.post(url + "/v1/enroll", data=body, headers=headers, timeout=5)
    assert r.status_code == 401 and r.json()["code"] == "bad_signature"
    assert client(dev, url).enroll(code, "kiosk")["facility_id"] == facility  # the code is still unused


def test_refused_reference_is_reported_and_events_still_flow(hq_server, tmp_path, facility):
    from tests.support.hqproc import enqueue, hq_events

    db, url = hq_server.db, hq_server.url
    kiosk = make_device(tmp_path / "k", db, url, facility_id=facility)
    with Store(kiosk.db_path, kiosk.device.device_id) as store:
        store.set_meta("reference_facility", "LPS-ELSEWHERE")  # data of another facility is loaded
    enqueue(kiosk, 5)
    d = Daemon(config_mod.load(kiosk.data_dir), apply_reference=apply_reference)
    try:
        assert d.run_once()  # HQ took the events: not a sync failure
        assert d.status["pending"] == 0 and d.status["last_error"] is None
        assert d.status["reference_error"]["code"] == "reference_invalid"
        assert "LPS-ELSEWHERE" in d.status["reference_error"]["message"]
    finally:
        d.close()
    assert len(hq_events(db, kiosk.device.device_id)) == 6
