"""The outbox: events waiting for headquarters, in per-device ``seq`` order, each chained into the audit log.

States: ``pending`` (not yet acknowledged), ``sent`` (HQ answered accepted or duplicate after its commit),
``rejected`` (HQ refused it: dead-lettered, kept and shown to operators, never blocks the queue).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.events import Event, canonical_json
from core.ids import now_iso, uuid7

GENESIS = "0" * 64


@dataclass(frozen=True)
class OutboxEntry:
    seq: int
    event_id: str
    type: str
    payload: dict[str, Any]
    created_at: str


def link_hash(prev_hash: str, device_id: str, seq: int, event_id: str, type_: str,
              payload_json: str, created_at: str) -> str:
    """Hash of one audit link: SHA-256 over the previous hash and the canonical JSON of the event.

    The event's canonical JSON is ``{"created_at","device_id","event_id","payload","seq","type"}`` with sorted keys
    and no spaces; ``payload_json`` is spliced in exactly as stored (it is itself canonical JSON), so any edit of
    the stored text breaks the link.
    """
    dumps = json.dumps
    body = (
        '{"created_at":' + dumps(created_at, ensure_ascii=False)
        + ',"device_id":' + dumps(device_id, ensure_ascii=False)
        + ',"event_id":' + dumps(event_id, ensure_ascii=False)
        + ',"payload":' + payload_json
        + ',"seq":' + str(int(seq))
        + ',"type":' + dumps(type_, ensure_ascii=False) + "}"
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def append_event(conn: sqlite3.Connection, device_id: str, event: Event) -> OutboxEntry:
    """Append ``event`` inside the caller's open transaction: next ``seq``, outbox row, audit link."""
    if not conn.in_transaction:
        raise RuntimeError("append_event must run inside a store transaction")
    payload = event.payload()
    payload_json = canonical_json(payload)
    seq = conn.execute(
        "UPDATE counters SET value = value + 1 WHERE name = 'outbox_seq' RETURNING value"
    ).fetchone()[0]
    event_id, created_at = uuid7(), now_iso()
    row = conn.execute("SELECT hash FROM outbox ORDER BY seq DESC LIMIT 1").fetchone()
    prev = row[0] if row else (_anchor_hash(conn) or GENESIS)
    h = link_hash(prev, device_id, seq, event_id, event.name, payload_json, created_at)
    conn.execute(
        "INSERT INTO outbox(seq, event_id, type, payload, created_at, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (seq, event_id, event.name, payload_json, created_at, prev, h),
    )
    return OutboxEntry(seq, event_id, event.name, payload, created_at)


