"""Payments fixtures: an initialised kiosk with reference data holding inmates and the payments sections."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from core import identity
from core.demo_payments import demo_sections
from kiosk.payments.reference import load_payment_sections

# 10:00 WIB on a Monday
NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
NIK = "3524014507900003"

SCHEDULE = {"sessions": {"P": {"label": "Pagi", "start": "08:30", "end": "11:30"}},
            "weekdays": {"1": [{"session": "P", "walk_in_quota": 60, "pre_registered_quota": 40,
                                "inmate_codes": ["A", "B"]}]}}

INMATES = [
    {"id": "inm-0001", "reg_no": "BI.0001/2025", "name": "Budi Santoso", "block": "A", "room": "A-01",
     "code": "B", "visitable": True, "status": "active"},
    {"id": "inm-0002", "reg_no": "BI.0002/2025", "name": "Agus Wijaya", "block": "A", "room": "A-02",
     "code": "B", "visitable": True, "status": "active"},
    {"id": "inm-0003", "reg_no": "AII.0003/2026", "name": "Slamet Riyadi", "block": "B", "room": "B-01",
     "code": "A", "visitable": False, "status": "released"},
]


def reference_doc(version: int = 1, **overrides) -> dict:
    doc = {
        "format": "lapas-reference/1", "facility_id": "LPS-DEMO", "version": version,
        "as_of": "2026-11-30T02:00:00.000Z", "kind": "full", "since": None,
        "facility": {"id": "LPS-DEMO", "name": "Lapas Kelas IIA Demo", "address": "Jl. Demo 1",
                     "city": "Malang", "room_capacity": 120},
        "inmates": copy.deepcopy(INMATES),
        "schedule": SCHEDULE, "exceptions": [],
        "emergency_close": {"closed": False, "reason": "", "until": None},
        "limits": {"max_followers": 3, "max_children": 2, "visits_per_nik_per_week": 1,
                   "visits_per_inmate_per_week": 2, "pre_registration_lead_days": 1},
        "banned_visitors": [], "pre_registrations": [], "trusted_keys": [], "cancelled_tickets": [],
        "visits_today": [],
        **demo_sections(),
    }
    doc.update(overrides)
    return doc


def load_reference(store, doc: dict) -> None:
    """Load ``doc`` with the visits core's loader; it validates and applies the payments sections through
    ``kiosk.payments.reference`` in the same transaction. A doc without the core sections (a payments-only
    update in these tests) goes through the payments loader alone."""
    from kiosk.domain.reference import apply_reference

    if "inmates" in doc:
        apply_reference(store, doc)
    else:
        load_payment_sections(store, doc, doc.get("version", 0))


@pytest.fixture
def kiosk(device):
    """(cfg, store, key) of an initialised kiosk holding the demo payments reference data."""
    cfg, store = device
    load_reference(store, reference_doc())
    return cfg, store, identity.load(cfg.keys_dir)
