"""Audit-chain verification: every outbox event is linked to the previous one by hash.

A link's hash covers the previous link's hash and the canonical JSON of its event (device, seq, id, type,
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
        """
        SELECT a.seq, a.event_id, a.prev_hash, a.hash, o.seq, o.event_id, o.type, o.payload, o.created_at
        FROM audit a LEFT JOIN outbox o ON o.seq = a.seq
        UNION ALL
        SELECT NULL, NULL, NULL, NULL, o.seq, o.event_id, o.type, o.payload, o.created_at
        FROM outbox o WHERE NOT EXISTS (SELECT 1 FROM audit a WHERE a.seq = o.seq)
        ORDER BY 1, 5
        """
    ).fetchall()
    n = 0
    for a_seq, a_eid, a_prev, a_hash, o_seq, o_eid, o_type, o_payload, o_created in rows:
        if a_seq is None:
            return VerifyResult(False, n, o_seq, f"event seq {o_seq} has no audit link")
        if a_seq != expected_seq:
            return VerifyResult(False, n, expected_seq, f"link seq {expected_seq} is missing (next is {a_seq})")
        if o_seq is None:
            return VerifyResult(False, n, a_seq, f"link seq {a_seq} has no outbox event (deleted)")
        if a_eid != o_eid:
            return VerifyResult(False, n, a_seq, f"link seq {a_seq} names event {a_eid} but the outbox holds {o_eid}")
        if a_prev != prev:
            return VerifyResult(False, n, a_seq, f"link seq {a_seq} does not follow the previous link")
        try:
            h = link_hash(prev, device_id, o_seq, o_eid, o_type, o_payload, o_created)
        except (ValueError, TypeError) as exc:
            return VerifyResult(False, n, a_seq, f"event seq {a_seq} is unreadable: {exc}")
        if h != a_hash:
            return VerifyResult(False, n, a_seq, f"event seq {a_seq} was altered (hash mismatch)")
        prev, expected_seq, n = a_hash, a_seq + 1, n + 1
    head = conn.execute("SELECT value FROM counters WHERE name = 'outbox_seq'").fetchone()
    if head and head[0] != expected_seq - 1:
        return VerifyResult(False, n, expected_seq, f"chain ends at seq {expected_seq - 1} but {head[0]} events were written")
    return VerifyResult(True, n)
