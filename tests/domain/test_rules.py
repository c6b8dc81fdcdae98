"""Every registration rule: each refusal has its stable code and the Indonesian sentence a visitor reads, and a
refused registration writes nothing (no visit, no outbox event, no queue number used)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from core.i18n import translate
from kiosk.domain.nik import mask_nik
from kiosk.domain.rules import Refusal
from kiosk.domain.visits import available_sessions
from tests.domain.helpers import (
    AT,
    FRI,
    MON,
    SUN,
    THU,
    TUE,
    WED,
    make_device,
    make_nik,
    ref_doc,
    schedule,
    wib,
)


def refusal(fn, *args, **kwargs) -> Refusal:
    with pytest.raises(Refusal) as info:
        fn(*args, **kwargs)
    return info.value


def written(dev) -> tuple[int, int]:
    """(visits, outbox events) on the device."""
    return dev.store.scalar("SELECT count(*) FROM visits"), dev.store.scalar("SELECT count(*) FROM outbox")


def test_a_registered_visit_is_one_business_write(kiosk):
    before = written(kiosk)
    v = kiosk.register(1, followers=[{"name": "Siti Aminah", "relationship": "child", "child": True}])
    assert (v.queue_no, v.kind, v.provisional, v.people) == ("P-001", "walk_in", False, 2)
    assert v.nik_masked == "3524********0001" and v.inmate_name == "Ahmad Fauzi Hidayat"
    assert written(kiosk) == (before[0] + 1, before[1] + 1)
    ev = kiosk.store.one("SELECT type, payload FROM outbox ORDER BY seq DESC LIMIT 1")
    payload = json.loads(ev[1])
    assert ev[0] == "visit.registered" and payload["visit_id"] == v.visit_id and payload["queue_no"] == "P-001"
    assert payload["visitor_phone"] == "+6281234567890" and payload["ticket"] == v.ticket
    row = kiosk.store.one("SELECT event_id, people FROM visits WHERE visit_id = ?", (v.visit_id,))
    assert tuple(row) == (v.event_id, 2)


def test_refusal_writes_nothing_and_uses_no_queue_number(kiosk):
    kiosk.register(1)
    before = written(kiosk)
    refusal(kiosk.register, 2, inmate="BI.0003/2024")  # not visitable
    refusal(kiosk.register, 1)  # weekly limit
    assert written(kiosk) == before
    assert kiosk.register(3).queue_no == "P-002"


# --- quotas ------------------------------------------------------------------------------------------------


def test_walk_in_quota_full(tmp_path):
    dev = make_device(tmp_path, doc=ref_doc(schedule=schedule(walk=2, pre=1)))
    dev.register(1), dev.register(2, inmate="BI.0004/2024")
    r = refusal(dev.register, 3, inmate="BI.0007/2025")
    assert r.code == "quota_full"
    assert r.text("id") == "Sesi ini sudah penuh."
    assert r.hint_text("id") == "Silakan pilih hari atau sesi lain."
    sessions = {s.session: s for s in available_sessions(dev.store, MON, now=AT)}
    assert sessions["P"].walk_in_remaining == 0 and sessions["P"].pre_registered_remaining == 1
    assert dev.register(3, inmate="BI.0007/2025", session="S").queue_no == "S-001"  # the other session has room
    dev.close()


def test_pre_registered_quota_is_separate_from_walk_in(tmp_path):
    dev = make_device(tmp_path, doc=ref_doc(schedule=schedule(walk=2, pre=1)))
    # on Monday, registering for Wednesday is a pre-registration and takes the pre-registered quota
    assert dev.register(1, day=WED).kind == "pre_registered"
    r = refusal(dev.register, 2, day=WED, inmate="BI.0004/2024")
    assert r.code == "quota_full" and r.text("id") == "Sesi ini sudah penuh."
    # on Wednesday the two walk-in places are still free
    on_wed = wib(WED, "09:00")
    assert dev.register(2, day=WED, inmate="BI.0004/2024", now=on_wed).kind == "walk_in"
    assert dev.register(3, day=WED, inmate="BI.0007/2025", now=on_wed).kind == "walk_in"
    assert refusal(dev.register, 4, day=WED, inmate="BI.0008/2025", now=on_wed).code == "quota_full"
    dev.close()


def test_cancelled_visits_free_their_place(tmp_path):
    dev = make_device(tmp_path, doc=ref_doc(schedule=schedule(walk=1, pre=1)))
    v = dev.register(1)
    assert refusal(dev.register, 2, inmate="BI.0004/2024").code == "quota_full"
    dev.load(ref_doc(2, cancelled_tickets=[{"visit_id": v.visit_id, "code": "quota_oversold", "reason": ""}],
                     schedule=schedule(walk=1, pre=1)))
    assert dev.register(2, inmate="BI.0004/2024").queue_no == "P-002"
    dev.close()


# --- weekly limits -----------------------------------------------------------------------------------------


def test_weekly_limit_per_visitor_nik(kiosk):
    kiosk.register(1)
    r = refusal(kiosk.register, 1, day=WED, inmate="BI.0004/2024", now=wib(WED, "09:00"))
    assert r.code == "weekly_limit_nik"
    assert r.text("id") == "3524********0001 sudah berkunjung 1 kali minggu ini."
    assert r.hint_text("id") == "Kunjungan hanya boleh 1 kali seminggu. Silakan datang minggu depan."
    # the same NIK typed with spaces is the same person
    spaced = " ".join(make_nik(1)[i:i + 4] for i in range(0, 16, 4))
    assert refusal(kiosk.register, nik=spaced, day=WED, inmate="BI.0004/2024",
                   now=wib(WED, "09:00")).code == "weekly_limit_nik"
    # next Monday is a new week
    next_mon = MON + timedelta(days=7)
    assert kiosk.register(1, day=next_mon, now=wib(next_mon, "09:00")).queue_no == "P-001"


def test_weekly_limit_counts_a_followers_nik(kiosk):
    follower = make_nik(7, born=kiosk_date(1992), female=True)
    kiosk.register(1, followers=[{"name": "Dewi Lestari", "relationship": "sibling", "nik": follower}])
    on_wed = wib(WED, "09:00")
    # the follower comes back as a visitor ...
    r = refusal(kiosk.register, 2, nik=follower, day=WED, inmate="BI.0004/2024", now=on_wed)
    assert r.code == "weekly_limit_nik" and r.params["nik"] == mask_nik(follower)
    # ... or as someone else's follower
    r = refusal(kiosk.register, 3, day=WED, inmate="BI.0004/2024", now=on_wed,
                followers=[{"name": "Dewi Lestari", "relationship": "sibling", "nik": follower}])
    assert r.code == "weekly_limit_nik"
    assert kiosk.register(3, day=WED, inmate="BI.0004/2024", now=on_wed).queue_no == "P-001"


def kiosk_date(year: int):
    from datetime import date

    return date(year, 4, 9)


def test_weekly_limit_per_inmate(kiosk):
    kiosk.register(1), kiosk.register(2, session="S")
    r = refusal(kiosk.register, 3, day=WED, now=wib(WED, "09:00"))
    assert r.code == "weekly_limit_inmate"
    assert r.text("id") == "Ahmad Fauzi Hidayat sudah menerima 2 kunjungan minggu ini."
    assert r.hint_text("id") == ("Warga binaan hanya boleh menerima 2 kunjungan seminggu. "
                                 "Silakan datang minggu depan.")


# --- who may be visited when -------------------------------------------------------------------------------


def test_day_not_allowed_for_inmate_code(kiosk):
    # Tuesday is for detainees (tahanan) only; inm-1 is sentenced (narapidana)
    r = refusal(kiosk.register, 1, day=TUE, now=wib(TUE, "09:00"))
    assert r.code == "day_not_allowed_for_inmate_code"
    assert r.text("id") == "Sesi ini bukan untuk mengunjungi narapidana."
    assert r.text("en") == "This session is not for visiting sentenced inmates (narapidana)."
    assert r.hint_text("id") == "Lihat jadwal hari kunjungan untuk golongan warga binaan ini."
    # Monday afternoon is for sentenced inmates only; inm-2 is a detainee
    r = refusal(kiosk.register, 2, inmate="AII.0002/2026", session="S")
    assert r.text("id") == "Sesi ini bukan untuk mengunjungi tahanan."
    assert "detainees (tahanan)" in str(r)  # logs stay English
    assert kiosk.register(2, inmate="AII.0002/2026", day=TUE, now=wib(TUE, "09:00")).queue_no == "P-001"


@pytest.mark.parametrize("reg_no,name", [("BI.0003/2024", "Yosef Manurung"), ("BI.0006/2025", "Slamet Riyadi")])
def test_inmate_not_visitable(kiosk, reg_no, name):  # isolation, or released / transferred
    r = refusal(kiosk.register, 1, inmate=reg_no)
    assert r.code == "inmate_not_visitable"
    assert r.text("id") == f"{name} tidak dapat menerima kunjungan saat ini."


def test_inmate_by_registration_number_or_exact_name_only(kiosk):
    assert kiosk.register(1, inmate=" bi.0001/2025 ").inmate_id == "inm-1"
    assert kiosk.register(2, inmate="rudi  HARTONO siregar").inmate_id == "inm-2"
    r = refusal(kiosk.register, 3, inmate="Budi Santoso")
    assert r.code == "inmate_ambiguous"
    assert r.text("id") == "Ada lebih dari satu warga binaan bernama Budi Santoso."
    assert r.hint_text("id") == "Silakan ketik nomor registrasinya."
    for partial in ("Budi", "Ahmad Fauzi", "BI.0001", "%", ""):
        r = refusal(kiosk.register, 3, inmate=partial)
        assert r.code == "inmate_not_found", partial
    assert r.text("id") == "Tidak ada warga binaan untuk \u201c\u201d."
    assert refusal(kiosk.register, 3, inmate="Budi").text("id") == "Tidak ada warga binaan untuk \u201cBudi\u201d."


def test_visitor_banned(tmp_path):
    banned, expired, follower = make_nik(11), make_nik(12), make_nik(13)
    dev = make_device(tmp_path, doc=ref_doc(banned_visitors=[
        {"nik": banned, "reason": "Membawa barang terlarang", "until": None},
        {"nik": expired, "reason": "Keributan", "until": "2026-11-29"},
        {"nik": follower, "reason": "Membawa barang terlarang", "until": "2027-01-31"},
    ]))
    r = refusal(dev.register, nik=banned)
    assert r.code == "visitor_banned"
    assert r.text("id") == "Salah satu orang dalam kunjungan ini (3524********0011) tidak boleh berkunjung saat ini."
    assert r.hint_text("id") == "Silakan bertanya kepada petugas di meja pendaftaran."
    r = refusal(dev.register, 14, followers=[{"name": "Andi", "relationship": "sibling", "nik": follower}])
    assert r.code == "visitor_banned" and r.params["nik"] == "3524********0013"
    assert dev.register(nik=expired).queue_no == "P-001"  # the ban ended on 29 Nov
    dev.close()


# --- followers ---------------------------------------------------------------------------------------------


def adult(i: int) -> dict:
    return {"name": f"Pengikut {i}", "relationship": "relative", "nik": make_nik(100 + i)}


def child(i: int) -> dict:
    return {"name": f"Anak {i}", "relationship": "child", "child": True}


def test_too_many_followers(kiosk):
    r = refusal(kiosk.register, 1, followers=[adult(i) for i in range(4)])
    assert r.code == "too_many_followers"
    assert r.text("id") == "Paling banyak 3 pengikut untuk satu pengunjung."
    assert r.hint_text("id") == ("Hapus salah satu pengikut, atau biarkan ia mendaftar sebagai pengunjung pada "
                                 "hari lain.")
    # children count as followers by default (limits.children_count_as_followers = true)
    assert refusal(kiosk.register, 1, followers=[adult(0), adult(1), child(0), child(1)]).code == "too_many_followers"
    assert kiosk.register(1, followers=[adult(0), child(0), child(1)]).people == 4


def test_children_not_counted_as_followers_per_config(tmp_path):
    dev = make_device(tmp_path, children_count_as_followers=False)
    v = dev.register(1, followers=[adult(0), adult(1), adult(2), child(0), child(1)])
    assert v.people == 6
    r = refusal(dev.register, 2, inmate="BI.0004/2024", followers=[child(0), child(1), child(2)])
    assert r.code == "too_many_followers"
    assert r.text("id") == "Paling banyak 2 anak untuk satu pengunjung."
    dev.close()


def test_follower_details(kiosk):
    r = refusal(kiosk.register, 1, followers=[{"name": "Tanpa Identitas", "relationship": "sibling"}])
    assert r.code == "follower_id_required"
    assert r.text("id") == "Pengikut dewasa memerlukan NIK atau nomor identitas lain."
    assert refusal(kiosk.register, 1, followers=[{"name": " ", "nik": make_nik(5)}]).code == "follower_name_required"
    r = refusal(kiosk.register, 1, followers=[{"name": "Kembar", "nik": make_nik(1)}])
    assert r.code == "duplicate_person" and r.text("id") == "NIK yang sama tercantum dua kali dalam kunjungan ini."
    r = refusal(kiosk.register, 1, followers=[{"name": "Salah", "nik": "3524011507850000"}])
    assert r.code == "invalid_nik" and r.part == "serial"
    v = kiosk.register(1, followers=[{"name": "Paspor", "relationship": "relative", "id_number": "C1234567"}])
    assert v.followers == [{"name": "Paspor", "relationship": "relative", "id_number": "C1234567"}]


def test_visitor_details(kiosk):
    r = refusal(kiosk.register, 1, name="  ")
    assert r.code == "name_required" and r.text("id") == "Silakan ketik nama lengkap pengunjung."
    r = refusal(kiosk.register, 1, phone="12345")
    assert r.code == "invalid_phone" and r.text("id") == "Nomor telepon 12345 belum lengkap."
    r = refusal(kiosk.register, nik="3524011507850")
    assert r.code == "invalid_nik" and r.text("id") == "NIK harus 16 angka; yang ini 13 angka."
    assert r.hint_text("id") == "Periksa nomor di KTP lalu ketik ulang."


# --- closed days and sessions ------------------------------------------------------------------------------


def test_emergency_close(tmp_path):
    dev = make_device(tmp_path, doc=ref_doc(emergency_close={"closed": True, "reason": "Razia", "until": None}))
    r = refusal(dev.register, 1)
    assert r.code == "closed"
    assert r.text("id") == "Kunjungan hari ini ditutup oleh lapas (keadaan darurat)."
    assert not any(s.open for s in available_sessions(dev.store, MON, now=AT))
    later = available_sessions(dev.store, WED, now=AT)  # a later day: not "today"
    assert later and {translate(s.reason, "id") for s in later} == {
        "Kunjungan ditutup oleh lapas (keadaan darurat) sampai ada pemberitahuan lebih lanjut."}
    # closed until Monday: Wednesday can be booked, Monday cannot
    dev.load(ref_doc(2, emergency_close={"closed": True, "reason": "Razia", "until": "2026-11-30"}))
    assert refusal(dev.register, 1).code == "closed"
    assert dev.register(1, day=WED).queue_no == "P-001"
    dev.close()


def test_exception_date_is_closed(kiosk):
    christmas = FRI + timedelta(days=21)  # Friday 25 Dec 2026
    r = refusal(kiosk.register, 1, day=christmas, now=wib(christmas, "09:00"))
    assert r.code == "closed"
    assert r.text("id") == "Tidak ada kunjungan pada tanggal ini (hari libur atau kegiatan lapas)."


def test_session_over_or_not_scheduled(kiosk):
    r = refusal(kiosk.register, 1, now=wib(MON, "11:30"))
    assert r.code == "session_closed" and r.text("id") == "Sesi ini sudah berakhir."
    assert kiosk.register(1, session="S", now=wib(MON, "11:30")).queue_no == "S-001"  # before S starts is fine
    r = refusal(kiosk.register, 2, day=THU, session="S", now=wib(THU, "09:00"))
    assert r.code == "session_closed" and r.text("id") == "Tidak ada sesi kunjungan S pada hari ini."
    r = refusal(kiosk.register, 2, day=SUN, now=wib(SUN, "09:00"))
    assert r.code == "session_closed" and r.text("id") == "Tidak ada sesi kunjungan P pada hari ini."


def test_dates_lead_time_and_horizon(tmp_path):
    dev = make_device(tmp_path, doc=ref_doc(limits={"max_followers": 3, "max_children": 2,
                                                    "visits_per_nik_per_week": 1, "visits_per_inmate_per_week": 2,
                                                    "pre_registration_lead_days": 2, "max_days_ahead": 7}))
    r = refusal(dev.register, 1, day=MON - timedelta(days=1))
    assert r.code == "date_past" and r.text("id") == "Tanggal ini sudah lewat."
    r = refusal(dev.register, 1, day=TUE)
    assert r.code == "lead_time"
    assert r.text("id") == "Pendaftaran untuk hari lain harus dilakukan 2 hari sebelumnya."
    r = refusal(dev.register, 1, day=MON + timedelta(days=8), now=AT)
    assert r.code == "too_far_ahead" and r.text("id") == "Pendaftaran dibuka 7 hari sebelum kunjungan."
    assert dev.register(1, day=WED).kind == "pre_registered"  # two days ahead
    assert dev.register(2, inmate="BI.0004/2024").kind == "walk_in"  # today needs no lead time
    dev.close()


# --- reference age -----------------------------------------------------------------------------------------


def test_stale_reference_makes_the_visit_provisional(tmp_path):
    dev = make_device(tmp_path, doc=ref_doc(as_of=AT - timedelta(hours=25)))
    v = dev.register(1)
    assert v.provisional
    payload = json.loads(dev.store.scalar("SELECT payload FROM outbox WHERE type = 'visit.registered'"))
    assert payload["provisional"] is True
    assert dev.store.scalar("SELECT provisional FROM visits") == 1
    from kiosk.domain.tickets import decode_ticket

    assert decode_ticket(v.ticket).ticket.provisional
    assert v.ticket_data().provisional
    dev.load(ref_doc(2, as_of=AT - timedelta(hours=23)))
    assert not dev.register(2, inmate="BI.0004/2024").provisional
    dev.close()


def test_max_age_comes_from_config(tmp_path):
    dev = make_device(tmp_path, doc=ref_doc(as_of=AT - timedelta(hours=25)), reference_max_age_h=48.0)
    assert not dev.register(1).provisional
    dev.close()


def test_no_reference_data_yet(tmp_path):
    dev = make_device(tmp_path, doc=False)
    r = refusal(dev.register, 1)
    assert r.code == "no_reference" and r.text("id") == "Kios ini belum memiliki data kunjungan."
    dev.close()


# --- booking codes -----------------------------------------------------------------------------------------


def booking(code: str, day, session: str = "P", status: str = "booked", inmate: str = "inm-4") -> dict:
    return {"booking_code": code, "visitor": {"nik": make_nik(40), "name": "Sri Wahyuni", "phone": "081234567801",
                                              "relationship": "spouse"},
            "followers": [{"name": "Anak", "relationship": "child", "child": True}], "inmate_id": inmate,
            "date": day.isoformat(), "session": session, "status": status}


@pytest.fixture
def booked(tmp_path):
    from kiosk.domain.visits import redeem_booking

    dev = make_device(tmp_path, doc=ref_doc(pre_registrations=[
        booking("BK01TEST", MON), booking("BK02TEST", WED), booking("BK03TEST", MON, status="cancelled")]))
    dev.redeem = lambda code, now=AT: redeem_booking(dev.store, dev.cfg, dev.key, code, now=now)
    yield dev
    dev.close()


def test_booking_redeemed_without_retyping(booked):
    v = booked.redeem(" bk01test ")
    assert (v.kind, v.queue_no, v.visitor_name, v.inmate_id, v.people) == ("pre_registered", "P-001", "Sri Wahyuni",
                                                                           "inm-4", 2)
    assert booked.store.scalar("SELECT booking_code FROM visits") == "BK01TEST"
    r = refusal(booked.redeem, "BK01TEST")
    assert r.code == "booking_used"
    assert r.text("id") == "Kode booking BK01TEST sudah dipakai (antrean P-001)."


def test_booking_wrong_day_unknown_or_cancelled(booked):
    r = refusal(booked.redeem, "BK02TEST")
    assert r.code == "booking_wrong_day" and r.text("id") == "Booking ini untuk tanggal 02/12/2026, bukan hari ini."
    assert r.hint_text("id") == "Silakan datang kembali pada hari booking Anda."
    for code in ("NOPE99", "BK03TEST", ""):
        r = refusal(booked.redeem, code)
        assert r.code == "booking_not_found"
    assert refusal(booked.redeem, "NOPE99").text("id") == "Kode booking NOPE99 tidak ditemukan."
    assert booked.redeem("BK02TEST", now=wib(WED, "09:00")).queue_no == "P-001"


def test_booking_takes_the_pre_registered_quota(tmp_path):
    from kiosk.domain.visits import redeem_booking

    dev = make_device(tmp_path, doc=ref_doc(schedule=schedule(walk=5, pre=0), pre_registrations=[
        booking("BK01TEST", MON)]))
    r = refusal(redeem_booking, dev.store, dev.cfg, dev.key, "BK01TEST", now=AT)
    assert r.code == "quota_full"
    dev.close()
