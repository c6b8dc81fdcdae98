"""Refusals: every rule the kiosk enforces ends, when broken, in a :class:`Refusal` with a stable code.

``message`` and ``hint`` are English msgids (marked with ``N_``) with ``{placeholders}``; the UI shows
``translate(r.message, **r.params)`` in Indonesian and the hint says what to do next. Logs use ``str(r)``.
"""

from __future__ import annotations

from typing import Any

from core.errors import RefusalError
from core.i18n import N_, translate


class Msg(str):
    """A msgid used as a parameter of another message (e.g. an inmate group): translated when formatted, so
    ``translate(r.message, **r.params)`` reads in one language. Its ``str`` is the English msgid (logs)."""

    __slots__ = ()

    def __format__(self, spec: str) -> str:
        return format(translate(str(self)), spec)


def _params_in(lang: str | None, params: dict[str, Any]) -> dict[str, Any]:
    return {k: translate(str(v), lang) if isinstance(v, Msg) else v for k, v in params.items()}


class Refusal(RefusalError):
    """A business rule said no. ``code`` is stable (tests, logs, HQ); ``message``/``hint`` are msgids."""

    def __init__(self, code: str, message: str, hint: str = "", /, **params: Any):
        self.code = code
        self.message = message
        self.hint = hint
        self.params = params
        english = {k: str(v) if isinstance(v, Msg) else v for k, v in params.items()}
        super().__init__(f"{code}: {message.format(**english) if params else message}")

    def text(self, lang: str | None = None) -> str:
        return translate(self.message, lang, **_params_in(lang, self.params))

    def hint_text(self, lang: str | None = None) -> str:
        return translate(self.hint, lang, **_params_in(lang, self.params)) if self.hint else ""


# Hints reused by several rules.
HINT_ASK_OFFICER = N_("Please ask the officer at the registration desk.")
HINT_OTHER_DAY = N_("Please choose another day or session.")
HINT_CHECK_NIK = N_("Check the number on the KTP and type it again.")
