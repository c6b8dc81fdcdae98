"""Retention purge: old visits lose their personal data once HQ has them; the audit chain stays verifiable."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

from core.ids import utcnow
from kiosk.domain.retention import purge
from kiosk.store import audit, outbox
from tests.domain.helpers import AT, MON, make_nik

LATER = max(utcnow(), AT) + timedelta(days=200)  # far past the 90-day limit for visits and their events


def _visit(store, visit_id):
    return store.one("SELECT visitor_nik, visitor_name, visitor_phone, followers, people, queue_no FROM visits "
                     "WHERE visit_id = ?", (visit_id,))


def _sent(store, *visits):
    outbox.mark_results(store.conn, [{"event_id": v.event_id, "status": "accepted"} for v in visits])


def _event_ids(store, *visits):
    return [store.scalar("SELECT event_id FROM visits WHERE visit_id = ?", (v.visit_id,)) for v in visits]


class _V:
    def __init__(self, visit, event_id):
        self.visit_id, self.event_id = visit.visit_id, event_id


def _registered(kiosk, *args):
    out = []
    for serial, inmate in args:
        v = kiosk.register(serial, inmate=inmate, followers=[{"name": f"Anak {serial}", "relationship": "child",
                                                               "child": True}])
        out.append(_V(v, _event_ids(kiosk.store, v)[0]))
    return out


def test_purge_scrubs_only_old_settled_visits_and_anchors_the_chain(kiosk):
    store = kiosk.store
    v1, v2, v3 = _registered(kiosk, (1, "BI.0001/2025"), (2, "BI.0004/2024"), (3, "BI.0007/2025"))
    nik1 = make_nik(1)

    # nothing is old yet: nothing changes
    r = purge(store, kiosk.cfg, now=AT)
    assert (r.visits_scrubbed, r.events_deleted, r.anchor_seq) == (0, 0, None)
    assert _visit(store, v1.visit_id)[1] == "Pengunjung 1"

    # HQ has visits 1 and 3; visit 2's event is still pending
    _sent(store, v1, v3)
    r = purge(store, kiosk.cfg, now=LATER)
    assert (r.visits_scrubbed, r.events_deleted, r.anchor_seq) == (2, 1, 1)  # the chain's prefix stops at seq 2
    nik, name, phone, followers, people, queue_no = _visit(store, v1.visit_id)
    assert (nik, name, phone, json.loads(followers)) == ("3524********0001", "", "", [])
    assert (people, queue_no) == (2, "P-001")  # counts stay for reports
    assert _visit(store, v2.visit_id)[:2] == (make_nik(2), "Pengunjung 2")  # not yet at HQ: untouched
    assert store.scalar("SELECT count(*) FROM visit_people WHERE visit_id = ?", (v1.visit_id,)) == 0
    assert store.scalar("SELECT count(*) FROM outbox WHERE event_id = ?", (v1.event_id,)) == 0
    assert store.scalar("SELECT count(*) FROM outbox WHERE event_id = ?", (v2.event_id,)) == 1
    assert audit.verify(store.conn, store.device_id).ok

    # the visitor's full NIK and name are gone from the database file itself, not just unlinked
    raw = kiosk.cfg.db_path.read_bytes()
    assert nik1.encode() not in raw and b"Pengunjung 1" not in raw
    assert make_nik(2).encode() in raw

    _sent(store, v2)
    r = purge(store, kiosk.cfg, now=LATER)
    assert (r.visits_scrubbed, r.events_deleted, r.anchor_seq) == (1, 2, 3)
    assert store.scalar("SELECT count(*) FROM outbox") == 0
    assert audit.verify(store.conn, store.device_id).ok
    # new events chain on from the anchor
    kiosk.register(4, inmate="BI.0008/2025")
    assert store.scalar("SELECT seq FROM outbox") == 4
    check = audit.verify(store.conn, store.device_id)
    assert check.ok and check.links == 1
    # and tampering after a purge is still caught
    store.conn.execute("UPDATE outbox SET payload = replace(payload, 'Pengunjung 4', 'Orang Lain')")
    assert not audit.verify(store.conn, store.device_id).ok


def test_purge_keeps_this_weeks_niks_for_the_weekly_limit(kiosk):
    """Even with a one-day retention, the NIKs of this week stay: the weekly limit per NIK still refuses."""
    kiosk.cfg.limits.retention_days = 1
    (v1,) = _registered(kiosk, (1, "BI.0001/2025"))
    _sent(kiosk.store, v1)
    r = purge(kiosk.store, kiosk.cfg, now=AT + timedelta(days=2))  # Wednesday: Monday is still this week
    assert r.cutoff == MON.isoformat() and r.visits_scrubbed == 0
    from kiosk.domain.rules import Refusal

    try:
        kiosk.register(1, inmate="BI.0004/2024", day=MON + timedelta(days=2), now=AT + timedelta(days=2))
    except Refusal as exc:
        assert exc.code == "weekly_limit_nik"
    else:
        raise AssertionError("the weekly limit per NIK was forgotten by the purge")


def test_purge_command(kiosk):
    (v1,) = _registered(kiosk, (1, "BI.0001/2025"))
    _sent(kiosk.store, v1)
    kiosk.close()
    out = subprocess.run([sys.executable, "-m", "lapas", "visit", "purge", "--data-dir", str(kiosk.cfg.data_dir)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    # the command uses the real clock: the test week's visit is old only once 90 days have passed since it
    old = utcnow().date() - timedelta(days=kiosk.cfg.limits.retention_days) > MON
    assert (result["visits_scrubbed"], result["events_deleted"]) == ((1, 1) if old else (0, 0))
    assert result["cutoff"] <= utcnow().date().isoformat()
    audit_out = subprocess.run([sys.executable, "-m", "lapas", "audit", "verify", "--data-dir",
                                str(kiosk.cfg.data_dir)], capture_output=True, text=True, timeout=60)
    assert audit_out.returncode == 0, audit_out.stdout + audit_out.stderr
