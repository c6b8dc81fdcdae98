"""The canteen menu and the cart: one row per item with large minus / plus buttons, the total below."""

from __future__ import annotations

from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from core.i18n import N_, _
from core.money import format_rupiah
from kiosk.ui.payments.base import PayStep, explain
from kiosk.ui.screens.base import load_kv


class MenuRow(BoxLayout):
    """One menu item: name, price and what is left, then minus, the quantity and plus."""

    item_id = StringProperty("")
    name = StringProperty("")
    detail = StringProperty("")
    qty = NumericProperty(0)
    can_add = BooleanProperty(True)


class FoodMenuScreen(PayStep):
    instruction = N_("Choose the food with the plus and minus buttons.")
    prev = "pay_name"
    total_text = StringProperty("")
    note = StringProperty("")
    checking = BooleanProperty(False)

    def __init__(self, **kw):
        super().__init__(**kw)
        self.items: list[dict] = []
        self.settings: dict = {}
        self.rows: dict[str, MenuRow] = {}

    def reset(self) -> None:
        self.rows = {}
        self.items = []
        self.ids.rows.clear_widgets()
        self.total_text = self.note = ""

    def on_pre_enter(self, *a) -> None:
        super().on_pre_enter(*a)
        self.note = _("Loading the menu...")
        self.app.run_job(self.svc.menu_items, self._show, lambda exc: setattr(self, "note", explain(exc)[0]))

    def _show(self, result) -> None:
        self.items, self.settings = result
        box = self.ids.rows
        box.clear_widgets()
        self.rows = {}
        for it in self.items:
            row = MenuRow(item_id=it["item_id"], name=it["name"], qty=self.form.cart.get(it["item_id"], 0))
            row.bind(qty=lambda *_a: self._totals())
            self.rows[it["item_id"]] = row
            box.add_widget(row)
        self.note = "" if self.items else _("The canteen has nothing to order today.")
        self._totals()

    def change(self, item_id: str, delta: int) -> None:
        row = self.rows.get(item_id)
        if row is None:
            return
        row.qty = max(0, row.qty + delta)

    def _limit(self, it: dict) -> int:
        return max(0, min(it["left"], it["daily_limit_per_inmate"]))

    def _totals(self) -> None:
        total, count = 0, 0
        for it in self.items:
            row = self.rows[it["item_id"]]
            limit = self._limit(it)
            if row.qty > limit:
                row.qty = limit
                return  # the bound callback runs again
            row.can_add = row.qty < limit
            left = _("{n} left").format(n=it["left"]) if it["left"] else _("Sold out")
            most = _("at most {n} per inmate a day").format(n=it["daily_limit_per_inmate"])
            row.detail = f"{format_rupiah(it['price'])}  |  {left}  |  {most}"
            total += row.qty * it["price"]
            count += row.qty
            if row.qty:
                self.form.cart[it["item_id"]] = row.qty
            else:
                self.form.cart.pop(it["item_id"], None)
        self.total_text = _("{n} items, total {total}").format(n=count, total=format_rupiah(total)) if count \
            else _("Nothing chosen yet")
        self.ids.next.disabled = count == 0

    def submit(self) -> None:
        if self.checking or not self.form.cart:
            return
        self.checking = True
        reg_no, cart = self.form.reg_no, dict(self.form.cart)
        self.app.run_job(lambda: self.svc.price(reg_no, cart), self._accepted, self._refused)

    def _accepted(self, priced) -> None:
        self.checking = False
        self.form.quote = priced
        self.app.go("pay_confirm")

    def _refused(self, exc) -> None:
        self.checking = False
        message, hint = explain(exc)
        self.app.show_message(_("This order cannot be sent"), message, hint, primary=_("OK"))


load_kv(__file__, "food_menu.kv")
