"""Why a deposit or order is refused: a stable ``code`` and English msgids the UI shows in Indonesian.

Same shape as the visits engineer's ``kiosk.domain.rules.Refusal`` (``code``, ``message``, ``params``, ``hint``)
so the UI treats both alike: ``translate(r.message, **r.params)``. Amount parameters are pre-formatted as
``Rp 1.000.000`` strings so a message never shows a bare number.
"""

from __future__ import annotations

from core.errors import RefusalError
from core.i18n import N_, translate
from core.money import format_rupiah

MESSAGES: dict[str, tuple[str, str]] = {
    "payments_unavailable": (N_("Payments are not available at this kiosk right now."),
                             N_("Please ask an officer, or try again later.")),
    "invalid_amount": (N_("The amount must be a whole number of rupiah."), N_("Enter the amount again.")),
    "amount_below_min": (N_("The minimum deposit is {min}."), N_("Enter a larger amount.")),
    "amount_above_max": (N_("The maximum deposit per transaction is {max}."), N_("Enter a smaller amount.")),
    "daily_cap_reached": (N_("Deposits for this inmate today are limited to {cap}; {remaining} is left."),
                          N_("Enter a smaller amount, or come back tomorrow.")),
    "balance_cap_reached": (N_("This inmate's balance may not exceed {cap}; at most {remaining} can be added."),
                            N_("Enter a smaller amount.")),
    "inmate_not_found": (N_("No inmate with registration number {reg_no} was found."),
                         N_("Check the registration number with the officer.")),
    "inmate_not_eligible": (N_("Money or food cannot be sent to this inmate."),
                            N_("Please ask an officer for information.")),
    "invalid_nik": (N_("The NIK must be 16 digits."), N_("Check the number on your KTP.")),
    "invalid_name": (N_("Please enter your full name."), N_("Type your name as on your KTP.")),
    "empty_cart": (N_("The order is empty."), N_("Add at least one item.")),
    "item_not_found": (N_("This item is not on the menu: {item}."), N_("Choose another item.")),
    "item_unavailable": (N_("{item} is not available today."), N_("Choose another item.")),
    "out_of_stock": (N_("Only {left} of {item} left."), N_("Reduce the quantity.")),
    "item_daily_limit": (N_("At most {limit} of {item} per inmate per day."), N_("Reduce the quantity.")),
    "too_many_items": (N_("At most {max} items per order."), N_("Reduce the quantity.")),
    "invalid_quantity": (N_("The quantity of {item} is not valid."), N_("Use the plus and minus buttons.")),
    "not_found": (N_("Payment {reference} was not found."), N_("Check the receipt number.")),
    "bad_state": (N_("This payment can no longer be changed (status: {status})."), N_("Start a new payment.")),
    "hq_refused": (N_("Headquarters did not accept this payment."),
                   N_("Please ask an officer for information.")),
    "qr_mismatch": (N_("The payment QR from headquarters does not match this payment."),
                    N_("Please ask an officer for help.")),
}


class PaymentRefusal(RefusalError):
    """A refused deposit/order step. ``message``/``hint`` are msgids; ``params`` fill their placeholders."""

    def __init__(self, code: str, **params: object):
        if code not in MESSAGES:
            raise KeyError(f"unknown refusal code {code!r}")
        self.code = code
        self.message, self.hint = MESSAGES[code]
        self.params = {k: (format_rupiah(v) if k in _MONEY_PARAMS and isinstance(v, int) else v)
                       for k, v in params.items()}
        super().__init__(f"{code}: {self.message.format(**self.params)}")

    def text(self, lang: str | None = None) -> str:
        """The message in ``lang`` (default: the current UI language)."""
        return translate(self.message, lang, **self.params)

    def hint_text(self, lang: str | None = None) -> str:
        return translate(self.hint, lang)


_MONEY_PARAMS = {"min", "max", "cap", "remaining"}
