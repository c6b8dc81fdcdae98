"""Payments on the visitor kiosk: the "Send money" (titipan uang), "Send food" (kirim makanan) and "Check a
payment" tiles and their screens, plugged in through ``kiosk.ui.tiles`` (this package is in ``TILE_MODULES``).

The tiles show only when the reference data configures payments (merchant + deposit rules / menu). Screens are
registered as lazy factories (built on first use, or in the background once home is up) so the kiosk's cold
start does not pay for them. The guard station's receipt check is :mod:`kiosk.payments.ui.guard`.
"""

from __future__ import annotations

import importlib

from core.i18n import N_
from kiosk.ui.tiles import Tile, register_tile

# (module, class, screen name, keyword arguments); one .kv per screen beside its module. The two entry screens
# (one per tile) are the inmate step of each flow; the screens after them are built in the background once a
# visitor opens one of the two (ENTRIES), not at start.
SCREENS = [
    ("kiosk.payments.ui.steps", "PayInmateScreen", "send_money", {"flow": "deposit"}),
    ("kiosk.payments.ui.steps", "PayInmateScreen", "send_food", {"flow": "order"}),
    ("kiosk.payments.ui.steps", "PayNikScreen", "pay_nik", {}),
    ("kiosk.payments.ui.steps", "PayNameScreen", "pay_name", {}),
    ("kiosk.payments.ui.amount", "DepositAmountScreen", "deposit_amount", {}),
    ("kiosk.payments.ui.menu", "FoodMenuScreen", "food_menu", {}),
    ("kiosk.payments.ui.pay", "PayConfirmScreen", "pay_confirm", {}),
    ("kiosk.payments.ui.pay", "PayQrScreen", "pay_qr", {}),
    ("kiosk.payments.ui.pay", "PayDoneScreen", "pay_done", {}),
    ("kiosk.payments.ui.status", "PayStatusScreen", "pay_status", {}),
]


ENTRIES = {"send_money", "send_food", "pay_status"}
OPENERS = {"send_money", "send_food"}


def _factory(module: str, cls: str, name: str, kw: dict):
    def build():
        return getattr(importlib.import_module(module), cls)(name=name, **kw)

    return build


def install(app) -> list:
    """Give ``app`` its payment service and form, and register the payment screens lazily (once)."""
    if getattr(app, "payments", None) is None:
        from kiosk.payments.ui.form import PaymentForm
        from kiosk.payments.ui.service import PaymentService

        app.payments = PaymentService(app.services)
        app.payment_form = PaymentForm()
        app.bind(on_stop=lambda *_a: app.payments.close())
    for module, cls, name, kw in SCREENS:
        if not app.has_screen(name):
            app.lazy[name] = _factory(module, cls, name, kw)
            if name not in ENTRIES:
                app.lazy_after[name] = OPENERS
    return []


def _configured(app, kind: str) -> bool:
    svc = getattr(app, "payments", None)
    return bool(svc is not None and svc.configured()[kind])


register_tile(Tile("send_money", N_("Send money"), N_("Deposit money for an inmate with QRIS"), "send_money",
                   order=40, available=lambda app: _configured(app, "deposit"), screens=install))
register_tile(Tile("send_food", N_("Send food"), N_("Order canteen food for an inmate with QRIS"), "send_food",
                   order=50, available=lambda app: _configured(app, "order"), screens=install))
register_tile(Tile("check_payment", N_("Check a payment"), N_("Status and receipt by receipt number"),
                   "pay_status", order=60,
                   available=lambda app: _configured(app, "deposit") or _configured(app, "order"),
                   screens=install))
