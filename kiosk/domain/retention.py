"""Retention: personal data of visits leaves the device once HQ has it and it is older than the limit.

``purge`` (run by ``lapas visit purge``, e.g. nightly from cron or the sync daemon) works in one
``BEGIN IMMEDIATE`` transaction:

* visits dated before the cutoff whose ``visit.registered`` event is no longer pending are scrubbed: the
  visitor's name, phone and followers are emptied, the NIK is kept masked (``3524********0011``), and the
  visit's rows in ``visit_people`` (full NIKs, used for the weekly limit) are deleted. Counts, dates, session,
  queue number, inmate and the gate's presence rows stay for reports.
* deposits and canteen orders dated before the cutoff whose event HQ has: the payer's name is emptied and the
  NIK masked; print-log jobs (receipt data and bytes, names included) older than the cutoff are deleted.
* the oldest outbox rows (the events' payloads carry the same personal data) are deleted while they are
  settled (``sent``, or ``rejected`` and so already shown to operators for the whole retention period) and
  older than the cutoff: a contiguous prefix of the chain, never a pending event. The last deleted link is kept
  in ``meta.audit_anchor`` as ``{"seq", "hash"}``, so ``lapas audit verify`` still checks the rest of the chain
  from there and new events keep chaining on.

The cutoff is ``limits.retention_days`` before today (WIB), but never later than the Monday of this week:
the weekly limits per NIK need this week's NIKs.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from core.ids import WIB, iso, today_wib, utcnow, week_start
from kiosk.domain.nik import mask_nik

log = logging.getLogger(__name__)

_SETTLED = ("sent", "rejected")


@dataclass
class PurgeResult:
    cutoff: str  # visits dated before this day (WIB) and events made before its midnight are purged
    visits_scrubbed: int
    events_deleted: int
    anchor_seq: int | None  # the audit chain's anchor after the purge (None: the chain starts at genesis)
    payments_scrubbed: int = 0  # deposits and orders whose payer's name and NIK were scrubbed
    receipts_deleted: int = 0  # print-log jobs (receipt data and bytes) older than the cutoff

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def cutoff_day(cfg, now: datetime | None = None):
    today = today_wib(now or utcnow())
    return min(today - timedelta(days=cfg.limits.retention_days), week_start(today))


def purge(store, cfg, now: datetime | None = None) -> PurgeResult:
    """Scrub old visits' personal data and drop old settled outbox rows (see the module docstring)."""
    day = cutoff_day(cfg, now)
    with store.lock:
        prev_secure = store.conn.execute("PRAGMA secure_delete").fetchone()[0]
        store.conn.execute("PRAGMA secure_delete = ON")  # overwrite what is deleted, not just unlink it
        try:
            result = _purge(store, day)
            store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # old page images leave the WAL file too
        finally:
            store.conn.execute(f"PRAGMA secure_delete = {int(prev_secure)}")
    log.info("retention purge: cutoff %s, %d visits and %d payments scrubbed, %d receipts and %d events deleted, "
             "anchor seq %s", result.cutoff, result.visits_scrubbed, result.payments_scrubbed,
             result.receipts_deleted, result.events_deleted, result.anchor_seq)
    return result


def _purge(store, day) -> PurgeResult:
    cutoff_at = iso(datetime.combine(day, time(0), WIB))
    with store.transaction() as tx:
        rows = tx.execute(
            "SELECT visit_id, visitor_nik FROM visits WHERE visit_date < ? AND visitor_name != '' "
            "AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.event_id = visits.event_id AND o.state = 'pending')",
            (day.isoformat(),)).fetchall()
        tx.conn.executemany(
            "UPDATE visits SET visitor_nik = ?, visitor_name = '', visitor_phone = '', followers = '[]' "
            "WHERE visit_id = ?", [(mask_nik(r[1]), r[0]) for r in rows])
        tx.conn.executemany("DELETE FROM visit_people WHERE visit_id = ?", [(r[0],) for r in rows])
        payers = _scrub_payers(tx, day)
        receipts = tx.execute("DELETE FROM print_jobs WHERE copy_of IN (SELECT job_id FROM print_jobs WHERE "
                              "created_at < ?)", (cutoff_at,)).rowcount  # copies first: they name the original
        receipts += tx.execute("DELETE FROM print_jobs WHERE created_at < ?", (cutoff_at,)).rowcount

        anchor = tx.one("SELECT value FROM meta WHERE key = 'audit_anchor'")
        anchor_seq = json.loads(anchor[0])["seq"] if anchor else None
        stop = tx.one("SELECT min(seq) FROM outbox WHERE state NOT IN (?, ?) OR created_at >= ?",
                      (*_SETTLED, cutoff_at))[0]
        last = tx.one("SELECT seq, hash FROM outbox WHERE seq < ? ORDER BY seq DESC LIMIT 1",
                      (stop if stop is not None else 1 << 62,))
        deleted = 0
        if last is not None:
            deleted = tx.execute("DELETE FROM outbox WHERE seq <= ?", (last[0],)).rowcount
            tx.execute("INSERT INTO meta(key, value) VALUES ('audit_anchor', ?) "
                       "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                       (json.dumps({"seq": last[0], "hash": last[1]}),))
            anchor_seq = last[0]
    return PurgeResult(day.isoformat(), len(rows), deleted, anchor_seq, payers, receipts)


def _scrub_payers(tx, day) -> int:
    """Deposits and canteen orders before ``day`` whose creating event HQ has: the payer's NIK is kept masked,
    the name emptied. Amounts, references, inmate and status stay (receipts are checked by reference)."""
    scrubbed = 0
    for table, nik, name in (("deposits", "depositor_nik", "depositor_name"), ("orders", "buyer_nik", "buyer_name")):
        rows = tx.execute(
            f"SELECT rowid, {nik} FROM {table} WHERE wib_date < ? AND {name} != '' AND NOT EXISTS "
            f"(SELECT 1 FROM outbox o WHERE o.event_id = {table}.event_id AND o.state = 'pending')",
            (day.isoformat(),)).fetchall()
        tx.conn.executemany(f"UPDATE {table} SET {nik} = ?, {name} = '' WHERE rowid = ?",
                            [(mask_nik(r[1]), r[0]) for r in rows])
        scrubbed += len(rows)
    return scrubbed
