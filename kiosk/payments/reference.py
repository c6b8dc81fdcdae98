"""The payments sections of the reference document (HQ -> device): validate, apply, read.

Sections (documented in docs/payments.md): ``merchant``, ``deposit_rules``, ``menu``, ``payment_updates``,
``balances``, ``order_status``. Like every section they are complete when present; a delta that carries one
replaces the local one wholesale. :func:`apply_payment_sections` runs inside the caller's transaction (the
reference loader's), so a failed load changes nothing; :func:`load_payment_sections` is a standalone load.

Applying ``payment_updates``/``order_status`` also moves local deposits and orders forward (HQ is the
authority). An update whose amount differs from the local record is refused (logged, record untouched): a
tampered or mismatched settlement never makes a receipt say LUNAS.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import date

from core import payment_states as states
from core.payment_reference import validate_payment_sections

log = logging.getLogger("lapas.payments")


def _advance(conn: sqlite3.Connection, kind: str, reference: str, status: str, amount: int | None,
             at: str) -> bool:
    """Move the local record with ``reference`` to ``status`` when allowed; True when it changed."""
    table, total = ("deposits", "amount") if kind == "deposit" else ("orders", "total")
    row = conn.execute(f"SELECT status, {total} FROM {table} WHERE reference = ?", (reference,)).fetchone()
    if row is None:
        return False
    conn.execute(f"UPDATE {table} SET hq_known = 1 WHERE reference = ?", (reference,))
    if amount is not None and amount != row[1]:
        log.warning("refused HQ update for %s %s: amount %s differs from the local %s", kind, reference,
                    amount, row[1])
        return False
    status = states.normalise(kind, status)
    if status == row[0] or not states.reachable(kind, row[0], status):
        return False
    settled = at if status in states.PAID[kind] and row[0] not in states.PAID[kind] else None
    conn.execute(f"UPDATE {table} SET status = ?, status_at = ?, settled_at = COALESCE(settled_at, ?) "
                 "WHERE reference = ?", (status, at, settled, reference))
    return True


def apply_payment_sections(conn: sqlite3.Connection, doc: dict, version: int = 0) -> int:
    """Apply the payments sections in ``doc`` inside the caller's open transaction; returns how many local
    deposits/orders changed status. Call :func:`validate_payment_sections` first."""
    if not conn.in_transaction:
        raise RuntimeError("apply_payment_sections must run inside a store transaction")
    changed = 0
    for name in ("merchant", "deposit_rules", "menu", "balances"):
        if name in doc and doc[name] is None:
            conn.execute("DELETE FROM payment_reference WHERE section = ?", (name,))
        elif name in doc:
            conn.execute("INSERT INTO payment_reference(section, body, version) VALUES (?, ?, ?) "
                         "ON CONFLICT(section) DO UPDATE SET body = excluded.body, version = excluded.version",
                         (name, json.dumps(doc[name], ensure_ascii=False, sort_keys=True), version))
    if "balances" in doc:
        conn.execute("DELETE FROM payment_balances")
        day = doc["balances"].get("date")
        conn.executemany(
            "INSERT INTO payment_balances(inmate_id, balance, pending, deposited_today, items_today, as_of_date) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(a["inmate_id"], a["balance"], a.get("pending", 0), a.get("deposited_today", 0),
              json.dumps(a.get("items_today", {}), sort_keys=True), day) for a in doc["balances"]["accounts"]])
    if "payment_updates" in doc:
        conn.execute("DELETE FROM payment_updates")
        for u in doc["payment_updates"]:
            conn.execute("INSERT OR REPLACE INTO payment_updates(reference, kind, status, amount, at) "
                         "VALUES (?, ?, ?, ?, ?)", (u["reference"], u["kind"], u["status"], u["amount"], u["at"]))
            changed += _advance(conn, u["kind"], u["reference"], u["status"], u["amount"], u["at"])
    if "order_status" in doc:
        for u in doc["order_status"]:
            changed += _advance(conn, "order", u["reference"], u["status"], None, u["at"])
    return changed


def load_payment_sections(store, doc: dict, version: int = 0) -> int:
    """Validate and apply the payments sections of ``doc`` in one transaction of ``store``."""
    validate_payment_sections(doc)
    with store.transaction() as tx:
        return apply_payment_sections(tx.conn, doc, version)


# --- reads -----------------------------------------------------------------------------------------------


def section(conn: sqlite3.Connection, name: str) -> dict | None:
    row = conn.execute("SELECT body FROM payment_reference WHERE section = ?", (name,)).fetchone()
    return json.loads(row[0]) if row else None


def hq_status(conn: sqlite3.Connection, reference: str) -> dict | None:
    """HQ's last word on a payment (from ``payment_updates``), e.g. for the guard station."""
    row = conn.execute("SELECT reference, kind, status, amount, at FROM payment_updates WHERE reference = ?",
                       (reference,)).fetchone()
    return dict(zip(("reference", "kind", "status", "amount", "at"), row, strict=True)) if row else None


def account(conn: sqlite3.Connection, inmate_id: str, today: date) -> dict:
    """HQ's figures for an inmate account; ``deposited_today``/``items_today`` count only when they are for
    ``today`` (WIB)."""
    row = conn.execute("SELECT balance, pending, deposited_today, items_today, as_of_date FROM payment_balances "
                       "WHERE inmate_id = ?", (inmate_id,)).fetchone()
    if row is None:
        return {"balance": 0, "pending": 0, "deposited_today": 0, "items_today": {}}
    fresh = row[4] == today.isoformat()
    return {"balance": row[0], "pending": row[1], "deposited_today": row[2] if fresh else 0,
            "items_today": json.loads(row[3]) if fresh else {}}
