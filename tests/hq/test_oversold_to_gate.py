"""Two kiosks register visits offline on stale reference data (provisional) and together oversell a session.
HQ accepts the first ones, rejects the extra one as ``quota_oversold`` and publishes the cancellation; the gate,
after its next sync, refuses that ticket and accepts the others -- with the network down again."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core import identity
from hq import operators
from kiosk import config as config_mod
from kiosk.domain import gate
from kiosk.domain.reference import apply_reference
from kiosk.domain.visits import VisitRequest, register_visit
from kiosk.store import Store
from sync.daemon import Daemon
from tests.support.hqproc import make_device

DAY = date(2026, 12, 7)  # a Monday
AT = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # 08:00 WIB, more than 24 h after the reference was made
INMATES = "id,reg_no,name,code,block,room\ninm-1,BI.1/2025,Ahmad Fauzi,B,A,A-1\ninm-2,BI.2/2025,Budi Santoso,B,A,A-2\n" \
          "inm-3,BI.3/2025,Candra Wijaya,B,B,B-1\n"


def sync_once(cfg):
    d = Daemon(config_mod.load(cfg.data_dir), apply_reference=apply_reference)
    try:
        assert d.run_once(), d.status
        return d.status
    finally:
        d.close()


def visit(cfg, nik_serial: int, inmate: str):
    with Store(cfg.db_path, cfg.device.device_id) as store:
        return register_visit(store, cfg, identity.load(cfg.keys_dir), VisitRequest(
            visitor_nik=f"352401120390{nik_serial:04d}", visitor_name=f"Pengunjung {nik_serial}",
            visitor_phone="081234567890", relationship="spouse", inmate_query=inmate, visit_date=DAY,
            session="P"), now=AT)


def test_oversold_provisional_visit_is_cancelled_at_the_gate(hq_server, tmp_path):
    db, url = hq_server.db, hq_server.url
    fid = "LPS-Q" + tmp_path.name[-6:].upper().replace("_", "")
    with db.write() as conn:
        operators.add_facility(conn, fid, "Lapas Kuota")
        operators.import_inmates(conn, fid, INMATES)
        operators.set_schedule(conn, fid, {
            "sessions": {"P": {"label": "Pagi", "start": "08:30", "end": "11:30"}},
            "weekdays": {"1": [{"session": "P", "walk_in_quota": 2, "pre_registered_quota": 0,
                                "inmate_codes": ["A", "B"]}]}})
    kiosk_a = make_device(tmp_path / "a", db, url, facility_id=fid)
    kiosk_b = make_device(tmp_path / "b", db, url, facility_id=fid)
    guard = make_device(tmp_path / "g", db, url, facility_id=fid, role="guard")
    for cfg in (kiosk_a, kiosk_b, guard):
        sync_once(cfg)  # every device starts with the facility's reference data

    # offline, each kiosk sees a free session: together they sell 3 places of 2
    v1, v2 = visit(kiosk_a, 1, "BI.1/2025"), visit(kiosk_a, 2, "BI.2/2025")
    v3 = visit(kiosk_b, 3, "BI.3/2025")
    assert v1.provisional and v3.provisional

    sync_once(kiosk_a)
    status_b = sync_once(kiosk_b)
    assert status_b["dead_letters"] == 1  # HQ refused B's visit; the kiosk shows it as a dead letter
    with Store(kiosk_b.db_path, kiosk_b.device.device_id) as store:
        row = store.one("SELECT reject_code FROM outbox WHERE type = 'visit.registered'")
    assert row[0] == "quota_oversold"

    sync_once(guard)
    with Store(guard.db_path, guard.device.device_id) as store:
        cfg = config_mod.load(guard.data_dir)
        scan_at = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
        assert gate.judge(store, cfg, v3.ticket, now=scan_at).verdict == "CANCELLED"
        assert gate.judge(store, cfg, v1.ticket, now=scan_at).verdict == "VALID"
        assert gate.judge(store, cfg, v2.ticket, now=scan_at).verdict == "VALID"


@pytest.mark.parametrize("order", ["registration_first", "check_in_first"])
def test_gate_and_kiosk_events_in_either_order_give_one_visit(sqlite_hq, tmp_path, order):
    from sqlalchemy import select

    from core.events import VisitCheckedIn, VisitRegistered
    from hq.schema import visits

    db, url = sqlite_hq.db, sqlite_hq.url
    kiosk = make_device(tmp_path / "k", db, url)
    guard = make_device(tmp_path / "g", db, url, role="guard")
    vid = "v-order-" + order
    reg = VisitRegistered(vid, "LPS-TEST", "2026-12-07", "P", "P-001", "walk_in", "inm-1", "3524011203900001",
                          "Siti", "0812", "spouse", followers=[{"name": "Budi"}])
    chk = VisitCheckedIn(vid, "LPS-TEST", 2, "2026-12-07T02:00:00.000Z")

    def push(cfg, event):
        with Store(cfg.db_path, cfg.device.device_id) as store, store.transaction() as tx:
            tx.emit(event)
        sync_once(cfg)

    first, second = ((kiosk, reg), (guard, chk)) if order == "registration_first" else ((guard, chk), (kiosk, reg))
    push(*first)
    push(*second)
    with db.read() as conn:
        rows = conn.execute(select(visits).where(visits.c.visit_id == vid)).all()
    assert len(rows) == 1
    r = rows[0]
    assert (r.visitor_name, r.queue_no, r.people, r.people_in, r.checked_in_at) == (
        "Siti", "P-001", 2, 2, "2026-12-07T02:00:00.000Z")
    assert r.nik_masked == "3524********0001"
