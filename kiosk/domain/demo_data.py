"""A fictional demo facility: hundreds of inmates with realistic Indonesian names and registration numbers.

Everything here is made up. Deterministic for a seed; pre-registrations fall on "today" and "tomorrow" of
the day the document is generated, so the demo's booking codes always work.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from core.ids import WIB, iso, today_wib, utcnow

GIVEN_M = [
    "Agus", "Budi", "Dedi", "Eko", "Fajar", "Hendra", "Joko", "Kurniawan", "Rizky", "Slamet", "Teguh", "Wahyu",
    "Yusuf", "Andi", "Bambang", "Dimas", "Fikri", "Gilang", "Hadi", "Irfan", "Junaidi", "Lukman", "Muhammad",
    "Nanda", "Putu", "Made", "Ketut", "Rahmat", "Sutrisno", "Taufik", "Ujang", "Yoga", "Zainal", "Arif", "Bayu",
    "Cahyo", "Darmawan", "Ferdi", "Gunawan", "Herman", "Imam", "Jefri", "Komang", "Lutfi", "Nur", "Ridwan",
]
GIVEN_F = [
    "Siti", "Sri", "Dewi", "Rina", "Wulan", "Ayu", "Indah", "Lestari", "Nurul", "Putri", "Ratna", "Yanti",
    "Fitri", "Hesti", "Kartika", "Maya", "Novi", "Rahayu", "Sari", "Tuti", "Wati", "Yuliana", "Annisa", "Dian",
]
FAMILY = [
    "Santoso", "Wijaya", "Saputra", "Pratama", "Hidayat", "Setiawan", "Nugroho", "Kusuma", "Siregar", "Nasution",
    "Harahap", "Simanjuntak", "Lubis", "Hutapea", "Sinaga", "Pardede", "Sembiring", "Ginting", "Tarigan",
    "Rahman", "Hakim", "Firmansyah", "Gunadi", "Purnomo", "Susanto", "Wibowo", "Prasetyo", "Kurnia", "Suryadi",
    "Maulana", "Syahputra", "Sitompul", "Manurung", "Pangaribuan", "Daulay", "Ramadhan", "Permana", "Sutanto",
    "Tanjung", "Rangkuti", "Pohan", "Ritonga", "Batubara", "Effendi", "Lesmana", "Hartono", "Wahyudi",
]
BLOCKS = ["A", "B", "C", "D", "E", "F"]

# Visitors for the demo bookings; their NIKs are structurally valid but belong to nobody.
DEMO_VISITORS = [
    {"nik": "3573015507850003", "name": "Sri Wahyuni", "phone": "081234567801", "relationship": "spouse"},
    {"nik": "3507021203790002", "name": "Bambang Hartono", "phone": "081334567802", "relationship": "parent"},
    {"nik": "3578046110920001", "name": "Dewi Lestari", "phone": "085234567803", "relationship": "sibling"},
    {"nik": "3524010101880003", "name": "Agus Santoso", "phone": "087834567804", "relationship": "relative"},
]


def _name(rng: random.Random) -> str:
    given = rng.choice(GIVEN_M if rng.random() < 0.93 else GIVEN_F)
    if rng.random() < 0.25:
        return f"{given} {rng.choice(GIVEN_M)} {rng.choice(FAMILY)}"
    return f"{given} {rng.choice(FAMILY)}"


def inmates(n: int = 514, seed: int = 205) -> list[dict]:
    """``n`` fictional inmates; about 30 % detainees (code A, reg_no ``AII.0123/2026``), the rest sentenced
    (code B, ``BI.0456/2024``), a few not visitable (isolation) and a few released or transferred."""
    rng = random.Random(seed)
    out, used = [], set()
    for i in range(1, n + 1):
        code = "A" if rng.random() < 0.3 else "B"
        while True:
            klass = rng.choice(["I", "II", "III"]) if code == "A" else rng.choice(["I", "IIa", "IIb"])
            year = rng.choice([2023, 2024, 2025, 2026]) if code == "B" else rng.choice([2026])
            reg = f"{code}{klass}.{rng.randint(1, 2999):04d}/{year}"
            if reg not in used:
                used.add(reg)
                break
        block = rng.choice(BLOCKS)
        status = "active"
        roll = rng.random()
        if roll < 0.01:
            status = "released"
        elif roll < 0.02:
            status = "transferred"
        out.append({
            "id": f"inm-{i:04d}", "reg_no": reg, "name": _name(rng), "block": block,
            "room": f"{block}-{rng.randint(1, 24):02d}", "code": code,
            "visitable": rng.random() > 0.02, "status": status,
        })
    # fixed, easy-to-type inmates for the demo script and the docs
    out[0].update(reg_no="BI.0001/2025", name="Ahmad Fauzi Hidayat", code="B", visitable=True, status="active",
                  block="A", room="A-01")
    out[1].update(reg_no="AII.0002/2026", name="Rudi Hartono Siregar", code="A", visitable=True, status="active",
                  block="B", room="B-03")
    out[2].update(reg_no="BI.0003/2024", name="Yosef Manurung", code="B", visitable=False, status="active",
                  block="C", room="C-07")
    return out


def schedule(open_now: datetime | None = None) -> dict:
    """Two sessions a day (pagi, siang). With ``open_now`` the siang session is moved so that it is running
    at that moment (for a demo given at any hour)."""
    both, sentenced, detainees = ["A", "B"], ["B"], ["A"]

    def day(codes_p, codes_s, walk=60, pre=40):
        return [{"session": "P", "walk_in_quota": walk, "pre_registered_quota": pre, "inmate_codes": codes_p},
                {"session": "S", "walk_in_quota": walk // 2, "pre_registered_quota": pre // 2,
                 "inmate_codes": codes_s}]

    sessions = {"P": {"label": "Pagi", "start": "08:30", "end": "11:30"},
                "S": {"label": "Siang", "start": "13:00", "end": "15:00"}}
    if open_now is not None:
        local = open_now.astimezone(WIB)
        start = max(0, local.hour - 1)
        sessions["S"] = {"label": "Siang", "start": f"{start:02d}:00", "end": "23:59"}
        sessions["P"] = {"label": "Pagi", "start": "00:00", "end": f"{max(start, 1) - 1:02d}:59"}
    return {
        "sessions": sessions,
        "weekdays": {"1": day(sentenced, sentenced), "2": day(detainees, detainees), "3": day(both, both),
                     "4": day(sentenced, sentenced), "5": day(detainees, both), "6": day(both, both, 80, 40),
                     "7": day(both, both, 40, 20)},
    }


def demo_reference(facility_id: str = "LPS-DEMO", *, version: int = 1, today: date | None = None,
                   as_of: datetime | None = None, n_inmates: int = 514, open_now: bool = False) -> dict:
    """A full reference snapshot for the demo facility (format: docs/architecture.md)."""
    today = today or today_wib()
    tomorrow = today + timedelta(days=1)
    people = inmates(n_inmates)
    bookings = []
    for i, (visitor, day, session) in enumerate(zip(
            DEMO_VISITORS, [today, today, tomorrow, tomorrow], ["P", "S", "P", "S"], strict=True)):
        bookings.append({
            "booking_code": f"BK{i + 1:02d}DEMO", "visitor": visitor, "followers": [],
            "inmate_id": people[3 + i]["id"], "date": day.isoformat(), "session": session, "status": "booked"})
    return {
        "format": "lapas-reference/1", "facility_id": facility_id, "version": version,
        "as_of": iso(as_of or utcnow()), "kind": "full", "since": None,
        "facility": {"id": facility_id, "name": "Lapas Kelas IIA Demo", "address": "Jl. Pemasyarakatan No. 1",
                     "city": "Malang", "room_capacity": 120},
        "inmates": people,
        "schedule": schedule(utcnow() if open_now else None),
        "exceptions": [{"date": f"{today.year}-12-25", "closed": True, "reason": "Hari Raya Natal"},
                       {"date": f"{today.year + 1}-01-01", "closed": True, "reason": "Tahun Baru"}],
        "emergency_close": {"closed": False, "reason": "", "until": None},
        "limits": {"max_followers": 3, "max_children": 2, "visits_per_nik_per_week": 1,
                   "visits_per_inmate_per_week": 2, "pre_registration_lead_days": 1, "max_days_ahead": 7,
                   "ticket_grace_minutes": 30},
        "banned_visitors": [{"nik": "3578010101900001", "reason": "Membawa barang terlarang", "until": None}],
        "pre_registrations": bookings,
        "trusted_keys": [],
        "cancelled_tickets": [],
        "visits_today": [],
    }
