"""Every screen's texts and buttons stay inside the area between the header bar and the status strip, also with
a two-line explanation showing (the longest help texts), in Indonesian and in English."""

from __future__ import annotations

import pytest

from tests.support.harness import visible, walk

pytestmark = pytest.mark.ui

LONG_HELP = ("Yosef Manurung tidak dapat menerima kunjungan saat ini. Silakan bertanya kepada petugas di meja "
             "pendaftaran.")


def _outside(app, screen) -> list[str]:
    from kivy.core.window import Window

    from kiosk.ui.theme import theme

    top, bottom = Window.height - theme.bar_height + 1, theme.status_height - 1
    from kivy.uix.scrollview import ScrollView

    scrolled = {id(c) for sv in walk(screen) if isinstance(sv, ScrollView) for c in walk(sv) if c is not sv}
    bad = []
    for w in walk(screen):
        text = getattr(w, "text", None)
        if not text or getattr(w, "hidden", False) or not visible(w) or w.height <= 0 or id(w) in scrolled:
            continue  # (a scrolled list's rows may lie outside its view)
        x, y = w.to_window(w.x, w.y)
        if y < bottom or y + w.height > top or x < -1 or x + w.width > Window.width + 1:
            bad.append(f"{screen.name}: {text[:40]!r} at y={y:.0f}..{y + w.height:.0f}")
    return bad


def _check_screens(h, skip: tuple[str, ...] = ()) -> None:
    """Visit every screen (each with a long explanation where it has one); fail listing what lies outside."""
    app = h.app
    app.build_all_screens()
    bad = []
    for name in list(app.sm.screen_names):
        if name in skip:
            continue
        app.go(name)
        h.pump(3)
        scr = app.sm.get_screen(name)
        if hasattr(scr, "help"):
            scr.help = LONG_HELP
            h.pump(3)
        bad += _outside(app, scr)
    app.reset_to_home()
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_kiosk_screen_fits(start_app, kiosk_dir, lang):
    from tests.ui.flows import prepare_demo

    prepare_demo(kiosk_dir)
    h = start_app(kiosk_dir)
    h.app.set_language(lang)
    _check_screens(h)


def test_every_guard_screen_fits(start_app, tmp_path):
    from kiosk.ui.guard.app import GuardApp
    from tests.conftest import init_device

    h = start_app(init_device(tmp_path / "guard", "--role", "guard"), cls=GuardApp)
    _check_screens(h, skip=("verdict",))  # the verdict is filled by a scan: tests/ui/test_guard.py looks at it
