"""Canteen orders on the kiosk: menu, cart checks, one business write, QRIS, fulfilment status from HQ."""

from __future__ import annotations

import json

import pytest

from core import qris
from core.payment_reference import PaymentReferenceError
from kiosk.payments import orders
from kiosk.payments.orders import OrderRequest
from kiosk.payments.reference import load_payment_sections
from kiosk.payments.refusals import PaymentRefusal
from tests.payments.conftest import NIK, NOW, reference_doc


def req(cart, reg_no="BI.0001/2025"):
    return OrderRequest(inmate_reg_no=reg_no, buyer_nik=NIK, buyer_name="Siti Aminah", cart=cart)


def refusal(fn, *args, **kw) -> PaymentRefusal:
    with pytest.raises(PaymentRefusal) as e:
        fn(*args, **kw)
    return e.value


def test_menu_and_price(kiosk):
    cfg, store, key = kiosk
    items = {it["item_id"]: it for it in orders.available_items(store)}
    assert items["nasi-ayam"]["price"] == 25_000 and items["nasi-ayam"]["left"] == 40
    cart = orders.price_cart(store, "BI.0001/2025", {"nasi-ayam": 2, "air-mineral": 1, "mie-goreng": 0}, now=NOW)
    assert [(x.item_id, x.qty, x.subtotal) for x in cart.lines] == [("air-mineral", 1, 18_000),
                                                                      ("nasi-ayam", 2, 50_000)]
    assert cart.total == 68_000 and cart.fee == 0 and cart.to_pay == 68_000


def test_offline_order_write_and_qris(kiosk):
    cfg, store, key = kiosk
    o = orders.create_order(store, cfg, key, req({"nasi-rendang": 1, "teh-kotak": 1}), now=NOW)
    assert o.status == "awaiting_payment" and o.reference.startswith("M") and o.total == 54_000
    p = qris.parse(o.qris)
    assert p.amount == 54_000 and p.reference == o.reference
    assert [(x.name, x.qty, x.price) for x in o.lines] == [("Nasi Rendang", 1, 30_000), ("Teh Kotak (6)", 1, 24_000)]
    ev = [json.loads(r[0]) for r in store.query("SELECT payload FROM outbox WHERE type = 'order.created'")]
    assert len(ev) == 1 and ev[0]["total"] == 54_000 and ev[0]["items"][0]["price"] == 30_000
    assert orders.get_order(store, o.reference.lower()).order_id == o.order_id  # receipt number lookup
    # stock shown to the next visitor counts this order until HQ has seen it
    left = {it["item_id"]: it["left"] for it in orders.available_items(store)}
    assert left["nasi-rendang"] == 29


@pytest.mark.parametrize("cart,code", [
    ({}, "empty_cart"), ({"nasi-ayam": 0}, "empty_cart"), ({"pizza": 1}, "item_not_found"),
    ({"nasi-ayam": 3}, "item_daily_limit"), ({"nasi-ayam": -1}, "invalid_quantity"),
    ({"nasi-ayam": 1.0}, "invalid_quantity"), ({"buah-pisang": 21}, "out_of_stock"),
])
def test_cart_refusals(kiosk, cart, code):
    cfg, store, key = kiosk
    assert refusal(orders.create_order, store, cfg, key, req(cart), now=NOW).code == code
    assert store.scalar("SELECT count(*) FROM orders") == 0


def test_daily_limit_per_inmate_across_orders_and_hq(kiosk):
    cfg, store, key = kiosk
    orders.create_order(store, cfg, key, req({"nasi-ayam": 1}), now=NOW)
    r = refusal(orders.create_order, store, cfg, key, req({"nasi-ayam": 2}), now=NOW)
    assert r.code == "item_daily_limit" and r.params == {"item": "Nasi Ayam Goreng", "limit": 2}
    assert "Nasi Ayam Goreng" in r.text("id")
    orders.create_order(store, cfg, key, req({"nasi-ayam": 2}, reg_no="BI.0002/2025"), now=NOW)
    doc = reference_doc(version=2)
    doc["balances"] = {"date": "2026-11-30", "accounts": [
        {"inmate_id": "inm-0002", "balance": 0, "items_today": {"roti-isi": 3}}]}
    load_payment_sections(store, doc, 2)
    assert refusal(orders.price_cart, store, "BI.0002/2025", {"roti-isi": 1}, now=NOW).code == "item_daily_limit"


