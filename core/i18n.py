"""Translations: every string a visitor or guard reads goes through gettext (Bahasa Indonesia default).

Message ids are English; ``assets/locale/{id,en}/LC_MESSAGES/lapas.po`` hold the translations, compiled to
``.mo`` with Babel (``lapas i18n update``). Code marks strings with ``_()`` (translate now) or ``N_()``
(mark only, translate at display time — for module-level constants and refusal messages).
"""

from __future__ import annotations

import gettext
import threading
from collections.abc import Callable

from core.resources import asset

DOMAIN = "lapas"
LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"

_lock = threading.Lock()
_current = DEFAULT_LANGUAGE
_cache: dict[str, gettext.NullTranslations] = {}
_listeners: list[Callable[[str], None]] = []


def translations(lang: str) -> gettext.NullTranslations:
    with _lock:
        if lang not in _cache:
            _cache[lang] = gettext.translation(DOMAIN, localedir=str(asset("locale")), languages=[lang],
                                               fallback=True)
        return _cache[lang]


def reload() -> None:
    """Forget loaded catalogs (after ``lapas i18n update``)."""
    with _lock:
        _cache.clear()


def set_language(lang: str) -> None:
    global _current
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; expected one of {LANGUAGES}")
    _current = lang
    for cb in list(_listeners):
        cb(lang)


def get_language() -> str:
    return _current


def on_language_change(cb: Callable[[str], None]) -> None:
    _listeners.append(cb)


def _(msgid: str) -> str:
    """Translate ``msgid`` into the current language."""
    return translations(_current).gettext(msgid)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current).ngettext(singular, plural, n)


def N_(msgid: str) -> str:
    """Mark a string for extraction without translating it yet."""
    return msgid


def translate(msgid: str, lang: str | None = None, **params: object) -> str:
    """Translate into ``lang`` (default: current) and fill ``{name}`` placeholders."""
    text = translations(lang or _current).gettext(msgid)
    return text.format(**params) if params else text
