"""Payments on the visitor kiosk: the "Send money" (titipan uang), "Send food" (kirim makanan) and "Check a
payment" tiles and their screens, added to ``kiosk.ui.tiles`` by :func:`register_tiles` (the kiosk app calls it).

The tiles show only when the reference data configures payments (merchant + deposit rules / menu). Screens are
registered as lazy factories (built on first use, or in the background once home is up) so the kiosk's cold
start does not pay for them. The guard station's receipt check is :mod:`kiosk.ui.payments.guard`.
"""

from __future__ import annotations

from core.i18n import N_
from kiosk.ui.payments.form import PaymentForm
from kiosk.ui.payments.service import PaymentService
from kiosk.ui.tiles import Tile, register_tile


def _steps():
    from kiosk.ui.payments import steps  # Kivy: payment screens load when first built (fast cold start)

    return steps


def _amount():
    from kiosk.ui.payments import amount  # Kivy: payment screens load when first built (fast cold start)

    return amount


def _menu():
    from kiosk.ui.payments import menu  # Kivy: payment screens load when first built (fast cold start)

    return menu


def _pay():
    from kiosk.ui.payments import pay  # Kivy: payment screens load when first built (fast cold start)

    return pay


def _status():
    from kiosk.ui.payments import status  # Kivy: payment screens load when first built (fast cold start)

    return status


# (screen name, the class looked up when the screen is first built, keyword arguments); one .kv per screen beside
# its module. The two entry screens (one per tile) are the inmate step of each flow; the screens after them are
# built in the background once a visitor opens one of the two (ENTRIES), not at start.
SCREENS = [
    ("send_money", lambda: _steps().PayInmateScreen, {"flow": "deposit"}),
    ("send_food", lambda: _steps().PayInmateScreen, {"flow": "order"}),
    ("pay_nik", lambda: _steps().PayNikScreen, {}),
    ("pay_name", lambda: _steps().PayNameScreen, {}),
    ("deposit_amount", lambda: _amount().DepositAmountScreen, {}),
    ("food_menu", lambda: _menu().FoodMenuScreen, {}),
    ("pay_confirm", lambda: _pay().PayConfirmScreen, {}),
    ("pay_qr", lambda: _pay().PayQrScreen, {}),
    ("pay_done", lambda: _pay().PayDoneScreen, {}),
    ("pay_status", lambda: _status().PayStatusScreen, {}),
]


ENTRIES = {"send_money", "send_food", "pay_status"}
OPENERS = {"send_money", "send_food"}


def _factory(screen_class, name: str, kw: dict):
    def build():
        return screen_class()(name=name, **kw)

    return build


def install(app) -> list:
    """Give ``app`` its payment service and form, and register the payment screens lazily (once)."""
    if getattr(app, "payments", None) is None:

        app.payments = PaymentService(app.services)
        app.payment_form = PaymentForm()
        app.bind(on_stop=lambda *_a: app.payments.close())
    for name, screen_class, kw in SCREENS:
        if not app.has_screen(name):
            app.lazy[name] = _factory(screen_class, name, kw)
            if name not in ENTRIES:
                app.lazy_after[name] = OPENERS
    return []


def _configured(app, kind: str) -> bool:
    svc = getattr(app, "payments", None)
    return bool(svc is not None and svc.configured()[kind])


def register_tiles() -> None:
    """Add the three payment tiles to the kiosk's home screen (each shows only when payments are configured)."""
    register_tile(Tile("send_money", N_("Send money"), N_("Deposit money for an inmate with QRIS"), "send_money",
                       order=40, available=lambda app: _configured(app, "deposit"), screens=install))
    register_tile(Tile("send_food", N_("Send food"), N_("Order canteen food for an inmate with QRIS"), "send_food",
                       order=50, available=lambda app: _configured(app, "order"), screens=install))
    register_tile(Tile("check_payment", N_("Check a payment"), N_("Status and receipt by receipt number"),
                       "pay_status", order=60,
                       available=lambda app: _configured(app, "deposit") or _configured(app, "order"),
                       screens=install))
