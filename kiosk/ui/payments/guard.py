"""The guard station checks a deposit / canteen order receipt: its verification QR (``LPV1|...``) scanned at
the gate says whether the receipt is genuine (signed by a kiosk of this facility, for this amount) and what
headquarters last reported about the payment (reference data ``payment_updates``), offline.

Hooked into ``GuardApp.scanned`` (a payload starting with ``LPV1|`` comes here instead of the ticket check).
"""

from __future__ import annotations

import logging

from kivy.properties import BooleanProperty, ListProperty, StringProperty

from core import receipt_codes
from core.i18n import N_, _
from core.ids import fmt_wib, parse_iso
from core.money import format_rupiah
from core.payment_states import PAID
from kiosk.payments import verify
from kiosk.ui.payments.base import KIND_TEXT, status_text
from kiosk.ui.screens.base import KioskScreen, load_kv
from kiosk.ui.widgets.base import add_detail_row

log = logging.getLogger("lapas.payments.ui")
SCREEN = "receipt_check"

HEADLINES = {
    "ok": N_("GENUINE RECEIPT"),
    "forged": N_("FAKE RECEIPT"),
    "unknown_key": N_("UNKNOWN ISSUER"),
    "wrong_facility": N_("OTHER FACILITY"),
    "malformed": N_("NOT A RECEIPT"),
}
REASONS = {
    "ok": N_("Signed by a kiosk of this facility for the amount shown."),
    "forged": N_("The signature does not match: this receipt was changed or made up."),
    "unknown_key": N_("This receipt was not issued by a kiosk this station knows."),
    "wrong_facility": N_("This receipt belongs to another facility."),
    "malformed": N_("This QR code is not a payment receipt."),
}


def is_receipt(payload: str) -> bool:
    return payload.strip().startswith(receipt_codes.PREFIX + "|")


def check(services, payload: str) -> tuple[receipt_codes.ReceiptCheck, dict | None]:
    """Blocking (db lane): the signature verdict and HQ's last word on the payment."""
    store = services.store
    with store.lock:
        return verify.check_receipt(store.conn, payload, services.cfg.device.facility_id)


class ReceiptCheckScreen(KioskScreen):
    """Full-screen verdict on a scanned receipt: green genuine + paid, amber genuine but not confirmed, red
    fake/unknown."""

    instruction = ""
    code = StringProperty("")
    headline = StringProperty("")
    reason = StringProperty("")
    paid_line = StringProperty("")
    is_paid = BooleanProperty(False)
    details = ListProperty([])

    def reset(self) -> None:
        self.code = self.headline = self.reason = self.paid_line = ""
        self.is_paid = False
        self.details = []

    def show(self, result: receipt_codes.ReceiptCheck, status: dict | None) -> None:
        self.code = result.code if result.ok else (result.code or "malformed")
        self.headline = _(HEADLINES.get(self.code, HEADLINES["malformed"]))
        self.reason = _(REASONS.get(self.code, REASONS["malformed"]))
        self.instruction = HEADLINES.get(self.code, "")
        rows = []
        if result.reference:
            rows.append((_("Receipt number"), result.reference))
            rows.append((_("Type"), _(KIND_TEXT.get(result.kind, result.kind))))
            rows.append((_("Amount"), format_rupiah(result.amount)))
        self.is_paid = bool(result.ok and status and status["status"] in PAID.get(result.kind, ()))
        if not result.ok:
            self.paid_line = ""
        elif status is None:
            self.paid_line = _("Headquarters has not reported this payment to this station yet. Treat it as "
                               "not paid (MENUNGGU KONFIRMASI).")
        else:
            word = "LUNAS" if self.is_paid else "MENUNGGU KONFIRMASI"
            self.paid_line = f"{word}: {status_text(result.kind, status['status'])}"
            rows.append((_("Reported by headquarters"), fmt_wib(parse_iso(status["at"]))))
        self.details = rows

    def on_details(self, *_a) -> None:

        box = self.ids.get("details_box")
        if box is None:
            return
        box.clear_widgets()
        for label, value in self.details:
            add_detail_row(box, label, value, color=(1, 1, 1, 1))


def check_receipt_scan(app, payload: str) -> None:
    """Judge a scanned receipt QR off the UI thread and show the verdict full screen."""
    if not app.has_screen(SCREEN):
        app.sm.add_widget(ReceiptCheckScreen(name=SCREEN))

    def shown(result) -> None:
        if app.panel:
            app.panel.dismiss(animation=False)
        scr = app.screen(SCREEN)
        scr.show(*result)
        app.go(SCREEN)
        app.speak_instruction()

    def failed(exc) -> None:
        log.error("receipt check failed", exc_info=exc)
        app.show_message(_("The receipt could not be checked."), _("Please try again."),
                         _("Ask the visitor for the receipt number and call headquarters."))

    app.run_job(lambda: check(app.services, payload), shown, failed)


load_kv(__file__, "receipt_check.kv")