def test_unavailable_item_and_too_many(kiosk):
    cfg, store, key = kiosk
    doc = reference_doc(version=2)
    doc["menu"]["items"][0]["available"] = False
    doc["menu"]["max_items_per_order"] = 3
    load_payment_sections(store, doc, 2)
    assert "nasi-ayam" not in {it["item_id"] for it in orders.available_items(store)}
    assert refusal(orders.price_cart, store, "BI.0001/2025", {"nasi-ayam": 1}, now=NOW).code == "item_unavailable"
    r = refusal(orders.price_cart, store, "BI.0001/2025", {"roti-isi": 2, "mie-goreng": 2}, now=NOW)
    assert r.code == "too_many_items"


def test_fulfilment_status_from_hq(kiosk):
    cfg, store, key = kiosk
    o = orders.create_order(store, cfg, key, req({"mie-goreng": 2}), now=NOW)
    assert o.receipt_status == "MENUNGGU KONFIRMASI"
    steps = [("payment_updates", {"reference": o.reference, "kind": "order", "status": "settled",
                                  "amount": 36_000, "at": "2026-11-30T03:05:00.000Z"}, "paid"),
             ("order_status", {"reference": o.reference, "status": "prepared", "at": "2026-11-30T04:00:00.000Z"},
              "prepared"),
             ("order_status", {"reference": o.reference, "status": "delivered", "at": "2026-11-30T05:00:00.000Z"},
              "delivered")]
    for version, (section, update, expected) in enumerate(steps, start=2):
        load_payment_sections(store, reference_doc(version=version, **{section: [update]}), version)
        got = orders.get_order(store, o.reference)
        assert got.status == expected and got.receipt_status == "LUNAS"
    # a stale "prepared" cannot move a delivered order back
    load_payment_sections(store, reference_doc(version=9, order_status=[
        {"reference": o.reference, "status": "prepared", "at": "2026-11-30T04:00:00.000Z"}]), 9)
    assert orders.get_order(store, o.reference).status == "delivered"


def test_order_receipt_data(kiosk):
    from hardware.layouts import render

    cfg, store, key = kiosk
    o = orders.create_order(store, cfg, key, req({"nasi-ayam": 1}), now=NOW)
    data = orders.receipt_data(store, cfg, o.reference, facility_name="Lapas Kelas IIA Demo")
    assert data.order_no == o.reference and data.items[0].unit_price == 25_000 and not data.settled
    assert b"Nasi Ayam Goreng" in render(data)


@pytest.mark.parametrize("mutate,field", [
    (lambda d: d["menu"]["items"][0].update(price=25_000.0), "menu.items[0].price"),
    (lambda d: d["menu"]["items"][1].update(item_id="nasi-ayam"), "appears twice"),
    (lambda d: d["deposit_rules"].update(min=2_000_000), "deposit_rules.min"),
    (lambda d: d["deposit_rules"].update(balance_cap="2000000"), "deposit_rules.balance_cap"),
    (lambda d: d["merchant"].update(static_qris=d["merchant"]["static_qris"][:-1] + "X"), "merchant.static_qris"),
    (lambda d: d.update(payment_updates=[{"reference": "D1", "kind": "deposit", "status": "paid",
                                          "amount": 1, "at": "x"}]), "payment_updates[0].status"),
    (lambda d: d.update(balances={"date": "2026-13-01", "accounts": []}), "balances.date"),
])
def test_bad_payments_sections_are_refused_and_change_nothing(kiosk, mutate, field):
    cfg, store, key = kiosk
    before = store.query("SELECT section, body FROM payment_reference ORDER BY section")
    doc = reference_doc(version=5)
    mutate(doc)
    with pytest.raises(PaymentReferenceError) as e:
        load_payment_sections(store, doc, 5)
    assert field in str(e.value)
    assert store.query("SELECT section, body FROM payment_reference ORDER BY section") == before
