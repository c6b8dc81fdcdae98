"""The offline gate: every verdict on a guard station that knows the kiosk only through reference data,
check-in/out as outbox events, the room count against capacity, and manual lookup for damaged QR codes."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from core.i18n import translate
from kiosk.domain import gate
from kiosk.domain.rules import Refusal
from kiosk.domain.tickets import PREFIX, b45decode, b45encode, decode_ticket
from tests.domain.helpers import AT, FACILITY, MON, TUE, WED, make_device, make_nik, ref_doc, trusted, wib


def judge(dev, payload, now=AT):
    return gate.judge(dev.store, dev.cfg, payload, now=now)


def reencode(raw: bytes) -> str:
    return PREFIX + b45encode(raw)


def raw_of(payload: str) -> bytearray:
    return bytearray(b45decode(payload[len(PREFIX):]))


def test_valid_on_a_guard_station_that_learned_the_key_from_reference_data(kiosk, guard):
    v = kiosk.register(1, followers=[{"name": "Siti", "relationship": "child", "child": True}])
    verdict = judge(guard, v.ticket)
    assert (verdict.verdict, verdict.reason, verdict.ok) == ("VALID", "ok", True)
    assert (verdict.visit_id, verdict.queue_no, verdict.people, verdict.session) == (v.visit_id, "P-001", 2, "P")
    assert (verdict.inmate_name, verdict.inmate_reg_no) == ("Ahmad Fauzi Hidayat", "BI.0001/2025")
    assert translate(verdict.message, "id") == "Tiket sah. Pengunjung boleh masuk."
    # the kiosk judges its own tickets with its own key, and knows the visitor
    own = judge(kiosk, v.ticket)
    assert own.verdict == "VALID" and own.visitor_name == "Pengunjung 1" and own.nik_masked == "3524********0001"
    assert own.followers == ["Siti"]


def test_visitor_details_reach_the_guard_through_visits_today(kiosk, guard):
    v = kiosk.register(1)
    guard.load(ref_doc(2, trusted_keys=[trusted(kiosk.key)], visits_today=[{
        "visit_id": v.visit_id, "visitor_name": "Pengunjung 1", "nik_masked": "3524********0001",
        "inmate_id": "inm-1", "date": MON.isoformat(), "session": "P", "queue_no": "P-001", "people": 1,
        "followers": [], "provisional": False, "ticket": v.ticket}]))
    verdict = judge(guard, v.ticket)
    assert verdict.verdict == "VALID" and verdict.visitor_name == "Pengunjung 1"
    assert gate.lookup(guard.store, guard.cfg, "P-001", now=AT) == v.ticket


def test_forged_one_flipped_byte_anywhere(kiosk, guard):
    v = kiosk.register(1)
    raw = raw_of(v.ticket)
    signed_len = len(decode_ticket(v.ticket).signed)
    for i in range(len(raw)):
        for mask in (0x01, 0xFF):
            bad = bytearray(raw)
            bad[i] ^= mask
            verdict = judge(guard, reencode(bytes(bad)))
            assert verdict.verdict == "FORGED", (i, mask, signed_len, verdict)
            assert verdict.reason in ("bad_signature", "unreadable")
            assert verdict.visitor_name == "" and verdict.inmate_name == ""  # nothing from a forgery is shown
    assert translate(MESSAGES_FORGED, "id") == "Tiket palsu atau rusak: tanda tangannya tidak cocok."


MESSAGES_FORGED = gate.MESSAGES["FORGED"]


@pytest.mark.parametrize("payload", [
    "", "hello", "LK1:", "LK1:00", "LK2:" + "A" * 150, "lk1:abc", "LK1:" + "Z" * 300,
    "00020101021126570011ID.CO.QRIS.WWW", "LK1:ÄÖÜ", "LK1:" + "::::" * 30,
])
def test_forged_garbage(guard, payload):
    verdict = judge(guard, payload)
    assert (verdict.verdict, verdict.reason) == ("FORGED", "unreadable")


def test_forged_truncated_or_extended(kiosk, guard):
    v = kiosk.register(1)
    for cut in (1, 2, 3, 10, 60, len(v.ticket) - 5):
        assert judge(guard, v.ticket[:-cut]).verdict == "FORGED", cut
    raw = raw_of(v.ticket)
    assert judge(guard, reencode(bytes(raw) + b"\x00")).verdict == "FORGED"
    assert judge(guard, v.ticket + "\r\n").verdict == "VALID"  # a scanner's line ending is not damage


def test_unknown_key_and_revoked_key(tmp_path, kiosk, guard):
    stranger = make_device(tmp_path / "stranger", device_id="kiosk-99")  # same facility, never enrolled
    v = stranger.register(1)
    verdict = judge(guard, v.ticket)
    assert (verdict.verdict, verdict.reason) == ("UNKNOWN_KEY", "unknown_key")
    assert translate(verdict.message, "id") == "Tiket ditandatangani perangkat yang tidak dipercaya pintu ini."
    mine = kiosk.register(2, inmate="BI.0004/2024")
    guard.load(ref_doc(2, trusted_keys=[trusted(kiosk.key, revoked=True)]))
    verdict = judge(guard, mine.ticket)
    assert (verdict.verdict, verdict.reason) == ("UNKNOWN_KEY", "revoked_key")
    stranger.close()


def test_wrong_facility(tmp_path, guard):
    other = make_device(tmp_path / "other", device_id="kiosk-07", facility="LPS-OTHER",
                        doc=ref_doc(facility_id="LPS-OTHER",
                                    facility={"id": "LPS-OTHER", "name": "Lapas Lain", "room_capacity": 50}))
    v = other.register(1)
    verdict = judge(guard, v.ticket)  # the other facility's key is not trusted here: still say where it belongs
    assert (verdict.verdict, verdict.detail["facility_id"]) == ("WRONG_FACILITY", "LPS-OTHER")
    assert translate(verdict.message, "id") == "Tiket untuk lapas/rutan lain."
    guard.load(ref_doc(2, trusted_keys=[trusted(other.key, "kiosk-07")]))  # even with a trusted key
    verdict = judge(guard, v.ticket)
    assert verdict.verdict == "WRONG_FACILITY" and "signature_checked" not in verdict.detail
    other.close()


def test_expired_yesterday_and_after_the_session_plus_grace(kiosk, guard):
    v = kiosk.register(1)
    assert judge(guard, v.ticket, now=wib(MON, "11:59")).verdict == "VALID"  # P ends 11:30, 30 min grace
    late = judge(guard, v.ticket, now=wib(MON, "12:00"))
    assert late.verdict == "EXPIRED"
    assert translate(late.message, "id") == "Tiket kedaluwarsa: sesi kunjungannya sudah berakhir."
    assert judge(guard, v.ticket, now=wib(TUE, "09:00")).verdict == "EXPIRED"  # yesterday's ticket


def test_wrong_day(kiosk, guard):
    v = kiosk.register(1, day=WED)  # registered on Monday for Wednesday
    verdict = judge(guard, v.ticket)
    assert verdict.verdict == "WRONG_DAY" and translate(verdict.message, "id") == "Tiket untuk hari lain."
    assert judge(guard, v.ticket, now=wib(WED, "09:00")).verdict == "VALID"


def test_cancelled_through_reference_data(kiosk, guard):
    v = kiosk.register(1)
    guard.load(ref_doc(2, trusted_keys=[trusted(kiosk.key)], cancelled_tickets=[
        {"visit_id": v.visit_id, "code": "quota_oversold", "reason": "Kuota terlampaui"}]))
    verdict = judge(guard, v.ticket)
    assert (verdict.verdict, verdict.reason) == ("CANCELLED", "quota_oversold")
    assert translate(verdict.message, "id") == "Tiket dibatalkan oleh lapas."
    assert gate.check_in(guard.store, guard.cfg, v.ticket, now=AT).verdict == "CANCELLED"
    assert guard.store.scalar("SELECT count(*) FROM presence") == 0


def events(dev, type_):
    return [json.loads(r[0]) for r in dev.store.query("SELECT payload FROM outbox WHERE type = ? ORDER BY seq",
                                                      (type_,))]


def test_check_in_replay_and_check_out(kiosk, guard):
    v = kiosk.register(1, followers=[{"name": "Andi", "relationship": "sibling", "nik": make_nik(50)}])
    first = gate.check_in(guard.store, guard.cfg, v.ticket, now=AT)
    assert first.verdict == "VALID"
    assert events(guard, "visit.checked_in") == [{"visit_id": v.visit_id, "facility_id": FACILITY, "people": 2,
                                                  "at": "2026-11-30T02:00:00.000Z"}]
    replay = judge(guard, v.ticket, now=AT + timedelta(minutes=5))
    assert replay.verdict == "ALREADY_INSIDE"
    assert translate(replay.message, "id") == "Pengunjung ini sudah di dalam (sudah dicatat masuk)."
    again = gate.check_in(guard.store, guard.cfg, v.ticket, now=AT + timedelta(minutes=5))
    assert again.verdict == "ALREADY_INSIDE" and len(events(guard, "visit.checked_in")) == 1
    assert gate.check_out(guard.store, guard.cfg, v.visit_id, now=AT + timedelta(hours=1)) == 2
    assert events(guard, "visit.checked_out")[0]["people"] == 2
    used = judge(guard, v.ticket, now=AT + timedelta(hours=1))
    assert used.verdict == "ALREADY_USED"
    assert translate(used.message, "id") == "Tiket sudah dipakai: pengunjung sudah dicatat keluar."
    with pytest.raises(Refusal) as info:
        gate.check_out(guard.store, guard.cfg, v.visit_id)
    assert info.value.code == "not_inside" and info.value.text("id") == "Kunjungan ini belum dicatat masuk."


def test_people_inside_against_room_capacity(kiosk, guard):
    adult = lambda i: {"name": f"P{i}", "relationship": "relative", "nik": make_nik(60 + i)}  # noqa: E731
    a = kiosk.register(1, followers=[adult(1)])
    b = kiosk.register(2, inmate="BI.0004/2024", followers=[adult(2), adult(3)])
    c = kiosk.register(3, inmate="BI.0007/2025", followers=[adult(4)])
    for t in (a, b):
        assert gate.check_in(guard.store, guard.cfg, t.ticket, now=AT).ok
    occ = gate.inside_count(guard.store, MON)
    assert (occ.count, occ.capacity, occ.over) == (5, 6, False)
    assert gate.check_in(guard.store, guard.cfg, c.ticket, now=AT).ok  # the gate does not stop them: it flags
    occ = gate.inside_count(guard.store, MON)
    assert (occ.count, occ.over) == (7, True)
    gate.check_out(guard.store, guard.cfg, b.visit_id, now=AT)
    assert gate.inside_count(guard.store, MON).count == 4 and not gate.inside_count(guard.store, MON).over


def test_manual_lookup_by_queue_number_or_visit_id(kiosk):
    v1, v2 = kiosk.register(1), kiosk.register(2, inmate="BI.0004/2024", session="S")
    for typed in ("P-001", "p-001", "P001", "p1", " P-1 "):
        assert gate.lookup(kiosk.store, kiosk.cfg, typed, now=AT) == v1.ticket, typed
    assert gate.lookup(kiosk.store, kiosk.cfg, "S-001", now=AT) == v2.ticket
    assert gate.lookup(kiosk.store, kiosk.cfg, v2.visit_id[-8:], now=AT) == v2.ticket  # as printed
    assert gate.lookup(kiosk.store, kiosk.cfg, v2.visit_id.upper(), now=AT) == v2.ticket
    for missing in ("P-002", "X", "", "1234567", "ffffffff"):
        with pytest.raises(Refusal) as info:
            gate.lookup(kiosk.store, kiosk.cfg, missing, now=AT)
        assert info.value.code == "ticket_not_found", missing
    assert info.value.text("id") == "Tidak ada tiket untuk ffffffff."
    with pytest.raises(Refusal):  # yesterday's queue numbers are not today's
        gate.lookup(kiosk.store, kiosk.cfg, "P-001", now=wib(TUE, "09:00"))


def test_queue_caller_calls_todays_numbers_in_order(kiosk):
    from kiosk.domain.queue import call_next

    kiosk.register(1), kiosk.register(2, inmate="BI.0004/2024"), kiosk.register(3, inmate="BI.0007/2025", session="S")
    called = [call_next(kiosk.store, kiosk.cfg, now=AT) for _ in range(4)]
    assert called == ["P-001", "P-002", "S-001", None]  # the morning queue first, then the afternoon's
    assert [e["queue_no"] for e in events(kiosk, "queue.called")] == ["P-001", "P-002", "S-001"]
    assert kiosk.register(4, inmate="BI.0008/2025").queue_no == "P-003"  # calling does not disturb numbering
    assert call_next(kiosk.store, kiosk.cfg, now=AT) == "P-003"
    assert call_next(kiosk.store, kiosk.cfg, now=wib(MON, "11:30")) is None  # P is over, S is done
