"""Audit-chain verification: every outbox event is linked to the previous one by hash.

The link lives in the event's outbox row (``prev_hash``, ``hash``). A link's hash covers the previous link's hash and the canonical JSON of its event (device, seq, id, type,
payload, time). Editing, deleting or reordering any event or link breaks the chain at that point, and
:func:`verify` names the first broken link.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from kiosk.store.outbox import GENESIS, link_hash


@dataclass
class VerifyResult:
    ok: bool
    links: int
    broken_seq: int | None = None
    reason: str = ""

    def as_dict(self) -> dict:
        return {"ok": self.ok, "links": self.links, "broken_seq": self.broken_seq, "reason": self.reason}


def verify(conn: sqlite3.Connection, device_id: str) -> VerifyResult:
    anchor_row = conn.execute("SELECT value FROM meta WHERE key = 'audit_anchor'").fetchone()
    if anchor_row:
        anchor = json.loads(anchor_row[0])
        expected_seq, prev = anchor["seq"] + 1, anchor["hash"]
    else:
        expected_seq, prev = 1, GENESIS
    rows = conn.execute(
        "SELECT seq, event_id, type, payload, created_at, prev_hash, hash FROM outbox ORDER BY seq"
    )
    n = 0
    for seq, event_id, type_, payload, created_at, prev_hash, hash_ in rows:
        if seq != expected_seq:
            return VerifyResult(False, n, expected_seq, f"link seq {expected_seq} is missing (next is {seq})")
        if prev_hash != prev:
            return VerifyResult(False, n, seq, f"link seq {seq} does not follow the previous link")
        try:
            h = link_hash(prev, device_id, seq, event_id, type_, payload, created_at)
        except (ValueError, TypeError) as exc:
            return VerifyResult(False, n, seq, f"event seq {seq} is unreadable: {exc}")
        if h != hash_:
            return VerifyResult(False, n, seq, f"event seq {seq} was altered (hash mismatch)")
        prev, expected_seq, n = hash_, seq + 1, n + 1
    head = conn.execute("SELECT value FROM counters WHERE name = 'outbox_seq'").fetchone()
    if head and head[0] != expected_seq - 1:
        return VerifyResult(False, n, expected_seq, f"chain ends at seq {expected_seq - 1} but {head[0]} events were written")
    return VerifyResult(True, n)
