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
    from kiosk.ui.widgets import base, keyboard, keypad, panels, qr, status  # noqa: F401

    Builder.load_file(str(Path(__file__).with_name("widgets.kv")))
    _loaded = True
