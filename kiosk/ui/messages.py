"""Plain-language texts for what can go wrong: printer errors and domain refusals (translated at display)."""

from __future__ import annotations

from kiosk.i18n import N_, _, translate

PRINTER_ERRORS = {
    "not_configured": N_("No receipt printer is connected to this kiosk."),
    "offline": N_("The printer is not responding. Check that it is switched on and its cable is plugged in."),
    "disconnected": N_("The printer is not responding. Check that it is switched on and its cable is plugged in."),
    "paper_out": N_("The printer is out of paper. Ask an officer to load a new roll."),
    "paper_near_end": N_("The printer is almost out of paper."),
    "cover_open": N_("The printer cover is open. Close it and try again."),
    "timeout": N_("The printer did not answer in time."),
    "nothing_to_reprint": N_("There is no receipt to reprint yet."),
}
PRINTER_GENERIC = N_("The printer reported a problem.")


def printer_error_text(exc: BaseException) -> str:
    code = getattr(exc, "code", "")
    return _(PRINTER_ERRORS.get(code, PRINTER_GENERIC))


def refusal_texts(refusal) -> tuple[str, str]:
    """(message, what to do next) of a domain ``Refusal`` in the current language."""
    params = dict(getattr(refusal, "params", {}) or {})
    message = translate(refusal.message, **params) if refusal.message else ""
    hint = getattr(refusal, "hint", "") or ""
    return message, (translate(hint, **params) if hint else "")
