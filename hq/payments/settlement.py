"""HQ's payment logic: record payments, enforce caps again, reconcile gateway settlements, credit or refund.

All functions run inside the caller's write transaction (``db.write()``) and never call the network.

* :func:`record_payment` -- a deposit/order from a kiosk (its creating event, or a charge request), idempotent
  by payment reference; a settlement that arrived earlier for that reference is reconciled right away.
* :func:`deposit_refusal` / :func:`order_refusal` -- the caps checked again at HQ (HQ-wide figures).
* :func:`apply_gateway_status` -- a verified notification (and the gateway's confirmed status) moves the
  payment: ``settlement`` -> settled (order: paid) -> credited to the ledger, or a refund request when the
  inmate can no longer be credited (released, transferred) or the balance cap would be exceeded.
  Duplicate notifications change nothing; stale ones (a final status already reached) change nothing; a paid
  amount different from amount + fee is never settled (``amount_mismatch``).
"""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from core import payment_states as states
from core.errors import RefusalError
from core.ids import iso, now_iso, parse_iso, today_wib, utcnow
from core.payment_reference import VALIDATORS, PaymentReferenceError
from core.receipt_codes import ReceiptCheck, verify_receipt
from hq import reference
from hq.payments import ledger
from hq.payments.provider import Notification
from hq.payments.schema import gateway_notes, payment_docs, payments, refunds
from hq.projections import mask_nik
from hq.schema import devices, inmates

DOC_SECTIONS = ("merchant", "deposit_rules", "menu")
LIVE_SECTIONS = ("payment_updates", "balances", "order_status", "menu")
GATEWAY_TO_STATUS = {"settlement": "settled", "expire": "expired", "deny": "failed", "cancel": "failed"}


