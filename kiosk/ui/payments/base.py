"""What every payment screen shares: the header (title, step, back, cancel), the visitor's form, refusals
explained in plain language, and the status words a visitor reads."""

from __future__ import annotations

import logging

from kivy.properties import NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen

from core.i18n import N_, _
from kiosk.ui.messages import printer_error_text, refusal_texts
from kiosk.ui.screens.base import KioskScreen, load_kv
from kiosk.ui.widgets.header import HeaderBar
from kiosk.ui.widgets.shared import SharedSlot

log = logging.getLogger("lapas.payments.ui")
STEPS = 6

# (kind, status) -> English msgid a visitor reads
STATUS_TEXT = {
    ("deposit", "created"): N_("Not paid yet"),
    ("deposit", "awaiting_payment"): N_("Waiting for payment"),
    ("deposit", "settled"): N_("Paid"),
    ("deposit", "credited"): N_("Paid and credited to the inmate"),
    ("deposit", "expired"): N_("Not paid: the payment time ran out"),
    ("deposit", "failed"): N_("Not paid: the payment failed"),
    ("deposit", "refund_requested"): N_("Paid; the money will be refunded"),
    ("deposit", "refunded"): N_("Refunded"),
    ("order", "created"): N_("Not paid yet"),
    ("order", "awaiting_payment"): N_("Waiting for payment"),
    ("order", "paid"): N_("Paid; waiting for the canteen"),
    ("order", "prepared"): N_("Being prepared by the canteen"),
    ("order", "delivered"): N_("Delivered to the inmate"),
    ("order", "expired"): N_("Not paid: the payment time ran out"),
    ("order", "failed"): N_("Not paid: the payment failed"),
    ("order", "cancelled"): N_("Cancelled by the canteen; the money will be refunded"),
    ("order", "refund_requested"): N_("Cancelled; the money will be refunded"),
    ("order", "refunded"): N_("Refunded"),
}
KIND_TEXT = {"deposit": N_("Money deposit"), "order": N_("Food order")}


def status_text(kind: str, status: str) -> str:
    return _(STATUS_TEXT.get((kind, status), status))


def explain(exc: BaseException) -> tuple[str, str]:
    """(message, what to do next) for a refusal, or a generic text for an unexpected error (logged)."""
    if hasattr(exc, "code") and hasattr(exc, "message") and not hasattr(exc, "screen_text"):
        return refusal_texts(exc)
    log.error("payment step failed", exc_info=exc)
    return _("Something went wrong."), _("Please try again, or ask an officer for help.")


def print_receipt(screen, kind: str, ref: str) -> None:
    """Print the receipt of ``ref`` as it stands now on the printer lane; ``screen.print_state`` follows
    (printing, printed, failed). A failure is explained with "Try again"; the payment is already saved."""

    app = screen.app
    screen.print_state = "printing"

    def failed(exc) -> None:
        screen.print_state = "failed"
        log.error("receipt %s not printed: %s", ref, exc)
        app.show_message(_("The receipt could not be printed"), printer_error_text(exc),
                         _("The payment is saved. Touch Try again, or note the receipt number: {ref}").format(
                             ref=ref),
                         primary=_("Try again"), on_primary=lambda: print_receipt(screen, kind, ref),
                         secondary=_("Close"))

    app.run_job(lambda: app.payments.print_receipt(kind, ref),
                lambda _r: setattr(screen, "print_state", "printed"), failed, lane="printer")


class PayHeader(SharedSlot, BoxLayout):
    """Where a payment screen's header goes (the app has one, :class:`PayHeaderBar`, moved into the slot of the
    screen showing): its title, "Step n of 6", Back (the screen's previous step) and Cancel (home)."""

    title = StringProperty("")
    step_text = StringProperty("")

    def screen(self):
        w = self.parent
        while w is not None and not isinstance(w, Screen):
            w = w.parent
        return w

    def back(self) -> None:
        scr = self.screen()
        if scr is not None:
            scr.back()


class PayHeaderBar(HeaderBar, BoxLayout):
    """The title and step line of the slot it sits in (``common.kv``), Back and Cancel."""

    def back(self) -> None:
        if self.slot is not None:
            self.slot.back()


PayHeader.shared_class = PayHeaderBar


class PayStep(KioskScreen):
    """A step of the deposit / food order flow. ``prev`` names the screen Back goes to."""

    personal = True
    step = NumericProperty(0)
    step_text = StringProperty("")
    title_text = StringProperty("")
    prev = ""

    @property
    def form(self):
        return self.app.payment_form

    @property
    def svc(self):
        return self.app.payments

    def refresh(self) -> None:
        if self.step:
            self.step_text = _("Step {n} of {total}").format(n=self.step, total=STEPS)
        kind = self.form.kind if self.app is not None and hasattr(self.app, "payment_form") else ""
        self.title_text = _("Send money") if kind == "deposit" else (_("Send food") if kind == "order" else "")

    def back(self) -> None:
        self.app.go(self.previous() or self.app.home)

    def previous(self) -> str:
        return self.prev

    def refuse(self, exc: BaseException, *, title: str = "", go_to: str | None = None) -> None:
        message, hint = explain(exc)
        self.app.show_message(title or _("Payment not possible"), message, hint, primary=_("OK"),
                              on_primary=(lambda: self.app.go(go_to)) if go_to else None)


load_kv(__file__, "common.kv")
