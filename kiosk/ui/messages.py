"""Plain-language texts for what can go wrong: printer errors and domain refusals (translated at display)."""

from __future__ import annotations

from core.i18n import N_, _, translate

PRINTER_ERRORS = {  # fallbacks; hardware.printer.PrinterError brings its own screen text
    "nothing_to_reprint": N_("There is no receipt to reprint yet."),
}
PRINTER_GENERIC = N_("The printer reported a problem.")


def printer_error_text(exc: BaseException) -> str:
    """The hardware layer's own screen text when it has one, else ours by code."""
    if hasattr(exc, "screen_text"):
        return exc.screen_text()
    if isinstance(exc, LookupError):
        return _(PRINTER_ERRORS["nothing_to_reprint"])
    code = getattr(exc, "code", "")
    return _(PRINTER_ERRORS.get(code, PRINTER_GENERIC))


def refusal_texts(refusal) -> tuple[str, str]:
    """(message, what to do next) of a domain ``Refusal`` in the current language."""
    params = dict(getattr(refusal, "params", {}) or {})
    message = translate(refusal.message, **params) if refusal.message else ""
    hint = getattr(refusal, "hint", "") or ""
    return message, (translate(hint, **params) if hint else "")
