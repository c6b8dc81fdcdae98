"""Booking redemption: a visitor registered online types the booking code or scans its QR; no re-typing."""

from __future__ import annotations

from kivy.properties import StringProperty

from core.i18n import N_, _
from kiosk.ui import visit_api
from kiosk.ui.messages import refusal_texts
from kiosk.ui.screens.base import KioskScreen, load_kv


class BookingScreen(KioskScreen):
    instruction = N_("Type your booking code, or hold the booking QR code under the scanner.")
    personal = True
    help = StringProperty("")

    def reset(self) -> None:
        self.ids.code.value = ""
        self.help = ""

    def scanned(self, text: str) -> None:
        """A line from the scanner while this screen is open (a booking QR holds the code)."""
        code = text.strip().rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        self.ids.code.value = code[: int(self.ids.code.max_len)].upper()
        self.submit()

    def submit(self) -> None:
        code = self.ids.code.value.strip()
        if len(code) < 4:
            self.help = _("The booking code has at least 4 characters.")
            return
        self.help = _("Checking your booking...")
        self.app.run_job(lambda: visit_api.redeem(self.app.services, code), self.app.visit_saved, self._refused)

    def _refused(self, exc) -> None:
        if hasattr(exc, "code") and hasattr(exc, "message"):
            message, hint = refusal_texts(exc)
        else:
            message, hint = _("Your booking could not be checked."), _("Please ask an officer for help.")
        self.help = ""
        self.app.show_message(_("Booking not accepted"), message, hint, primary=_("OK"))


load_kv(__file__)
