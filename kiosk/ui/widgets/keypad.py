"""A big numeric keypad (NIK, phone, PIN, ticket number): 0-9, erase, and a "next" key.

Like the keyboard, the keys exist once per app (:class:`KeypadKeys`) and move into the :class:`NumericKeypad`
slot of the screen about to show (see :mod:`kiosk.ui.widgets.shared`).
"""

from __future__ import annotations

from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from kiosk.ui.widgets.keyboard import PadSlot, SharedKeys


class NumericKeypad(PadSlot, BoxLayout):
    """Types into ``target`` (a :class:`~kiosk.ui.widgets.base.Field`); ``on_enter`` fires on the OK key."""

    target = ObjectProperty(None, allownone=True)
    enter_text = StringProperty("")
    __events__ = ("on_enter", "on_keystroke")


class KeypadKeys(SharedKeys, GridLayout):
    """Three columns: 1-9, then erase, 0, next (``widgets.kv``)."""


NumericKeypad.shared_class = KeypadKeys
