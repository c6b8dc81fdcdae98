"""A big numeric keypad (NIK, phone, PIN, ticket number): 0-9, erase, and a "next" key."""

from __future__ import annotations

from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.gridlayout import GridLayout


class NumericKeypad(GridLayout):
    """Types into ``target`` (a :class:`~kiosk.ui.widgets.base.Field`); ``on_enter`` fires on the OK key."""

    target = ObjectProperty(None, allownone=True)
    enter_text = StringProperty("")
    __events__ = ("on_enter", "on_keystroke")

    def press(self, key: str) -> None:
        self.dispatch("on_keystroke", key)
        if key == "enter":
            self.dispatch("on_enter")
            return
        if self.target is None:
            return
        if key == "back":
            self.target.backspace()
        elif key == "clear":
            self.target.value = ""
        else:
            self.target.type_char(key)

    def on_enter(self, *args) -> None:
        pass

    def on_keystroke(self, key: str) -> None:
        pass
