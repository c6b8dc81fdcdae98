"""The payments sections of HQ's reference document (format in docs/payments.md), registered into
``hq.reference.SECTION_BUILDERS`` when this module is imported (by the payments projections and routes).

``merchant`` / ``deposit_rules`` are the operator's documents (``null`` when not configured); ``menu`` is the
operator's menu with ``stock`` reduced by today's live orders; ``payment_updates`` lists the facility's payments
changed in the last few days; ``balances`` gives each account's ledger balance, pending deposits and today's
figures; ``order_status`` the fulfilment state of recent paid orders.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection

from hq import reference
from hq.payments import ledger, settlement
from hq.payments.schema import payments

RECENT_DAYS = 3
ORDER_FULFILMENT = ("paid", "prepared", "delivered", "cancelled", "refund_requested", "refunded")


def _merchant(conn: Connection, fid: str, today: str):
    return settlement.get_doc(conn, fid, "merchant")


def _deposit_rules(conn: Connection, fid: str, today: str):
    return settlement.get_doc(conn, fid, "deposit_rules")


def _menu(conn: Connection, fid: str, today: str):
    menu = settlement.get_doc(conn, fid, "menu")
    if not menu:
        return menu
    sold = settlement.items_on(conn, fid, today)
    menu["items"] = [{**it, "stock": max(0, it["stock"] - sold.get(it["item_id"], 0))} for it in menu["items"]]
    return menu


def _recent(conn: Connection, fid: str):
    return conn.execute(select(payments).where(
        payments.c.facility_id == fid, payments.c.updated_at >= settlement.recent_since(RECENT_DAYS))
        .order_by(payments.c.created_at, payments.c.reference)).all()


def _payment_updates(conn: Connection, fid: str, today: str):
    return [{"reference": r.reference, "kind": r.kind, "status": r.status, "amount": r.amount,
             "at": r.updated_at} for r in _recent(conn, fid)]


def _order_status(conn: Connection, fid: str, today: str):
    return [{"reference": r.reference, "status": r.status, "at": r.updated_at}
            for r in _recent(conn, fid) if r.kind == "order" and r.status in ORDER_FULFILMENT]


def _balances(conn: Connection, fid: str, today: str):
    accounts = ledger.balances(conn, fid)
    touched = {r.inmate_id for r in conn.execute(select(payments.c.inmate_id).where(
        payments.c.facility_id == fid, payments.c.updated_at >= settlement.recent_since(RECENT_DAYS)))}
    out = []
    for inmate_id in sorted(set(accounts) | touched):
        entry = {"inmate_id": inmate_id, "balance": accounts.get(inmate_id, 0),
                 "pending": settlement.pending_for(conn, fid, inmate_id),
                 "deposited_today": settlement.deposited_on(conn, fid, inmate_id, today)}
        items = settlement.items_on(conn, fid, today, inmate_id)
        if items:
            entry["items_today"] = items
        out.append(entry)
    return {"date": today, "accounts": out}


BUILDERS = {
    "merchant": _merchant, "deposit_rules": _deposit_rules, "menu": _menu,
    "payment_updates": _payment_updates, "balances": _balances, "order_status": _order_status,
}
reference.SECTION_BUILDERS.update(BUILDERS)
