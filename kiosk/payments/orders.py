"""Canteen food orders (kirim makanan) for an inmate, paid by QRIS, on the device.

The menu (items, prices, stock, per-inmate daily limits) comes from the ``menu`` section of reference data.
A cart is ``{item_id: qty}``; :func:`price_cart` checks it and prices it, :func:`create_order` writes it in one
``BEGIN IMMEDIATE`` transaction (event OrderCreated) after checking again. Payment follows the deposit path
(online charge via HQ, or the local dynamic QRIS); fulfilment (``paid -> prepared -> delivered``) arrives
from HQ in the ``order_status`` section and is shown by receipt number (:func:`get_order`).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime

from core import payment_states as states
from core.events import OrderCreated
from core.ids import iso, parse_iso, today_wib, utcnow, uuid7
from core.receipt_codes import new_reference, sign_receipt
from core.receipts import OrderLine as PrintLine
from core.receipts import OrderReceiptData
from kiosk.payments import records, reference
from kiosk.payments.refusals import PaymentRefusal


@dataclass(frozen=True)
class OrderLine:
    item_id: str
    name: str
    qty: int
    price: int  # rupiah per unit

    @property
    def subtotal(self) -> int:
        return self.qty * self.price


@dataclass(frozen=True)
class PricedCart:
    inmate: records.Inmate
    lines: list[OrderLine]
    total: int
    fee: int

    @property
    def to_pay(self) -> int:
        return self.total + self.fee


@dataclass(frozen=True)
class OrderRequest:
    inmate_reg_no: str
    buyer_nik: str
    buyer_name: str
    cart: dict[str, int]


@dataclass(frozen=True)
class Order:
    order_id: str
    event_id: str
    reference: str
    facility_id: str
    inmate_id: str
    inmate_reg_no: str
    inmate_name: str
    total: int
    fee: int
    buyer_nik: str
    buyer_name: str
    mode: str
    qris: str
    expires_at: str
    status: str
    status_at: str
    settled_at: str | None
    created_at: str
    verify_qr: str
    lines: list[OrderLine] = field(default_factory=list)

    @property
    def paid(self) -> bool:
        return self.status in states.PAID["order"]

    @property
    def receipt_status(self) -> str:
        return "LUNAS" if self.paid else "MENUNGGU KONFIRMASI"

    def seconds_left(self, now: datetime | None = None) -> int:
        return records.seconds_left(self.expires_at, now) if self.status == "awaiting_payment" else 0


def menu(conn: sqlite3.Connection) -> dict:
    """The ``menu`` section; refuses when the canteen is not configured."""
    m = reference.section(conn, "menu")
    if not m:
        raise PaymentRefusal("payments_unavailable")
    return m


def available_items(store) -> list[dict]:
    """Menu items to show (available ones), each with ``left`` = stock minus this kiosk's unseen orders."""
    with store.lock:
        m = menu(store.conn)
        return [{**it, "left": _left(store.conn, it)} for it in m["items"] if it.get("available", True)]


def _local_unknown_qty(conn: sqlite3.Connection, item_id: str, inmate_id: str | None, day: str | None) -> int:
    live = tuple(states.LIVE["order"])
    sql = (f"SELECT COALESCE(SUM(i.qty), 0) FROM order_items i JOIN orders o ON o.order_id = i.order_id "
           f"WHERE i.item_id = ? AND o.hq_known = 0 AND o.status IN ({', '.join('?' * len(live))})")
    params: list = [item_id, *live]
    if inmate_id:
        sql += " AND o.inmate_id = ?"
        params.append(inmate_id)
    if day:
        sql += " AND o.wib_date = ?"
        params.append(day)
    return conn.execute(sql, params).fetchone()[0]


def _left(conn: sqlite3.Connection, item: dict) -> int:
    return max(0, item["stock"] - _local_unknown_qty(conn, item["item_id"], None, None))


def _price(conn: sqlite3.Connection, reg_no: str, cart: dict, now: datetime) -> PricedCart:
    m = menu(conn)
    inmate = records.find_inmate(conn, reg_no)
    if not isinstance(cart, dict) or not any(cart.values()):
        raise PaymentRefusal("empty_cart")
    items = {it["item_id"]: it for it in m["items"]}
    today = today_wib(now)
    acct = reference.account(conn, inmate.inmate_id, today)
    lines, count = [], 0
    for item_id, qty in sorted(cart.items()):
        it = items.get(item_id)
        if it is None:
            raise PaymentRefusal("item_not_found", item=item_id)
        if type(qty) is not int or qty < 0:
            raise PaymentRefusal("invalid_quantity", item=it["name"])
        if qty == 0:
            continue
        if not it.get("available", True):
            raise PaymentRefusal("item_unavailable", item=it["name"])
        left = _left(conn, it)
        if qty > left:
            raise PaymentRefusal("out_of_stock", item=it["name"], left=left)
        had = acct["items_today"].get(item_id, 0) + _local_unknown_qty(conn, item_id, inmate.inmate_id,
                                                                       today.isoformat())
        if had + qty > it["daily_limit_per_inmate"]:
            raise PaymentRefusal("item_daily_limit", item=it["name"], limit=it["daily_limit_per_inmate"])
        lines.append(OrderLine(item_id, it["name"], qty, it["price"]))
        count += qty
    if count > m.get("max_items_per_order", 20):
        raise PaymentRefusal("too_many_items", max=m.get("max_items_per_order", 20))
    total = sum(line.subtotal for line in lines)
    return PricedCart(inmate, lines, total, records.fee_for(total, m))