class PaymentConflict(RefusalError, ValueError):
    """A payment that contradicts what HQ already holds for the same reference (``code``, message)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


# --- operator documents ----------------------------------------------------------------------------------


def get_doc(conn: Connection, facility_id: str, section: str) -> dict | None:
    row = conn.execute(select(payment_docs.c.body).where(payment_docs.c.facility_id == facility_id,
                                                         payment_docs.c.section == section)).first()
    return json.loads(row.body) if row else None


def set_doc(conn: Connection, facility_id: str, section: str, body: dict) -> int:
    """Validate and store a payments section (merchant, deposit_rules, menu); bumps the reference version."""
    if section not in DOC_SECTIONS:
        raise PaymentReferenceError(f"unknown payments section {section!r}; expected one of {DOC_SECTIONS}")
    VALIDATORS[section](body)
    text = json.dumps(body, ensure_ascii=False, sort_keys=True)
    n = conn.execute(update(payment_docs).where(payment_docs.c.facility_id == facility_id,
                                                payment_docs.c.section == section).values(body=text)).rowcount
    if not n:
        conn.execute(insert(payment_docs).values(facility_id=facility_id, section=section, body=text))
    return reference.bump(conn, facility_id, section)


# --- figures ---------------------------------------------------------------------------------------------


def _live(kind: str) -> list[str]:
    return sorted(states.LIVE[kind])


def deposited_on(conn: Connection, facility_id: str, inmate_id: str, day: str, exclude: str = "") -> int:
    """Live deposits for an inmate on a WIB day (``exclude``: a reference not to count)."""
    return int(conn.execute(select(func.coalesce(func.sum(payments.c.amount), 0)).where(
        payments.c.facility_id == facility_id, payments.c.inmate_id == inmate_id, payments.c.kind == "deposit",
        payments.c.wib_date == day, payments.c.status.in_(_live("deposit")),
        payments.c.reference != exclude)).scalar_one())


def pending_for(conn: Connection, facility_id: str, inmate_id: str, exclude: str = "") -> int:
    """Deposits that may still reach the account (not yet credited, not dead)."""
    return int(conn.execute(select(func.coalesce(func.sum(payments.c.amount), 0)).where(
        payments.c.facility_id == facility_id, payments.c.inmate_id == inmate_id, payments.c.kind == "deposit",
        payments.c.status.in_(("created", "awaiting_payment", "settled")),
        payments.c.reference != exclude)).scalar_one())


def items_on(conn: Connection, facility_id: str, day: str, inmate_id: str | None = None,
             exclude: str = "") -> dict[str, int]:
    """Items in live orders on a WIB day: ``{item_id: qty}`` (optionally for one inmate)."""
    q = select(payments.c["items"]).where(payments.c.facility_id == facility_id, payments.c.kind == "order",
                                       payments.c.wib_date == day, payments.c.status.in_(_live("order")),
                                       payments.c.reference != exclude)
    if inmate_id:
        q = q.where(payments.c.inmate_id == inmate_id)
    out: dict[str, int] = {}
    for (items,) in conn.execute(q):
        for it in json.loads(items):
            out[it["item_id"]] = out.get(it["item_id"], 0) + int(it["qty"])
    return out


def _inmate(conn: Connection, facility_id: str, inmate_id: str):
    return conn.execute(select(inmates.c.id, inmates.c.status).where(
        inmates.c.facility_id == facility_id, inmates.c.id == inmate_id)).first()


# --- caps again at HQ ------------------------------------------------------------------------------------


def deposit_refusal(conn: Connection, facility_id: str, inmate_id: str, amount: int,
                    today: date | None = None, exclude: str = "") -> tuple[str, str] | None:
    """``(code, message)`` when HQ refuses a new deposit of ``amount`` (same codes as the kiosk), else None."""
    rules = get_doc(conn, facility_id, "deposit_rules")
    if not rules:
        return ("payments_unavailable", "no deposit rules are set for this facility")
    if type(amount) is not int or amount <= 0:
        return ("invalid_amount", f"amount must be positive integer rupiah, got {amount!r}")
    inmate = _inmate(conn, facility_id, inmate_id)
    if inmate is None:
        return ("inmate_not_found", f"no inmate {inmate_id} at {facility_id}")
    if inmate.status != "active":
        return ("inmate_not_eligible", f"inmate {inmate_id} is {inmate.status}")
    if amount < rules["min"]:
        return ("amount_below_min", f"{amount} is below the minimum {rules['min']}")
    if amount > rules["max"]:
        return ("amount_above_max", f"{amount} is above the maximum {rules['max']}")
    day = (today or today_wib()).isoformat()
    if deposited_on(conn, facility_id, inmate_id, day, exclude) + amount > rules["daily_cap_per_inmate"]:
        return ("daily_cap_reached", f"daily cap {rules['daily_cap_per_inmate']} for {inmate_id} reached")
    held = ledger.balance(conn, facility_id, inmate_id) + pending_for(conn, facility_id, inmate_id, exclude)
    if held + amount > rules["balance_cap"]:
        return ("balance_cap_reached", f"balance cap {rules['balance_cap']} for {inmate_id} reached")
    return None


def order_refusal(conn: Connection, facility_id: str, inmate_id: str, items: list[dict], total: int,
                  today: date | None = None, *, check_prices: bool = True,
                  exclude: str = "") -> tuple[str, str] | None:
    """``(code, message)`` when HQ refuses an order; the total must equal the priced items (no tampering)."""
    menu = get_doc(conn, facility_id, "menu")
    if not menu:
        return ("payments_unavailable", "no menu is set for this facility")
    inmate = _inmate(conn, facility_id, inmate_id)
    if inmate is None or inmate.status != "active":
        return ("inmate_not_eligible", f"inmate {inmate_id} cannot receive orders")
    if not items or any(type(it.get("qty")) is not int or it["qty"] <= 0 or type(it.get("price")) is not int
                        for it in items):
        return ("invalid_quantity", "items need positive integer qty and integer price")
    if sum(it["qty"] * it["price"] for it in items) != total:
        return ("amount_mismatch", f"total {total} does not match the items")
    if not check_prices:
        return None
    by_id = {it["item_id"]: it for it in menu["items"]}
    day = (today or today_wib()).isoformat()
    sold = items_on(conn, facility_id, day, exclude=exclude)
    mine = items_on(conn, facility_id, day, inmate_id, exclude=exclude)
    for it in items:
        m = by_id.get(it["item_id"])
        if m is None or not m.get("available", True):
            return ("item_unavailable", f"{it['item_id']} is not on the menu")
        if it["price"] != m["price"]:
            return ("price_changed", f"{it['item_id']} costs {m['price']}, not {it['price']}")
        if sold.get(it["item_id"], 0) + it["qty"] > m["stock"]:
            return ("out_of_stock", f"{it['item_id']} is out of stock")
        if mine.get(it["item_id"], 0) + it["qty"] > m["daily_limit_per_inmate"]:
            return ("item_daily_limit", f"{it['item_id']} daily limit for {inmate_id} reached")
    return None


# --- recording -------------------------------------------------------------------------------------------


def record_payment(conn: Connection, *, kind: str, facility_id: str, device_id: str, event_id: str,
                   payload: dict, created_at: str | None = None) -> tuple[dict, bool]:
    """Store a deposit/order from its creating event payload; returns ``(row, created)``. Idempotent by
    reference; raises :class:`PaymentConflict` when the same reference arrives with other facts."""

    ref = payload["reference"]
    amount = payload["amount"] if kind == "deposit" else payload["total"]
    record_id = payload["deposit_id"] if kind == "deposit" else payload["order_id"]
    existing = conn.execute(select(payments).where(payments.c.reference == ref)).first()
    if existing is not None:
        e = existing._mapping
        if (e["record_id"], e["amount"], e["fee"], e["inmate_id"], e["kind"]) != (
                record_id, amount, payload["fee"], payload["inmate_id"], kind):
            raise PaymentConflict("reference_conflict", f"payment {ref} already exists with other details")
        return dict(e), False
    now = now_iso()
    nik = payload.get("depositor_nik") or payload.get("buyer_nik") or ""
    row = {
        "reference": ref, "kind": kind, "facility_id": facility_id, "device_id": device_id,
        "record_id": record_id, "event_id": event_id, "inmate_id": payload["inmate_id"], "amount": amount,
        "fee": payload["fee"], "payer_nik_masked": mask_nik(nik),
        "payer_name": payload.get("depositor_name") or payload.get("buyer_name") or "",
        "items": json.dumps(payload.get("items", []), ensure_ascii=False, sort_keys=True),
        "mode": payload["mode"], "status": "awaiting_payment" if payload.get("qris") else "created",
        "qris": payload.get("qris", ""), "expires_at": payload.get("expires_at", ""), "note": "",
        "wib_date": today_wib().isoformat() if not created_at else _wib_day(created_at),
        "created_at": created_at or now, "updated_at": now,
    }
    conn.execute(insert(payments).values(**row))
    _reconcile_waiting(conn, ref)
    return row, True


def _wib_day(iso_text: str) -> str:

    return today_wib(parse_iso(iso_text)).isoformat()


def payment(conn: Connection, reference_: str) -> dict | None:
    row = conn.execute(select(payments).where(payments.c.reference == reference_)).first()
    return dict(row._mapping) if row else None


def move(conn: Connection, p: dict, status: str, *, note: str = "", **values) -> bool:
    """Move a payment forward along the state graph; False (and nothing written) when not allowed."""
    status = states.normalise(p["kind"], status)
    if status == p["status"] or not states.reachable(p["kind"], p["status"], status):
        return False
    conn.execute(update(payments).where(payments.c.reference == p["reference"]).values(
        status=status, updated_at=now_iso(), note=note or p.get("note", ""), **values))
    p.update(status=status, **values)
    return True


def credit_or_refund(conn: Connection, p: dict) -> str:
    """A settled deposit: credit the inmate's ledger, or request a refund when it cannot be credited."""
    rules = get_doc(conn, p["facility_id"], "deposit_rules") or {}
    inmate = _inmate(conn, p["facility_id"], p["inmate_id"])
    reason = ""
    if inmate is None or inmate.status != "active":
        reason = f"inmate is {inmate.status if inmate else 'unknown'}"
    elif ledger.balance(conn, p["facility_id"], p["inmate_id"]) + p["amount"] > rules.get("balance_cap", 10**15):
        reason = "balance cap would be exceeded"
    if reason:
        try:
            with conn.begin_nested():
                conn.execute(insert(refunds).values(
                    reference=p["reference"], facility_id=p["facility_id"], inmate_id=p["inmate_id"],
                    amount=p["amount"] + p["fee"], reason=reason, status="requested", requested_at=now_iso()))
        except IntegrityError:
            pass
        move(conn, p, "refund_requested", note=reason)
        return "refund_requested"
    ledger.append(conn, p["facility_id"], p["inmate_id"], "credit", p["amount"], p["reference"],
                  note=f"deposit {p['reference']}")
    move(conn, p, "credited")
    return "credited"


