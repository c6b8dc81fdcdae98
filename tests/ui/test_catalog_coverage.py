"""Runtime checks over every screen the app builds: each visible text comes from the catalog (checked with a
pseudo-translation that brackets every catalog string), text is >= 24 px and touch targets >= 15 mm."""

from __future__ import annotations

import gettext
import re

import pytest

from core import i18n
from tests.support.harness import visible, walk

pytestmark = pytest.mark.ui


class Bracketing(gettext.NullTranslations):
    """Every catalog lookup comes back as [[...]] so untranslated literals stand out."""

    def gettext(self, message):
        return f"[[{message}]]"

    def ngettext(self, singular, plural, n):
        return f"[[{singular if n == 1 else plural}]]"


def _unmarked(text: str) -> str:
    return re.sub(r"\[\[.*?\]\]", "", text, flags=re.S)


def screens_of(h):
    h.app.build_all_screens()
    for scr in list(h.app.sm.screens):
        h.app.sm.current = scr.name
        h.settle()
        yield scr


def check_screen(h, name, min_target, bypass, small, tiny):
    from kivy.core.window import Window

    seen = []
    for w in (x for top in list(Window.children) for x in walk(top)):
        seen.append(w)
        if not visible(w) or w.width <= 1 or w.height <= 1:
            continue
        text = getattr(w, "text", None)
        if isinstance(text, str) and text.strip() and hasattr(w, "font_size"):
            if w.font_size < 24:
                small.append(f"{name}: {text!r} at {w.font_size}px")
            if not getattr(w, "is_data", False) and re.search(r"[A-Za-z]{2,}", _unmarked(text)):
                bypass.append(f"{name}: {text!r} ({type(w).__name__})")
        if hasattr(w, "on_release") and hasattr(w, "state") and not getattr(w, "hidden", False):
            if w.width + 0.5 < min_target or w.height + 0.5 < min_target:
                tiny.append(f"{name}: {getattr(w, 'text', '')!r} {w.width:.0f}x{w.height:.0f}px")
    return [getattr(w, "text", "") for w in seen if visible(w)]


@pytest.mark.parametrize("app_kind", ["kiosk", "guard"])
def test_every_visible_text_is_from_the_catalog_and_large_enough(start_app, kiosk_dir, app_kind, tmp_path):
    from kiosk.ui.theme import mm_to_px
    from tests.conftest import init_device

    data_dir = kiosk_dir if app_kind == "kiosk" else init_device(tmp_path / "guard", "--role", "guard")
    if app_kind == "guard":
        from kiosk.ui.guard.app import GuardApp as cls
    else:
        cls = None
    real = i18n._cache.get("id")
    i18n._cache["id"] = Bracketing()
    try:
        h = start_app(data_dir, cls=cls)
        i18n.set_language("id")
        h.settle()
        min_target = mm_to_px(15, h.app.cfg.ui.dpi)
        bypass, small, tiny = [], [], []
        names = []
        for scr in screens_of(h):
            shown = check_screen(h, scr.name, min_target, bypass, small, tiny)
            assert any("[[" in t for t in shown), f"{scr.name}: no catalog text seen at all"
            names.append(scr.name)
        assert "maintenance" in names and h.app.home in names
        h.app.show_message(i18n._("Something went wrong"), i18n._("Your registration could not be saved."),
                           primary=i18n._("OK"))
        h.settle()
        shown = check_screen(h, "message panel", min_target, bypass, small, tiny)
        assert "[[Something went wrong]]" in shown
        assert not bypass, "texts not from the catalog:\n" + "\n".join(bypass)
        assert not small, "text below 24 px:\n" + "\n".join(small)
        assert not tiny, "touch targets below 15 mm:\n" + "\n".join(tiny)
    finally:
        if real is None:
            i18n._cache.pop("id", None)
        else:
            i18n._cache["id"] = real


def test_high_contrast_theme_and_bigger_dpi(start_app, kiosk_dir, kivy_window):
    """A 15.6" 2048x1280 screen at 160 dpi: targets keep their 15 mm, text its size, and the home fits."""
    from tests.ui.conftest import BIG, HEIGHT, WIDTH

    kivy_window.size = BIG
    try:
        h = start_app(kiosk_dir, ui={"high_contrast": True, "dpi": 160})
        h.settle()
        from kiosk.ui.theme import mm_to_px, theme
        from tests.ui.flows import assert_home_tiles_fit

        assert theme.high_contrast and list(theme.bg)[:3] == [0, 0, 0]
        assert theme.target >= mm_to_px(15, 160)
        assert h.app.root.ids.lang_en.height >= mm_to_px(15, 160)
        assert_home_tiles_fit(h)
        h.screenshot("home-high-contrast")
    finally:
        kivy_window.size = (WIDTH, HEIGHT)
