"""Visits-core helpers: a real device (config file, Ed25519 key, SQLite file) with a small reference snapshot,
and helpers that build NIKs, requests and WIB times. Tests inject ``now``; nothing depends on the wall clock."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from core import identity
from core.ids import WIB
from kiosk import config as config_mod
from kiosk.domain.reference import apply_reference
from kiosk.domain.visits import VisitRequest, register_visit
from kiosk.store import Store

MON = date(2026, 11, 30)  # the test week: Monday 30 Nov .. Sunday 6 Dec 2026
TUE, WED, THU, FRI, SAT, SUN = (MON + timedelta(days=i) for i in range(1, 7))
FACILITY = "LPS-TEST"


def wib(day: date, hhmm: str) -> datetime:
    """A WIB wall-clock moment as the aware UTC datetime the domain takes as ``now``."""
    h, m = (int(x) for x in hhmm.split(":"))
    return datetime(day.year, day.month, day.day, h, m, tzinfo=WIB).astimezone(UTC)


AT = wib(MON, "09:00")  # Monday morning, the P session (08:30-11:30) is running


def make_nik(serial: int = 1, *, province: str = "35", regency: str = "24", district: str = "01",
             born: date = date(1985, 7, 15), female: bool = False) -> str:
    day = born.day + (40 if female else 0)
    return f"{province}{regency}{district}{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"


INMATES = [
    {"id": "inm-1", "reg_no": "BI.0001/2025", "name": "Ahmad Fauzi Hidayat", "block": "A", "room": "A-01",
     "code": "B", "visitable": True, "status": "active"},
    {"id": "inm-2", "reg_no": "AII.0002/2026", "name": "Rudi Hartono Siregar", "block": "B", "room": "B-03",
     "code": "A", "visitable": True, "status": "active"},
    {"id": "inm-3", "reg_no": "BI.0003/2024", "name": "Yosef Manurung", "block": "C", "room": "C-07",
     "code": "B", "visitable": False, "status": "active"},
    {"id": "inm-4", "reg_no": "BI.0004/2024", "name": "Budi Santoso", "block": "A", "room": "A-02",
     "code": "B", "visitable": True, "status": "active"},
    {"id": "inm-5", "reg_no": "BIIa.0005/2023", "name": "Budi Santoso", "block": "D", "room": "D-11",
     "code": "B", "visitable": True, "status": "active"},
    {"id": "inm-6", "reg_no": "BI.0006/2025", "name": "Slamet Riyadi", "block": "E", "room": "E-04",
     "code": "B", "visitable": True, "status": "released"},
    {"id": "inm-7", "reg_no": "BI.0007/2025", "name": "Joko Susanto", "block": "A", "room": "A-05",
     "code": "B", "visitable": True, "status": "active"},
    {"id": "inm-8", "reg_no": "BI.0008/2025", "name": "Hendra Wijaya", "block": "A", "room": "A-06",
     "code": "B", "visitable": True, "status": "active"},
]


def _slot(session: str, codes: list[str], walk: int = 50, pre: int = 20) -> dict:
    return {"session": session, "walk_in_quota": walk, "pre_registered_quota": pre, "inmate_codes": codes}


def schedule(walk: int = 50, pre: int = 20) -> dict:
    """Mon: P both codes, S sentenced only; Tue: detainees only; Wed: both; Thu: P sentenced only;
    Fri and Sat: P both; Sun: no visits."""
    both = ["A", "B"]
    return {
        "sessions": {"P": {"label": "Pagi", "start": "08:30", "end": "11:30"},
                     "S": {"label": "Siang", "start": "13:00", "end": "15:00"}},
        "weekdays": {
            "1": [_slot("P", both, walk, pre), _slot("S", ["B"], walk, pre)],
            "2": [_slot("P", ["A"], walk, pre), _slot("S", ["A"], walk, pre)],
            "3": [_slot("P", both, walk, pre), _slot("S", both, walk, pre)],
            "4": [_slot("P", ["B"], walk, pre)],
            "5": [_slot("P", both, walk, pre)],
            "6": [_slot("P", both, walk, pre)],
        },
    }


def ref_doc(version: int = 1, *, as_of: datetime | None = None, **sections) -> dict:
    """A full snapshot for the test facility; keyword arguments replace whole sections."""
    doc = {
        "format": "lapas-reference/1", "facility_id": FACILITY, "version": version,
        "as_of": (as_of or AT - timedelta(hours=1)).isoformat().replace("+00:00", "Z"), "kind": "full",
        "since": None,
        "facility": {"id": FACILITY, "name": "Lapas Kelas IIA Uji", "address": "Jl. Pemasyarakatan No. 1",
                     "city": "Malang", "room_capacity": 6},
        "inmates": copy.deepcopy(INMATES),
        "schedule": schedule(),
        "exceptions": [{"date": "2026-12-25", "closed": True, "reason": "Hari Raya Natal"}],
        "emergency_close": {"closed": False, "reason": "", "until": None},
        "limits": {"max_followers": 3, "max_children": 2, "visits_per_nik_per_week": 1,
                   "visits_per_inmate_per_week": 2, "pre_registration_lead_days": 1, "max_days_ahead": 7,
                   "ticket_grace_minutes": 30},
        "banned_visitors": [], "pre_registrations": [], "trusted_keys": [], "cancelled_tickets": [],
        "visits_today": [],
    }
    doc.update(copy.deepcopy(sections))
    return doc


def trusted(key: identity.DeviceKey, device_id: str = "kiosk-01", revoked: bool = False) -> dict:
    return {"key_id": key.key_id, "device_id": device_id, "public_key": key.public_b64, "revoked": revoked}


@dataclass
class Device:
    cfg: config_mod.Config
    store: Store
    key: identity.DeviceKey

    def load(self, doc: dict) -> int:
        return apply_reference(self.store, doc)

    def register(self, serial: int = 1, *, inmate: str = "BI.0001/2025", day: date = MON, session: str = "P",
                 followers: list[dict] | None = None, now: datetime = AT, nik: str | None = None, **kw):
        req = VisitRequest(nik or make_nik(serial), kw.pop("name", f"Pengunjung {serial}"),
                           kw.pop("phone", "0812-3456-7890"), kw.pop("relationship", "spouse"), inmate, day, session,
                           list(followers or []), **kw)
        return register_visit(self.store, self.cfg, self.key, req, now=now)

    def close(self) -> None:
        self.store.close()


def make_device(root: Path, *, device_id: str = "kiosk-01", role: str = "kiosk", facility: str = FACILITY,
                doc: dict | None = None, **limits) -> Device:
    """A device as `lapas init` leaves it (config file, key pair, migrated SQLite file), made in-process."""
    cfg = config_mod.from_dict({"device": {"device_id": device_id, "role": role, "facility_id": facility},
                                "limits": limits}, root)
    config_mod.save(cfg)
    key = identity.create(cfg.keys_dir)
    dev = Device(config_mod.load(root), Store(cfg.db_path, device_id), key)
    if doc is not False:
        dev.load(doc or ref_doc())
    return dev