def _settle(conn: Connection, p: dict, gross: int, transaction_id: str, at: str) -> str:
    if gross != p["amount"] + p["fee"]:
        conn.execute(update(payments).where(payments.c.reference == p["reference"]).values(
            note=f"amount mismatch: paid {gross}, expected {p['amount'] + p['fee']}", updated_at=now_iso()))
        return "amount_mismatch"
    if not move(conn, p, "settled", paid_amount=gross, transaction_id=transaction_id, settled_at=at):
        return "stale"
    if p["kind"] == "deposit":
        credit_or_refund(conn, p)
    return "applied"


def apply_gateway_status(conn: Connection, note: Notification, status: str | None = None) -> tuple[str, str | None]:
    """Record a verified notification and apply ``status`` (the gateway's confirmed status; default the
    notification's). Returns ``(outcome, reference)``; outcome: applied | duplicate | stale | unmatched |
    amount_mismatch."""
    status = status or note.status
    body = json.dumps(note.raw, ensure_ascii=False, sort_keys=True)
    try:
        with conn.begin_nested():
            note_id = conn.execute(insert(gateway_notes).values(
                order_id=note.order_id, status=status, transaction_id=note.transaction_id,
                gross_amount=note.amount, qris_reference=note.qris_reference, outcome="unmatched",
                body=body, received_at=now_iso()).returning(gateway_notes.c.id)).scalar_one()
    except IntegrityError:
        row = conn.execute(select(gateway_notes.c.reference).where(
            gateway_notes.c.order_id == note.order_id, gateway_notes.c.status == status)).first()
        return "duplicate", row.reference if row else None
    p = None
    row = conn.execute(select(payments).where(payments.c.charge_order_id == note.order_id)).first()
    if row is None and note.qris_reference:
        row = conn.execute(select(payments).where(payments.c.reference == note.qris_reference)).first()
    if row is None:
        return "unmatched", None
    p = dict(row._mapping)
    outcome = _apply(conn, p, status, note.amount, note.transaction_id,
                     (note.settled_at and note.settled_at.isoformat().replace("+00:00", "Z")) or now_iso())
    conn.execute(update(gateway_notes).where(gateway_notes.c.id == note_id).values(
        reference=p["reference"], outcome=outcome))
    if outcome == "applied":
        reference.bump(conn, p["facility_id"], *LIVE_SECTIONS)
    return outcome, p["reference"]


