"""Indonesian phone numbers: accept 08.., 628.., +62 8.., with spaces, dots or dashes; store E.164."""

from __future__ import annotations

import re

from core.i18n import N_
from kiosk.domain.rules import Refusal

_STRIP = re.compile(r"[\s\-.()/]")


def normalise_phone(text: str) -> str:
    """Return ``+628...``; raises :class:`Refusal` (``invalid_phone``) for anything else."""
    raw = _STRIP.sub("", text or "")
    if raw.startswith("+"):
        raw = raw[1:]
        if not raw.startswith("62"):
            raise Refusal("invalid_phone", N_("Only Indonesian phone numbers (+62) can be used."),
                          N_("Type the number as it is written, for example 0812 3456 7890."))
    if not raw.isdigit():
        raise Refusal("invalid_phone", N_("A phone number may contain digits only."),
                      N_("Type the number as it is written, for example 0812 3456 7890."))
    if raw.startswith("62"):
        national = raw[2:]
    elif raw.startswith("0"):
        national = raw[1:]
    else:
        national = raw
    if national.startswith("0"):
        national = national.lstrip("0")
    # mobile: 8xx, 9 to 12 digits after the leading 8; landline: area code 2x-9x, 7 to 11 digits in all
    if not (national.startswith("8") and 9 <= len(national) <= 12) and not (
        national[:1] in "234567" and 8 <= len(national) <= 11
    ):
        raise Refusal("invalid_phone", N_("The phone number {number} is not complete."),
                      N_("Type the number as it is written, for example 0812 3456 7890."), number=text.strip())
    return "+62" + national


def display_phone(e164: str) -> str:
    """``+6281234567890`` -> ``0812-3456-7890`` (how people read it)."""
    national = "0" + e164[3:] if e164.startswith("+62") else e164
    parts = [national[i:i + 4] for i in range(0, len(national), 4)]
    return "-".join(parts)
