"""Operators' payment work at HQ: order fulfilment, refunds, and the daily settlement report (CSV).

Each function runs inside the caller's write/read transaction.
"""

from __future__ import annotations

import csv
import io

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from core.ids import now_iso
from hq import reference
from hq.payments import settlement
from hq.payments.schema import gateway_notes, payments, refunds

REPORT_COLUMNS = ("facility_id", "wib_date", "reference", "kind", "inmate_id", "payer", "mode", "status",
                  "amount", "fee", "paid_amount", "settled_at", "transaction_id", "device_id", "note")
FULFILMENT = ("prepared", "delivered", "cancelled")


def set_order_status(conn: Connection, ref: str, status: str) -> dict:
    """Move a paid canteen order to ``prepared`` / ``delivered`` / ``cancelled`` (shown on kiosks by receipt
    number); a cancelled paid order becomes a refund request."""
    if status not in FULFILMENT:
        raise ValueError(f"order status must be one of {', '.join(FULFILMENT)}, got {status!r}")
    p = settlement.payment(conn, ref)
    if p is None or p["kind"] != "order":
        raise LookupError(f"no canteen order {ref}")
    if not settlement.move(conn, p, status):
        raise ValueError(f"order {ref} is {p['status']}; it cannot become {status}")
    if status == "cancelled":
        conn.execute(insert(refunds).values(reference=ref, facility_id=p["facility_id"], inmate_id=p["inmate_id"],
                                            amount=p["amount"] + p["fee"], reason="order cancelled",
                                            status="requested", requested_at=now_iso()))
        settlement.move(conn, p, "refund_requested", note="order cancelled")
    reference.bump(conn, p["facility_id"], "payment_updates", "order_status", "menu")
    return p


def report_rows(conn: Connection, facility_id: str, day: str) -> list[dict]:
    """Every payment created on WIB ``day`` at a facility, in creation order."""
    rows = conn.execute(select(payments).where(payments.c.facility_id == facility_id, payments.c.wib_date == day)
                        .order_by(payments.c.created_at, payments.c.reference))
    out = []
    for r in rows:
        m = r._mapping
        out.append({c: (m["payer_name"] if c == "payer" else m[c]) for c in REPORT_COLUMNS})
    return out


def report_summary(rows: list[dict]) -> dict:
    """Totals for the report footer / dashboard: integer rupiah only."""
    paid = [r for r in rows if r["status"] in ("settled", "credited", "paid", "prepared", "delivered",
                                                "refund_requested", "refunded", "cancelled")]
    return {
        "payments": len(rows),
        "paid_count": len(paid),
        "paid_total": sum(r["paid_amount"] or 0 for r in paid),
        "fees_total": sum(r["fee"] for r in paid),
        "credited_total": sum(r["amount"] for r in rows if r["status"] == "credited"),
        "refund_total": sum(r["amount"] + r["fee"] for r in rows if r["status"] in ("refund_requested", "refunded")),
        "waiting_count": sum(1 for r in rows if r["status"] in ("created", "awaiting_payment")),
        "mismatch_count": sum(1 for r in rows if r["note"].startswith("amount mismatch")),
    }


def report_csv(conn: Connection, facility_id: str, day: str) -> str:
    """The daily settlement report as CSV (one row per payment, then a TOTAL row)."""
    rows = report_rows(conn, facility_id, day)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=REPORT_COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow(r)
    s = report_summary(rows)
    w.writerow({"facility_id": facility_id, "wib_date": day, "reference": "TOTAL", "status": f"{s['paid_count']} paid",
                "amount": s["credited_total"], "fee": s["fees_total"], "paid_amount": s["paid_total"],
                "note": f"refunds {s['refund_total']}; waiting {s['waiting_count']}; "
                        f"mismatches {s['mismatch_count']}"})
    return buf.getvalue()


def unmatched_settlements(conn: Connection) -> list[dict]:
    """Gateway settlements HQ could not match to any payment yet (shown to operators)."""
    rows = conn.execute(select(gateway_notes).where(gateway_notes.c.reference.is_(None),
                                                    gateway_notes.c.status == "settlement")
                        .order_by(gateway_notes.c.id))
    return [{k: v for k, v in r._mapping.items() if k != "body"} for r in rows]
