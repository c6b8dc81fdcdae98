"""An on-screen keyboard for names, phone numbers and registration numbers (capitals, digits, . - / ').

The keys exist once per app (:mod:`kiosk.ui.widgets.shared`): every screen's :class:`OnScreenKeyboard` is a slot
of the keyboard's size that the app's :class:`KeyboardKeys` move into when its screen is about to show. A
keyboard's 43 keys cost ~4.5 MB once built (widgets, kv bindings, label bitmaps) and more once drawn under Mesa's
software GL; with one per screen, the kiosk's nine keyboard screens and four keypad screens cost ~28 MB more than
one shared set (measured with every screen built).
"""

from __future__ import annotations

from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.ui.theme import theme
from kiosk.ui.widgets.base import DataButton
from kiosk.ui.widgets.shared import SharedSlot, SharedWidget

ROWS = ("1234567890", "QWERTYUIOP", "ASDFGHJKL'", "ZXCVBNM.-/")


class PadSlot(SharedSlot):
    """What a keyboard/keypad slot shares: ``target`` (a :class:`~kiosk.ui.widgets.base.Field`), ``enter_text``,
    the ``on_enter``/``on_keystroke`` events and :meth:`press`."""

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
        elif key == "space":
            if self.target.value and not self.target.value.endswith(" "):
                self.target.type_char(" ")
        else:
            self.target.type_char(key)

    def on_enter(self, *args) -> None:
        pass

    def on_keystroke(self, key: str) -> None:
        pass


class OnScreenKeyboard(PadSlot, BoxLayout):
    """Types into ``target``; the wide "next" key fires ``on_enter``."""

    target = ObjectProperty(None, allownone=True)
    enter_text = StringProperty("")
    __events__ = ("on_enter", "on_keystroke")


class SharedKeys(SharedWidget):
    """Key widgets shared by all slots of one kind; a key press goes to the slot they sit in (``slot``, whose
    ``enter_text`` the "next" key shows)."""

    def press(self, key: str) -> None:
        if self.slot is not None:
            self.slot.press(key)


class KeyboardKeys(SharedKeys, BoxLayout):
    """The letter, digit and punctuation rows (built here) above the erase / space / next row (``widgets.kv``)."""

    def on_kv_post(self, _base) -> None:
        from kivy.uix.boxlayout import (
            BoxLayout as Row,  # Kivy: imported after kivy_env.prepare() has set its environment
        )  # Kivy: imported after kivy_env.prepare() has set its environment


        for i, chars in enumerate(ROWS):
            row = Row(spacing=theme.gap * 0.6, size_hint_y=None, height=theme.target)
            theme.bind(target=row.setter("height"))
            for ch in chars:
                key = DataButton(text=ch, style="key", font_size=theme.font_key)
                key.bind(on_release=lambda _b, c=ch: self.press(c))
                row.add_widget(key)
            self.add_widget(row, index=len(self.children) - i)


OnScreenKeyboard.shared_class = KeyboardKeys
