"""Reference data: full and delta loads, refusals that name the field, and atomicity (a failed load changes
nothing), through the API and through the real `lapas reference load` command."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest

from core import identity
from core.resources import asset
from kiosk.domain.reference import (
    ReferenceDataError,
    apply_reference,
    banned_hash,
    lookup_inmate,
    reference,
    validate_reference,
    visitor_hash_key,
)
from kiosk.domain.rules import Refusal
from tests.conftest import init_device
from tests.domain.helpers import AT, FACILITY, INMATES, make_device, make_nik, ref_doc, trusted


def snapshot(dev) -> dict:
    """Everything a load can change, for before/after comparisons."""
    tables = ("ref_sections", "ref_inmates", "ref_banned", "ref_bookings", "ref_trusted_keys", "ref_cancelled",
              "ref_visits_today")
    out = {t: [tuple(r) for r in dev.store.query(f"SELECT * FROM {t} ORDER BY 1")] for t in tables}
    out["meta"] = [tuple(r) for r in dev.store.query("SELECT key, value FROM meta WHERE key LIKE 'reference_%' "
                                                     "AND key != 'reference_loaded_at' ORDER BY key")]
    return out


def test_full_load_records_version_and_as_of(kiosk):
    ref = reference(kiosk.store)
    assert ref.version == 1 and ref.facility["room_capacity"] == 6
    assert ref.as_of == datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
    assert kiosk.store.get_meta("reference_version") == "1"
    assert kiosk.store.get_meta("reference_as_of") == "2026-11-30T01:00:00Z"
    assert kiosk.store.scalar("SELECT count(*) FROM ref_inmates") == len(INMATES)
    # a second full snapshot replaces every section, including ones it leaves empty
    kiosk.load(ref_doc(2, inmates=INMATES[:2], banned_visitors=[]))
    assert kiosk.store.scalar("SELECT count(*) FROM ref_inmates") == 2
    with pytest.raises(Refusal):
        lookup_inmate(kiosk.store.conn, "BI.0004/2024")


def test_delta_replaces_only_the_sections_it_carries(kiosk):
    before = snapshot(kiosk)
    delta = {"format": "lapas-reference/1", "facility_id": FACILITY, "version": 2, "since": 1, "kind": "delta",
             "as_of": "2026-11-30T01:30:00Z",
             "banned_visitors": [{"nik": make_nik(9), "reason": "Keributan", "until": None}],
             "limits": {**ref_doc()["limits"], "max_followers": 1}}
    assert apply_reference(kiosk.store, delta) == 2
    after = snapshot(kiosk)
    assert after["ref_inmates"] == before["ref_inmates"]  # untouched
    # a banned NIK is kept only as its keyed hash: the device's database never lists whom
    key = visitor_hash_key(kiosk.store.conn)
    assert after["ref_banned"] == [(banned_hash(key, make_nik(9)), "Keributan", None)]
    assert make_nik(9) not in json.dumps(after)
    assert reference(kiosk.store).limit("max_followers") == 1
    assert reference(kiosk.store).schedule == ref_doc()["schedule"]
    assert kiosk.store.get_meta("reference_version") == "2"
    assert refusal_code(kiosk, nik=make_nik(9)) == "visitor_banned"


def refusal_code(dev, **kw) -> str:
    with pytest.raises(Refusal) as info:
        dev.register(**kw)
    return info.value.code


def test_delta_on_the_wrong_base_is_refused(kiosk):
    kiosk.load(ref_doc(5))
    before = snapshot(kiosk)
    delta = {"format": "lapas-reference/1", "facility_id": FACILITY, "version": 7, "since": 4, "kind": "delta",
             "as_of": "2026-11-30T01:30:00Z", "banned_visitors": []}
    with pytest.raises(ReferenceDataError, match="since: delta applies on version 4 but this device has version 5"):
        apply_reference(kiosk.store, delta)
    assert snapshot(kiosk) == before
    with pytest.raises(ReferenceDataError, match="version: 4 is older than the loaded 5"):
        kiosk.load(ref_doc(4))


def broken(mutate):
    doc = ref_doc(2)
    mutate(doc)
    return doc


MALFORMED = [
    ("format", lambda d: d.update(format="lapas-reference/2")),
    ("version", lambda d: d.update(version=0)),
    ("as_of", lambda d: d.update(as_of="yesterday")),
    ("as_of", lambda d: d.update(as_of="2026-11-30T06:00:00")),  # no zone: cannot be compared
    ("kind", lambda d: d.update(kind="partial")),
    ("inmates", lambda d: d.pop("inmates")),
    ("facility.id", lambda d: d["facility"].update(id="LPS-OTHER")),
    ("facility.room_capacity", lambda d: d["facility"].update(room_capacity=0)),
    ("inmates[1].code", lambda d: d["inmates"][1].update(code="C")),
    ("inmates[2].reg_no", lambda d: d["inmates"][2].update(reg_no=" bi.0001/2025")),
    ("inmates[3].id", lambda d: d["inmates"][3].update(id="inm-1")),
    ("inmates[0].name", lambda d: d["inmates"][0].update(name="  ")),
    ("inmates[4].block", lambda d: d["inmates"][4].update(block=None)),
    ("inmates[0].visitable", lambda d: d["inmates"][0].update(visitable="yes")),
    ("schedule.sessions.P.end", lambda d: d["schedule"]["sessions"]["P"].update(end="08:00")),
    ("schedule.sessions.S.start", lambda d: d["schedule"]["sessions"]["S"].update(start="1pm")),
    ("schedule.weekdays.8", lambda d: d["schedule"]["weekdays"].update({"8": []})),
    ("schedule.weekdays.1[0].session", lambda d: d["schedule"]["weekdays"]["1"][0].update(session="M")),
    ("schedule.weekdays.2[1].walk_in_quota", lambda d: d["schedule"]["weekdays"]["2"][1].update(walk_in_quota=-1)),
    ("schedule.weekdays.3[0].inmate_codes", lambda d: d["schedule"]["weekdays"]["3"][0].update(inmate_codes=[])),
    ("exceptions[0].date", lambda d: d["exceptions"][0].update(date="2026-02-30")),
    ("limits.max_followers", lambda d: d["limits"].update(max_followers=-1)),
    ("limits.visits_per_nik_per_week", lambda d: d["limits"].update(visits_per_nik_per_week="1")),
    ("emergency_close.closed", lambda d: d.update(emergency_close={"closed": "no"})),
    ("banned_visitors[0].until", lambda d: d.update(banned_visitors=[{"nik": make_nik(1), "until": "soon"}])),
    ("pre_registrations[0].visitor.nik", lambda d: d.update(pre_registrations=[
        {"booking_code": "BK1", "inmate_id": "inm-1", "session": "P", "date": "2026-11-30",
         "visitor": {"name": "Sri"}}])),
    ("trusted_keys[0].public_key", lambda d: d.update(trusted_keys=[
        {"key_id": "x", "device_id": "kiosk-09", "public_key": "not-a-key"}])),
    ("cancelled_tickets[0].visit_id", lambda d: d.update(cancelled_tickets=[{"code": "quota_oversold"}])),
]


@pytest.mark.parametrize("field,mutate", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_documents_are_refused_naming_the_field(kiosk, field, mutate):
    before = snapshot(kiosk)
    with pytest.raises(ReferenceDataError) as info:
        kiosk.load(broken(mutate))
    assert f"reference {field}:" in str(info.value)
    assert snapshot(kiosk) == before


def test_trusted_key_id_must_match_its_public_key(kiosk, tmp_path):
    other = identity.create(tmp_path / "other-keys")
    entry = trusted(other) | {"key_id": kiosk.key.key_id}
    with pytest.raises(ReferenceDataError, match=r"trusted_keys\[0\].key_id: expected \"" + other.key_id):
        validate_reference(ref_doc(trusted_keys=[entry]))


def test_a_document_of_another_facility_is_refused(tmp_path):
    dev = make_device(tmp_path, doc=False)
    other = ref_doc(facility={"id": "LPS-OTHER", "name": "Lapas Lain", "room_capacity": 10}, facility_id="LPS-OTHER")
    with pytest.raises(ReferenceDataError, match="facility_id: expected 'LPS-TEST'"):
        apply_reference(dev.store, other, facility_id=dev.cfg.device.facility_id)
    dev.load(ref_doc())
    with pytest.raises(ReferenceDataError, match="facility_id: expected 'LPS-TEST'"):
        apply_reference(dev.store, other)  # once loaded, the facility is fixed even without the config
    dev.close()


def test_a_load_that_fails_inside_the_database_changes_nothing(kiosk):
    """The sections are replaced one after the other in one transaction: a failure on the last one (here a
    trigger standing in for a full disk) rolls back the ones already replaced."""
    before = snapshot(kiosk)
    kiosk.store.conn.execute("CREATE TEMP TRIGGER fail_bookings BEFORE INSERT ON ref_bookings "
                             "BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    doc = ref_doc(2, inmates=INMATES[:3], pre_registrations=[
        {"booking_code": "BK1", "inmate_id": "inm-1", "session": "P", "date": "2026-11-30",
         "visitor": {"nik": make_nik(1), "name": "Sri"}}])
    with pytest.raises(Exception, match="disk full"):
        kiosk.load(doc)
    assert snapshot(kiosk) == before
    kiosk.store.conn.execute("DROP TRIGGER fail_bookings")
    assert kiosk.register(1, now=AT).queue_no == "P-001"  # the old data still works


def test_demo_snapshots(tmp_path):
    shipped = json.loads(asset("reference", "demo.json").read_text(encoding="utf-8"))
    validate_reference(shipped)
    assert len(shipped["inmates"]) >= 300
    assert {i["code"] for i in shipped["inmates"]} == {"A", "B"}
    names = [i["name"] for i in shipped["inmates"]]
    assert len(set(names)) > 0.9 * len(names) and all(len(n.split()) >= 2 for n in names)
    dev = make_device(tmp_path, doc=False, facility="LPS-DEMO")
    apply_reference(dev.store, copy.deepcopy(shipped), facility_id="LPS-DEMO")
    assert lookup_inmate(dev.store.conn, "BI.0001/2025").name == "Ahmad Fauzi Hidayat"
    for typed in ("bi0001/2025", "BI 0001 / 2025", "bi.0001/2025 "):  # how visitors type it
        assert lookup_inmate(dev.store.conn, typed).reg_no == "BI.0001/2025", typed
    with pytest.raises(Refusal) as exc:
        lookup_inmate(dev.store.conn, "BI.0001/2026")
    assert exc.value.code == "inmate_not_found"
    dev.close()


def test_registration_numbers_equal_but_for_punctuation_are_refused(tmp_path):
    doc = ref_doc(3)
    doc["inmates"].append({**doc["inmates"][0], "id": "inm-dup", "reg_no": doc["inmates"][0]["reg_no"].replace(".", "")})
    with pytest.raises(ReferenceDataError, match="unique registration number"):
        validate_reference(doc)


# --- the real command --------------------------------------------------------------------------------------


def test_lapas_reference_load_command(tmp_path, run_lapas):
    data = init_device(tmp_path / "dev", "--facility", FACILITY)
    good, bad, delta, other = (tmp_path / n for n in ("good.json", "bad.json", "delta.json", "other.json"))
    good.write_text(json.dumps(ref_doc(3)), encoding="utf-8")
    doc = ref_doc(4)
    doc["inmates"].append({"id": "inm-9", "reg_no": "BI.0009/2025", "name": "Baru", "code": "X"})
    bad.write_text(json.dumps(doc), encoding="utf-8")
    delta.write_text(json.dumps({"format": "lapas-reference/1", "facility_id": FACILITY, "version": 9, "since": 8,
                                 "kind": "delta", "as_of": "2026-11-30T01:30:00Z", "banned_visitors": []}))
    other.write_text(json.dumps(ref_doc(5, facility_id="LPS-OTHER",
                                        facility={"id": "LPS-OTHER", "name": "Lain", "room_capacity": 9})))

    ok = run_lapas("reference", "load", str(good), "--data-dir", str(data))
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == f"reference version 3 as of {ref_doc()['as_of']} loaded ({len(INMATES)} inmates)"
    for path, message in ((bad, "reference inmates[8].code: expected \"A\" (tahanan) or \"B\" (narapidana)"),
                          (delta, "reference since: delta applies on version 8 but this device has version 3"),
                          (other, "reference facility_id: expected 'LPS-TEST' (this device's), got 'LPS-OTHER'")):
        proc = run_lapas("reference", "load", str(path), "--data-dir", str(data))
        assert proc.returncode == 1 and message in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr
    (tmp_path / "junk.json").write_text("{not json", encoding="utf-8")
    proc = run_lapas("reference", "load", str(tmp_path / "junk.json"), "--data-dir", str(data))
    assert proc.returncode == 1 and "is not valid JSON" in proc.stderr
    shown = json.loads(run_lapas("reference", "show", "--data-dir", str(data), check=True).stdout)
    assert shown["version"] == 3 and shown["counts"]["ref_inmates"] == len(INMATES)
