"""Reusable touch widgets (styled in ``widgets.kv``): big buttons, keypad, keyboard, choices, QR, panels."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

_loaded = False


def load_kv() -> None:
    """Load the widget rules once per process (import the widget classes first)."""
    global _loaded
    if _loaded:
        return
    from kiosk.ui.widgets import base, header, keyboard, keypad, panels, qr, status  # noqa: F401

    free_text_surfaces()
    Builder.load_file(str(Path(__file__).with_name("widgets.kv")))
    _loaded = True


def free_text_surfaces() -> None:
    """Kivy's SDL2 text provider keeps each label's last rendered bitmap (an SDL surface) after copying it into
    the label's texture: ~25 KB per label, ~12 MB over the kiosk's screens. Drop it once copied, as Kivy's pygame
    provider does (``del self._pygame_surface``); the next render makes a new one anyway."""
    from kivy.core.text import (
        Label as CoreLabel,  # Kivy: imported after kivy_env.prepare() has set its environment
    )  # Kivy: imported after kivy_env.prepare() has set its environment

    render_end = CoreLabel.__dict__.get("_render_end")
    if CoreLabel.__name__ != "LabelSDL2" or render_end is None or getattr(render_end, "frees_surface", False):
        return

    def _render_end(self):
        data = render_end(self)
        self._surface = None
        return data

    _render_end.frees_surface = True
    CoreLabel._render_end = _render_end