def price_cart(store, reg_no: str, cart: dict[str, int], now: datetime | None = None) -> PricedCart:
    """Check and price a cart for an inmate, without writing (the cart and confirmation screens)."""
    with store.lock:
        return _price(store.conn, reg_no, cart, now or utcnow())


def _order(conn: sqlite3.Connection, r: sqlite3.Row) -> Order:
    lines = [OrderLine(x["item_id"], x["name"], x["qty"], x["price"]) for x in conn.execute(
        "SELECT item_id, name, qty, price FROM order_items WHERE order_id = ? ORDER BY rowid", (r["order_id"],))]
    return Order(**{f: r[f] for f in Order.__dataclass_fields__ if f != "lines"}, lines=lines)


def create_order(store, cfg, key, request: OrderRequest, *, mode: str = "offline",
                 now: datetime | None = None) -> Order:
    """Write an order (one transaction, event OrderCreated); payment modes as for deposits."""
    if mode not in ("online", "offline"):
        raise ValueError(f"mode must be online or offline, got {mode!r}")
    now = now or utcnow()
    nik, name = records.check_payer(request.buyer_nik, request.buyer_name)
    facility_id, device_id = cfg.device.facility_id, cfg.device.device_id
    with store.transaction() as tx:
        cart = _price(tx.conn, request.inmate_reg_no, dict(request.cart), now)
        order_id, ref = uuid7(), new_reference("order")
        while tx.one("SELECT 1 FROM orders WHERE reference = ?", (ref,)):
            ref = new_reference("order")
        qr, expires, status = "", "", "created"
        if mode == "offline":
            qr = records.offline_qris(tx.conn, cart.to_pay, ref, device_id)
            expires, status = iso(now + records.ttl(menu(tx.conn))), "awaiting_payment"
        items = [{"item_id": x.item_id, "name": x.name, "qty": x.qty, "price": x.price} for x in cart.lines]
        entry = tx.emit(OrderCreated(
            order_id=order_id, facility_id=facility_id, reference=ref, inmate_id=cart.inmate.inmate_id,
            items=items, total=cart.total, fee=cart.fee, buyer_nik=nik, buyer_name=name, mode=mode, qris=qr,
            expires_at=expires))
        tx.insert("orders", {
            "order_id": order_id, "event_id": entry.event_id, "reference": ref, "facility_id": facility_id,
            "inmate_id": cart.inmate.inmate_id, "inmate_reg_no": cart.inmate.reg_no,
            "inmate_name": cart.inmate.name, "total": cart.total, "fee": cart.fee, "buyer_nik": nik,
            "buyer_name": name, "mode": mode, "qris": qr, "expires_at": expires, "status": status,
            "status_at": iso(now), "hq_known": 0, "settled_at": None, "wib_date": today_wib(now).isoformat(),
            "created_at": iso(now), "verify_qr": sign_receipt(key, "order", facility_id, ref, cart.total),
        })
        for it in items:
            tx.insert("order_items", {"order_id": order_id, **it})
        return _order(tx.conn, records.row(tx.conn, "order", order_id))


def attach_charge(store, order_id: str, qr_string: str, expires_at: datetime | str,
                  charge_order_id: str = "") -> Order:
    when = parse_iso(expires_at) if isinstance(expires_at, str) else expires_at
    with store.transaction() as tx:
        records.issue_qr(tx, "order", order_id, mode="online", qr=qr_string, expires_at=when,
                         charge_order_id=charge_order_id)
        return _order(tx.conn, records.row(tx.conn, "order", order_id))


def go_offline(store, cfg, order_id: str, now: datetime | None = None) -> Order:
    now = now or utcnow()
    with store.transaction() as tx:
        o = records.row(tx.conn, "order", order_id)
        qr = records.offline_qris(tx.conn, o["total"] + o["fee"], o["reference"], cfg.device.device_id)
        records.issue_qr(tx, "order", order_id, mode="offline", qr=qr, expires_at=now + records.ttl(menu(tx.conn)))
        return _order(tx.conn, records.row(tx.conn, "order", order_id))


def observe_status(store, order_id: str, status: str, at: datetime | None = None) -> Order:
    with store.transaction() as tx:
        records.observe(tx, "order", order_id, status, at)
        return _order(tx.conn, records.row(tx.conn, "order", order_id))


def expire_overdue(store, now: datetime | None = None) -> list[str]:
    return records.expire_overdue(store, "order", now)


def get_order(store, order_id_or_reference: str) -> Order:
    """An order by id or receipt number (reference), with its lines and current status."""
    key = order_id_or_reference.strip()
    key = key.upper() if len(key) == 16 else key  # receipt numbers are upper-case; ids are lower-case
    with store.lock:
        return _order(store.conn, records.row(store.conn, "order", key))


def receipt_data(store, cfg, order_id_or_reference: str, facility_name: str = ""):
    """The data the order receipt layout needs (``core.receipts.OrderReceiptData``)."""

    o = get_order(store, order_id_or_reference)
    return OrderReceiptData(
        facility_name=facility_name or cfg.device.facility_id, order_no=o.reference, inmate_name=o.inmate_name,
        inmate_reg_no=o.inmate_reg_no, buyer_name=o.buyer_name, created_at=parse_iso(o.created_at),
        items=[PrintLine(x.name, x.qty, x.price) for x in o.lines], settled=o.paid, verify_qr=o.verify_qr)
