"""Projections of the kiosk's payment events into HQ's payment tables (registered with ``hq.projections``).

A rejected event is one whose facts contradict themselves or what HQ holds (wrong facility, amounts that are
not integer rupiah, an order total that does not match its items, a reused reference): tampering never
becomes a payment. Caps are *not* a reason to reject a deposit event: an offline QR may already have been
paid, so the payment is recorded and, if it settles over a cap, it becomes a refund request instead of a credit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from hq.payments import (
    sections,  # noqa: F401  (registers the payments reference sections)
    settlement,
)
from hq.payments.schema import payments
from hq.payments.settlement import PaymentConflict
from hq.projections import Context, Outcome, projection


def _money_ok(p: dict, *names: str) -> str | None:
    for n in names:
        v = p.get(n)
        if type(v) is not int or v < 0:
            return f"{n} must be integer rupiah, got {v!r}"
    return None


def _record(ctx: Context, kind: str, p: dict[str, Any], meta: dict[str, Any]) -> Outcome:
    if p.get("facility_id") != ctx.facility_id:
        return ("wrong_facility", f"payment for {p.get('facility_id')} sent by a device of {ctx.facility_id}")
    bad = _money_ok(p, "amount" if kind == "deposit" else "total", "fee")
    if bad:
        return ("bad_amount", bad)
    if kind == "order":
        refusal = settlement.order_refusal(ctx.conn, ctx.facility_id, p["inmate_id"], p.get("items") or [],
                                           p["total"], check_prices=False)
        if refusal and refusal[0] in ("amount_mismatch", "invalid_quantity"):
            return refusal
    ctx.lock_facility()
    try:
        _row, created = settlement.record_payment(ctx.conn, kind=kind, facility_id=ctx.facility_id,
                                                  device_id=ctx.device_id, event_id=meta["event_id"], payload=p,
                                                  created_at=meta.get("created_at"))
    except PaymentConflict as exc:
        return (exc.code, str(exc))
    ctx.touched.update(settlement.LIVE_SECTIONS)
    return None


@projection("deposit.created")
def deposit_created(ctx: Context, p: dict[str, Any], meta: dict[str, Any]) -> Outcome:
    return _record(ctx, "deposit", p, meta)


@projection("order.created")
def order_created(ctx: Context, p: dict[str, Any], meta: dict[str, Any]) -> Outcome:
    return _record(ctx, "order", p, meta)


@projection("payment.qr_issued")
def qr_issued(ctx: Context, p: dict[str, Any], meta: dict[str, Any]) -> Outcome:
    row = settlement.payment(ctx.conn, p.get("reference", ""))
    if row is None or row["facility_id"] != ctx.facility_id:
        return ("unknown_payment", f"no payment {p.get('reference')} at {ctx.facility_id}")
    values = {"mode": p["mode"], "qris": p["qris"], "expires_at": p["expires_at"]}
    if p.get("charge_order_id") and not row["charge_order_id"]:
        values["charge_order_id"] = p["charge_order_id"]
    ctx.conn.execute(update(payments).where(payments.c.reference == row["reference"]).values(**values))
    settlement.move(ctx.conn, row, "awaiting_payment")
    ctx.touched.add("payment_updates")
    return None


def _observed(ctx: Context, p: dict[str, Any]) -> Outcome:
    row = settlement.payment(ctx.conn, p.get("reference", ""))
    if row is None or row["facility_id"] != ctx.facility_id:
        return ("unknown_payment", f"no payment {p.get('reference')} at {ctx.facility_id}")
    # A kiosk may only report what it can see for itself: its countdown ran out. Payment is the gateway's word.
    if p.get("status") == "expired" and settlement.move(ctx.conn, row, "expired"):
        ctx.touched.update(("payment_updates", "balances", "menu"))
    return None


@projection("deposit.status_observed")
def deposit_observed(ctx: Context, p: dict[str, Any], meta: dict[str, Any]) -> Outcome:
    return _observed(ctx, p)


@projection("order.status_observed")
def order_observed(ctx: Context, p: dict[str, Any], meta: dict[str, Any]) -> Outcome:
    return _observed(ctx, p)
