"""An on-screen keyboard for names, phone numbers and registration numbers (capitals, digits, . - / ')."""

from __future__ import annotations

from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

ROWS = ("1234567890", "QWERTYUIOP", "ASDFGHJKL'", "ZXCVBNM.-/")


class OnScreenKeyboard(BoxLayout):
    """Types into ``target``; the wide "next" key fires ``on_enter``."""

    target = ObjectProperty(None, allownone=True)
    enter_text = StringProperty("")
    __events__ = ("on_enter", "on_keystroke")

    def on_kv_post(self, _base) -> None:
        from kivy.uix.boxlayout import BoxLayout as Row

        from kiosk.ui.theme import theme
        from kiosk.ui.widgets.base import DataButton

        for i, chars in enumerate(ROWS):
            row = Row(spacing=theme.gap * 0.6, size_hint_y=None, height=theme.target)
            theme.bind(target=row.setter("height"))
            for ch in chars:
                key = DataButton(text=ch, style="key", font_size=theme.font_key)
                key.bind(on_release=lambda _b, c=ch: self.press(c))
                row.add_widget(key)
            self.add_widget(row, index=len(self.children) - i)

    def press(self, key: str) -> None:
        self.dispatch("on_keystroke", key)
        if key == "enter":
            self.dispatch("on_enter")
            return
        if self.target is None:
            return
        if key == "back":
            self.target.backspace()
        elif key == "space":
            if self.target.value and not self.target.value.endswith(" "):
                self.target.type_char(" ")
        else:
            self.target.type_char(key)

    def on_enter(self, *args) -> None:
        pass

    def on_keystroke(self, key: str) -> None:
        pass
