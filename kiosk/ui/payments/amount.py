"""How much money: big preset buttons or the keypad; the caps are checked at once and a refusal says why."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from core.i18n import N_, _
from core.money import format_rupiah
from kiosk.ui.payments.base import PayStep, explain
from kiosk.ui.screens.base import load_kv
from kiosk.ui.widgets.base import DataButton


class DepositAmountScreen(PayStep):
    instruction = N_("Choose or type the amount to send.")
    prev = "pay_name"
    help = StringProperty("")
    limits = StringProperty("")
    checking = BooleanProperty(False)

    def reset(self) -> None:
        self.ids.amount.value = ""
        self.ids.amount.error = False
        self.help = ""

    def on_pre_enter(self, *a) -> None:
        super().on_pre_enter(*a)
        self.app.run_job(self.svc.rules, self._show_rules, lambda exc: setattr(self, "limits", explain(exc)[0]))

    def _show_rules(self, rules: dict) -> None:
        self.limits = _("From {min} to {max} per transaction.").format(min=format_rupiah(rules["min"]),
                                                                     max=format_rupiah(rules["max"]))
        grid = self.ids.presets
        grid.clear_widgets()
        for amount in rules.get("presets", [])[:6]:
            b = DataButton(text=format_rupiah(amount), style="secondary")
            b.bind(on_release=lambda _b, a=amount: self.choose(a))
            grid.add_widget(b)

    def typed(self, *_a) -> None:
        text = self.ids.amount.value.lstrip("0")
        if text != self.ids.amount.value:
            self.ids.amount.value = text
            return
        self.ids.amount.error = False
        self.help = format_rupiah(int(text)) if text else ""

    def submit(self) -> None:
        text = self.ids.amount.value
        if not text:
            self.ids.amount.error = True
            self.help = _("Touch an amount, or type one with the keypad.")
            return
        self.choose(int(text))

    def choose(self, amount: int) -> None:
        if self.checking:
            return
        self.checking = True
        self.help = _("Checking...")
        reg_no = self.form.reg_no
        self.app.run_job(lambda: self.svc.quote(reg_no, amount), self._accepted, self._refused)

    def _accepted(self, quote) -> None:
        self.checking = False
        self.help = ""
        self.form.amount, self.form.quote = quote.amount, quote
        self.app.go("pay_confirm")

    def _refused(self, exc) -> None:
        self.checking = False
        self.ids.amount.error = True
        message, hint = explain(exc)
        self.help = message
        self.app.show_message(_("This amount cannot be sent"), message, hint, primary=_("OK"))


load_kv(__file__, "deposit_amount.kv")
