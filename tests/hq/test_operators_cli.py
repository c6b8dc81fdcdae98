"""Operators' commands through the real `lapas` CLI: facility, enrolment code + device enrolment, inmates CSV
(a bad file changes nothing and names the line), schedule, limits, ban, emergency close, revoke."""

from __future__ import annotations

import json

from core.identity import unb64u
from core.reference import validate_reference
from hq.db import open_db
from hq.reference import build
from kiosk.domain.reference import banned_hash
from tests.conftest import init_device, lapas
from tests.support.hqproc import HQProcess


def hq(db, *args, check=True):
    return lapas("hq", *args, "--db", str(db), check=check)


def test_operator_flow_and_clear_errors(tmp_path):
    db = tmp_path / "hq.db"
    hq(db, "facility", "add", "LPS-MLG", "--name", "Lapas Kelas I Malang", "--city", "Malang")
    dup = hq(db, "facility", "add", "LPS-MLG", "--name", "x", check=False)
    assert dup.returncode != 0 and "already exists" in dup.stderr

    good = tmp_path / "inmates.csv"
    good.write_text("id,reg_no,name,code,block,room\ninm-1,BI.1/2025,Ahmad,B,A,A-1\ninm-2,AI.7/2026,Budi,A,B,B-2\n")
    out = hq(db, "inmates", "import", "--facility", "LPS-MLG", str(good))
    assert "2 added" in out.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("id,reg_no,name,code\ninm-3,BI.3/2025,Candra,B\ninm-4,BI.4/2025,Dedi,X\n")
    res = hq(db, "inmates", "import", "--facility", "LPS-MLG", str(bad), check=False)
    assert res.returncode != 0 and "line 3" in res.stderr and "code must be A" in res.stderr

    sched = tmp_path / "s.json"
    sched.write_text(json.dumps({"sessions": {"P": {"label": "Pagi", "start": "09:00", "end": "08:00"}},
                                 "weekdays": {}}))
    res = hq(db, "schedule", "--facility", "LPS-MLG", str(sched), check=False)
    assert res.returncode != 0 and "start < end" in res.stderr
    sched.write_text(json.dumps({"sessions": {"P": {"label": "Pagi", "start": "08:00", "end": "11:00"}},
                                 "weekdays": {"2": [{"session": "P", "walk_in_quota": 5, "pre_registered_quota": 1,
                                                     "inmate_codes": ["B"]}]}}))
    hq(db, "schedule", "--facility", "LPS-MLG", str(sched))
    hq(db, "limits", "--facility", "LPS-MLG", "max_followers=2")
    assert hq(db, "limits", "--facility", "LPS-MLG", "bogus=1", check=False).returncode != 0
    hq(db, "ban", "--facility", "LPS-MLG", "--nik", "3524011203900009", "--reason", "narkoba")
    assert "16 digits" in hq(db, "ban", "--facility", "LPS-MLG", "--nik", "123", "--reason", "x",
                             check=False).stderr
    hq(db, "emergency", "--facility", "LPS-MLG", "--close", "--reason", "Razia")
    hq(db, "close-day", "--facility", "LPS-MLG", "--date", "2026-12-25", "--reason", "Hari Natal")

    d = open_db(str(db))
    with d.write() as conn:
        doc = build(conn, "LPS-MLG")
    d.dispose()
    assert [i["id"] for i in doc["inmates"]] == ["inm-1", "inm-2"]  # the bad file added nothing
    assert doc["schedule"]["weekdays"]["2"][0]["walk_in_quota"] == 5
    assert doc["limits"]["max_followers"] == 2 and doc["limits"]["max_days_ahead"] == 7
    # devices get the ban as a keyed hash under the facility's key (sent in the privacy section), never the NIK
    key = unb64u(doc["privacy"]["visitor_hash_key"])
    assert doc["banned_visitors"][0] == {"nik_hash": banned_hash(key, "3524011203900009"), "reason": "narkoba",
                                         "until": None}
    assert "3524011203900009" not in json.dumps(doc)
    assert doc["emergency_close"] == {"closed": True, "reason": "Razia", "until": None}
    assert doc["exceptions"] == [{"date": "2026-12-25", "closed": True, "reason": "Hari Natal"}]
    validate_reference(doc)  # what HQ serves is what the device accepts


def test_enroll_command_and_revoke(tmp_path):
    db = tmp_path / "hq.db"
    hq(db, "facility", "add", "LPS-SBY", "--name", "Rutan Surabaya")
    code = hq(db, "enroll-code", "--facility", "LPS-SBY", "--role", "guard").stdout.strip()
    dev = init_device(tmp_path / "gate", "--role", "guard", "--device-id", "gate-01")
    with HQProcess(str(db)) as srv:
        wrong = lapas("enroll", "--hq", srv.url, "--code", "AAAA-BBBB-CCCC", "--data-dir", str(dev))
        assert wrong.returncode == 1 and "invalid_code" in wrong.stderr
        ok = lapas("enroll", "--hq", srv.url, "--code", code, "--data-dir", str(dev), check=True)
        assert "enrolled gate-01 (guard) at facility LPS-SBY" in ok.stdout
        cfg_text = (dev / "lapas.toml").read_text()
        assert f'url = "{srv.url}"' in cfg_text and 'facility_id = "LPS-SBY"' in cfg_text
        again = lapas("enroll", "--hq", srv.url, "--code", code, "--data-dir", str(dev))
        assert again.returncode == 1 and "code_used" in again.stderr
        synced = lapas("sync", "--once", "--data-dir", str(dev))
        assert synced.returncode == 0, synced.stderr
        assert json.loads(synced.stdout)["reference_version"] >= 2
        devices = [json.loads(x) for x in hq(db, "device", "list").stdout.splitlines()]
        assert devices[0]["device_id"] == "gate-01" and devices[0]["last_seen_at"]
        assert "revoked" in hq(db, "device", "revoke", "gate-01").stdout
        refused = lapas("sync", "--once", "--data-dir", str(dev))
        assert refused.returncode == 1 and json.loads(refused.stdout)["last_error"]["code"] == "revoked"
        doctor = lapas("doctor", "--data-dir", str(dev), "--json")
        assert json.loads(doctor.stdout)["last_sync_error"]["code"] == "revoked"