def _anchor_hash(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = 'audit_anchor'").fetchone()
    return json.loads(row[0])["hash"] if row else None


def low_water(conn: sqlite3.Connection) -> int:
    """No event below this ``seq`` is pending (kept in ``meta`` so reads skip the sent history quickly)."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'outbox_low_water'").fetchone()
    return int(row[0]) if row else 1


def _advance_low_water(conn: sqlite3.Connection) -> None:
    """Move the low-water mark up to the oldest pending event (inside the caller's transaction)."""
    row = conn.execute(
        "SELECT seq FROM outbox WHERE seq >= ? AND state = 'pending' ORDER BY seq LIMIT 1", (low_water(conn),)
    ).fetchone()
    if row is None:
        row = conn.execute("SELECT value + 1 FROM counters WHERE name = 'outbox_seq'").fetchone()
    conn.execute(
        "INSERT INTO meta(key, value) VALUES ('outbox_low_water', ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (str(row[0]),),
    )


def pending_batch(conn: sqlite3.Connection, limit: int) -> list[dict[str, Any]]:
    """The oldest pending events in ``seq`` order, as wire dicts. A short read: no transaction stays open."""
    rows = conn.execute(
        "SELECT seq, event_id, type, payload, created_at FROM outbox WHERE seq >= ? AND state = 'pending' "
        "ORDER BY seq LIMIT ?",
        (low_water(conn), limit),
    ).fetchall()
    if conn.in_transaction:  # pragma: no cover - guarded: the caller must not hold a read open
        raise RuntimeError("pending_batch called inside a transaction")
    return [
        {"seq": r[0], "event_id": r[1], "type": r[2], "payload": json.loads(r[3]), "created_at": r[4]}
        for r in rows
    ]


def pending_batch_json(conn: sqlite3.Connection, limit: int, after_seq: int = 0) -> list[tuple[int, str, str]]:
    """Like :func:`pending_batch`, but each event comes as ``(seq, event_id, wire JSON object text)`` with the
    stored payload text spliced in unparsed (the sync daemon's hot path); only events after ``after_seq``."""
    rows = conn.execute(
        "SELECT seq, event_id, type, payload, created_at FROM outbox WHERE seq >= ? AND state = 'pending' "
        "ORDER BY seq LIMIT ?",
        (max(low_water(conn), after_seq + 1), limit),
    ).fetchall()
    if conn.in_transaction:  # pragma: no cover - guarded: the caller must not hold a read open
        raise RuntimeError("pending_batch_json called inside a transaction")
    dumps = json.dumps
    return [
        (r[0], r[1], '{"seq":' + str(int(r[0])) + ',"event_id":' + dumps(r[1]) + ',"type":' + dumps(r[2])
         + ',"payload":' + r[3] + ',"created_at":' + dumps(r[4]) + "}")
        for r in rows
    ]


_STATUSES = ("accepted", "duplicate", "rejected")


def mark_results(conn: sqlite3.Connection, results: list[dict[str, Any]], sent_at: str | None = None,
                 on_row: Callable[[int], None] | None = None,
                 batch: list[tuple[int, str, str]] | None = None) -> None:
    """Apply HQ's per-event answers in one transaction (the caller holds no other transaction).

    ``results`` items: ``{"event_id", "status": accepted|duplicate|rejected, "code"?, "message"?}``.
    ``on_row(i)`` runs just before the i-th answer is applied (the sync daemon's fault-injection hook).
    ``batch``: the events these answers are for, as read by :func:`pending_batch_json` (every event pending
    between its first and last ``seq``). When every one of them is answered accepted or duplicate, one UPDATE
    over that ``seq`` range marks them all (checked by its row count; anything else takes the per-event path).
    """
    sent_at = sent_at or now_iso()
    conn.execute("BEGIN IMMEDIATE")
    try:
        if on_row is not None or batch is None or not _mark_whole_batch(conn, results, batch, sent_at):
            _mark_each(conn, results, sent_at, on_row)
        _advance_low_water(conn)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _mark_whole_batch(conn: sqlite3.Connection, results: list[dict[str, Any]], batch: list[tuple[int, str, str]],
                      sent_at: str) -> bool:
    """Mark ``batch`` sent with one ranged UPDATE if ``results`` answer exactly its events, all successfully.

    Exact because the pending events in the batch's ``seq`` range were exactly the batch when it was read, an
    event never becomes pending again, and new events get higher seqs; the row count confirms it."""
    if not batch or len(results) != len(batch) or any(r["status"] not in ("accepted", "duplicate") for r in results):
        return False
    if {r["event_id"] for r in results} != {b[1] for b in batch}:
        return False
    conn.execute("SAVEPOINT mark_batch")
    n = conn.execute(
        "UPDATE outbox SET state = 'sent', sent_at = ?, attempts = attempts + 1, last_error = NULL "
        "WHERE seq BETWEEN ? AND ? AND state = 'pending'", (sent_at, batch[0][0], batch[-1][0])).rowcount
    if n != len(batch):  # pragma: no cover - defensive: something else changed the outbox
        conn.execute("ROLLBACK TO mark_batch")
    conn.execute("RELEASE mark_batch")
    return n == len(batch)


def _mark_each(conn: sqlite3.Connection, results: list[dict[str, Any]], sent_at: str,
               on_row: Callable[[int], None] | None) -> None:
    counter = iter(range(len(results)))

    def rows(status_ok: bool):
        for r in results:
            if (r["status"] in ("accepted", "duplicate")) is not status_ok or r["status"] not in _STATUSES:
                continue
            if on_row is not None:
                on_row(next(counter))
            if status_ok:
                yield (sent_at, r["event_id"])
            else:
                yield (r.get("code", "rejected"), r.get("message", ""), r["event_id"])

    conn.executemany(
        "UPDATE outbox SET state = 'sent', sent_at = ?, attempts = attempts + 1, last_error = NULL "
        "WHERE event_id = ? AND state = 'pending'",
        rows(True),
    )
    conn.executemany(
        "UPDATE outbox SET state = 'rejected', attempts = attempts + 1, reject_code = ?, "
        "last_error = ? WHERE event_id = ? AND state = 'pending'",
        rows(False),
    )


def note_failure(conn: sqlite3.Connection, event_ids: list[str], error: str) -> None:
    """Count a failed attempt for these events (they stay pending)."""
    if not event_ids:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE event_id = ? AND state = 'pending'",
            [(error[:500], e) for e in event_ids],
        )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def stats(conn: sqlite3.Connection) -> dict[str, Any]:
    """Counts per state and the oldest pending event's creation time."""
    lw = low_water(conn)
    counts = dict(conn.execute("SELECT state, count(*) FROM outbox GROUP BY state").fetchall())
    oldest = conn.execute(
        "SELECT created_at FROM outbox WHERE seq >= ? AND state = 'pending' ORDER BY seq LIMIT 1", (lw,)
    ).fetchone()
    return {
        "pending": counts.get("pending", 0),
        "sent": counts.get("sent", 0),
        "rejected": counts.get("rejected", 0),
        "oldest_pending_at": oldest[0] if oldest else None,
    }


def dead_letters(conn: sqlite3.Connection, limit: int = 100) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT seq, event_id, type, reject_code, last_error, created_at FROM outbox "
        "WHERE state = 'rejected' ORDER BY seq LIMIT ?",
        (limit,),
    ).fetchall()
    return [dict(zip(("seq", "event_id", "type", "code", "message", "created_at"), r, strict=True)) for r in rows]
