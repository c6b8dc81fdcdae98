"""Who the money or food is for and who sends it: the inmate by registration number, the sender's NIK
(keypad, checked while typing) and name (on-screen keyboard)."""

from __future__ import annotations

from kivy.properties import ObjectProperty, StringProperty

from core.i18n import N_, _
from kiosk.payments import records
from kiosk.payments.refusals import PaymentRefusal
from kiosk.ui import visit_api
from kiosk.ui.payments.base import PayStep, explain
from kiosk.ui.screens.base import load_kv


def nik_problem(nik: str):
    """None when the NIK looks right, else the refusal explaining it (the visits core's structural check:
    province, birth date, 16 digits)."""
    return visit_api.nik_problem(nik)


class PayInmateScreen(PayStep):
    """The first step of a flow (one instance per tile): entering it starts a fresh form of its ``flow``."""

    instruction = N_("Type the inmate's registration number.")
    flow = StringProperty("")  # deposit | order
    found = ObjectProperty(None, allownone=True)
    found_name = StringProperty("")
    found_detail = StringProperty("")
    help = StringProperty("")

    def on_pre_enter(self, *a) -> None:
        if self.form.kind != self.flow:
            self.reset()
            self.form.kind = self.flow
        super().on_pre_enter(*a)

    def reset(self) -> None:
        self.ids.reg_no.value = ""
        self.found = None
        self.found_name = self.found_detail = self.help = ""
        if self.app is not None and hasattr(self.app, "payment_form"):
            self.app.payment_form.clear()  # idle reset, cancel, finish: nothing entered lingers

    def search(self) -> None:
        reg_no = "".join(self.ids.reg_no.value.split())
        if len(reg_no) < 3:
            self.help = _("Type the registration number, for example BI.1234/2025.")
            return
        self.help = _("Searching...")
        self.found = None
        self.app.run_job(lambda: self.svc.find_inmate(reg_no), lambda inmate: self._found(reg_no, inmate),
                         self._not_found)

    def _found(self, reg_no: str, inmate) -> None:
        self.found = inmate
        self.found_name = inmate.name
        self.found_detail = _("Registration no. {reg_no}").format(reg_no=inmate.reg_no)
        self.help = _("Is this the person you are sending to?")

    def _not_found(self, exc) -> None:
        self.found = None
        message, hint = explain(exc)
        self.help = f"{message} {hint}".strip()

    def confirm(self) -> None:
        if self.found is None:
            return
        self.form.inmate, self.form.reg_no = self.found, self.found.reg_no
        self.app.go("pay_nik")


class PayNikScreen(PayStep):
    instruction = N_("Type your NIK, the 16-digit number on your KTP.")
    help = StringProperty("")
    problem = ObjectProperty(None, allownone=True)

    def previous(self) -> str:
        return "send_money" if self.form.kind == "deposit" else "send_food"

    def reset(self) -> None:
        self.ids.nik.value = ""
        self.ids.nik.error = False
        self.help = ""
        self.problem = None

    def typed(self, *_a) -> None:
        nik = self.ids.nik.value
        self.problem = None
        if len(nik) < 16:
            self.help = _("{n} more digits").format(n=16 - len(nik)) if nik else ""
            self.ids.nik.error = False
            return
        self.problem = nik_problem(nik)
        self.ids.nik.error = self.problem is not None
        self.help = _("NIK looks right.") if self.problem is None else explain(self.problem)[0]

    def submit(self) -> None:
        nik = self.ids.nik.value
        if len(nik) != 16:
            self.ids.nik.error = True
            self.help = _("The NIK has 16 digits. {n} more to go.").format(n=16 - len(nik))
            return
        if self.problem is not None:
            return
        self.form.nik = nik
        self.app.go("pay_name")


class PayNameScreen(PayStep):
    instruction = N_("Type your full name as on your KTP.")
    prev = "pay_nik"
    help = StringProperty("")

    def reset(self) -> None:
        self.ids.name.value = ""
        self.ids.name.error = False
        self.help = ""

    def submit(self) -> None:
        try:
            _nik, name = records.check_payer(self.form.nik, self.ids.name.value)
        except PaymentRefusal as exc:
            self.ids.name.error = True
            message, hint = explain(exc)
            self.help = f"{message} {hint}".strip()
            if exc.code == "invalid_nik":
                self.app.go("pay_nik")
            return
        self.ids.name.error = False
        self.help = ""
        self.form.name = name
        self.app.go("deposit_amount" if self.form.kind == "deposit" else "food_menu")


for _kv in ("pay_inmate.kv", "pay_nik.kv", "pay_name.kv"):
    load_kv(__file__, _kv)
