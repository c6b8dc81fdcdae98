"""Personal data at HQ: pseudonymised after the retention period; devices get only the bookings of their window
and banned visitors as keyed hashes. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import insert, select

from core.ids import iso, today_wib, utcnow
from core.privacy import keyed_hash
from hq import operators, reference, retention
from hq.schema import events, pre_registrations, visits
from tests.conftest import fresh_hq_db

NIK = "3524011203900009"
OLD = iso(utcnow() - timedelta(days=120))


@pytest.fixture(params=["sqlite", "postgres"])
def db(request, tmp_path, monkeypatch):
    monkeypatch.setenv("LAPAS_HQ_SECRET_FILE", str(tmp_path / "hq.secret"))
    d = fresh_hq_db(request.param, tmp_path, "retention")
    with d.write() as conn:
        operators.add_facility(conn, "LPS-P", "Lapas Privasi", city="Malang", room_capacity=50)
    yield d
    if request.param == "postgres":
        d.drop_pg_schema()
    d.dispose()


def _event(conn, seq, payload, received_at):
    conn.execute(insert(events).values(event_id=f"e-{seq}", device_id="kiosk-1", facility_id="LPS-P", seq=seq,
                                       type="visit.registered", payload=json.dumps(payload), created_at=received_at,
                                       received_at=received_at, status="accepted"))


def _payload(n):
    return {"visit_id": f"v-{n}", "visitor_nik": NIK, "visitor_name": "Siti Aminah", "visitor_phone": "+6281234567890",
            "followers": [{"name": "Budi Santoso", "relationship": "child", "nik": "3524011203900010"}],
            "inmate_id": "inm-1"}


def test_old_personal_data_is_pseudonymised_and_new_data_kept(db, tmp_path):
    with db.write() as conn:
        _event(conn, 1, _payload(1), OLD)
        _event(conn, 2, _payload(2), iso(utcnow()))
        conn.execute(insert(visits).values(visit_id="v-1", facility_id="LPS-P", visit_date="2020-01-06",
                                           visitor_name="Siti Aminah", nik_masked="3524********0009", people=1))
    secret = retention.load_secret(tmp_path / "hq.secret")
    assert (tmp_path / "hq.secret").stat().st_mode & 0o777 == 0o600
    with db.write() as conn:
        r = retention.run(conn, secret, pii_days=90)
    assert (r.events, r.visits) == (1, 1)
    with db.engine.connect() as conn:
        old = json.loads(conn.execute(select(events.c.payload).where(events.c.seq == 1)).scalar_one())
        new = json.loads(conn.execute(select(events.c.payload).where(events.c.seq == 2)).scalar_one())
        name = conn.execute(select(visits.c.visitor_name)).scalar_one()
    assert NIK not in json.dumps(old) and "Siti" not in json.dumps(old) and "Budi" not in json.dumps(old)
    assert old["visitor_nik"] == "3524********0009" and old["visitor_name"] == "S*** A*****"
    assert old["visitor_phone"].startswith("+628") and "1234567" not in old["visitor_phone"]
    # the keyed hash links one person's visits across the years without the number
    assert old["visitor_nik_hash"] == keyed_hash(secret, NIK, purpose="nik")
    assert new == _payload(2)  # inside the retention period: untouched
    assert name == "S*** A*****"
    with db.write() as conn:  # a second run changes nothing
        again = retention.run(conn, secret, pii_days=90)
    assert (again.events, again.visits) == (0, 0)


def test_devices_get_bookings_of_their_window_and_bans_as_hashes(db):
    today = date.fromisoformat(today_wib().isoformat())
    items = [{"booking_code": f"BKDAY{n}", "date": (today + timedelta(days=n)).isoformat(), "inmate_id": "inm-1",
              "session": "P", "visitor": {"nik": NIK, "name": "Siti"}} for n in (0, 1, 2, 3, 10)]
    with db.write() as conn:
        operators.import_pre_registrations(conn, "LPS-P", items)
        operators.ban(conn, "LPS-P", NIK, "keributan")
        doc = reference.build(conn, "LPS-P")
    assert sorted(b["booking_code"] for b in doc["pre_registrations"]) == ["BKDAY0", "BKDAY1", "BKDAY2"]
    assert NIK not in json.dumps(doc["banned_visitors"])
    with db.engine.connect() as conn:  # HQ still holds all five
        assert conn.execute(select(pre_registrations.c.booking_code)).all().__len__() == 5


def test_retention_command(tmp_path, run_lapas, monkeypatch):
    db = str(tmp_path / "hq.db")
    out = run_lapas("hq", "retention", "run", "--db", db, "--json", check=True)
    counts = json.loads(out.stdout)
    assert counts["events"] == 0 and "cutoff" in counts
    assert (tmp_path / "hq.secret").stat().st_mode & 0o777 == 0o600