def _apply(conn: Connection, p: dict, status: str, gross: int, transaction_id: str, at: str) -> str:
    if status == "settlement":
        return _settle(conn, p, gross, transaction_id, at)
    if status in GATEWAY_TO_STATUS:
        return "applied" if move(conn, p, GATEWAY_TO_STATUS[status]) else "stale"
    return "stale"  # pending: nothing to do


def _reconcile_waiting(conn: Connection, ref: str) -> None:
    """A payment just appeared: apply notifications that arrived for its reference before it (offline QR)."""
    waiting = conn.execute(select(gateway_notes).where(
        gateway_notes.c.qris_reference == ref, gateway_notes.c.reference.is_(None))
        .order_by(gateway_notes.c.id)).all()
    for w in waiting:
        p = payment(conn, ref)
        at = w.received_at
        outcome = _apply(conn, p, w.status, w.gross_amount, w.transaction_id, at)
        conn.execute(update(gateway_notes).where(gateway_notes.c.id == w.id).values(reference=ref,
                                                                                     outcome=outcome))


def process_refund(conn: Connection, reference_: str, operator: str) -> dict:
    """Mark a requested refund as paid back (an operator returned the money); the payment becomes refunded."""
    r = conn.execute(select(refunds).where(refunds.c.reference == reference_)).first()
    if r is None:
        raise LookupError(f"no refund request for {reference_}")
    if r.status == "processed":
        return dict(r._mapping)
    conn.execute(update(refunds).where(refunds.c.reference == reference_).values(
        status="processed", processed_at=now_iso(), processed_by=operator))
    p = payment(conn, reference_)
    if p is not None and move(conn, p, "refunded"):
        reference.bump(conn, p["facility_id"], "payment_updates")
    return dict(conn.execute(select(refunds).where(refunds.c.reference == reference_)).one()._mapping)


def recent_since(days: int = 3) -> str:

    return iso(utcnow() - timedelta(days=days))


def check_receipt(conn: Connection, payload: str, facility_id: str) -> tuple:
    """HQ checking a receipt's verification QR with the facility's enrolled, non-revoked device keys;
    returns ``(ReceiptCheck, payment row or None)``; a signed amount that differs from HQ's record is forged."""

    keys = {r.key_id: r.public_key for r in conn.execute(select(devices.c.key_id, devices.c.public_key).where(
        devices.c.facility_id == facility_id, devices.c.revoked_at.is_(None)))}
    check = verify_receipt(payload, keys, facility_id=facility_id)
    p = payment(conn, check.reference) if check.ok else None
    if p is not None and p["amount"] != check.amount:
        check = ReceiptCheck(False, "forged", check.kind, check.facility_id, check.reference, check.amount,
                             check.key_id)
    return check, p
