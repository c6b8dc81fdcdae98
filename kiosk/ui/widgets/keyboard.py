"""An on-screen keyboard for names, phone numbers and registration numbers (capitals, digits, . - / ').

The keys exist once per app: every screen's :class:`OnScreenKeyboard` is a slot of the keyboard's size that
the shared :class:`KeyboardKeys` move into when its screen is about to show (:func:`dock_pads`, called from
``KioskScreen.on_pre_enter``). A keyboard's 43 keys cost ~4.5 MB once built (widgets, kv bindings, label bitmaps)
and more once drawn under Mesa's software GL; with one per screen, the kiosk's nine keyboard screens and four
keypad screens cost ~28 MB more than one shared set (measured with every screen built).
"""

from __future__ import annotations

from kivy.app import App
from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

ROWS = ("1234567890", "QWERTYUIOP", "ASDFGHJKL'", "ZXCVBNM.-/")


class PadSlot:
    """What a keyboard/keypad slot shares: ``target`` (a :class:`~kiosk.ui.widgets.base.Field`), ``enter_text``,
    the ``on_enter``/``on_keystroke`` events and :meth:`press`. ``keys_class`` is the shared key widget."""

    keys_class: type | None = None  # set below each kind's keys class

    def on_kv_post(self, _base) -> None:
        shared_keys(self.keys_class)  # made with the first screen built (in the background), not at the first tap

    def dock(self) -> None:
        """Move the app's one set of keys into this slot (a no-op when they are here already)."""
        keys = shared_keys(self.keys_class)
        if keys.parent is self:
            return
        if keys.parent is not None:
            keys.parent.remove_widget(keys)
        keys.slot = self
        self.add_widget(keys)

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


class SharedKeys:
    """Key widgets shared by all slots of one kind; a key press goes to the slot they sit in (``slot``, whose
    ``enter_text`` the "next" key shows)."""

    slot = ObjectProperty(None, allownone=True)

    def press(self, key: str) -> None:
        if self.slot is not None:
            self.slot.press(key)


class KeyboardKeys(SharedKeys, BoxLayout):
    """The letter, digit and punctuation rows (built here) above the erase / space / next row (``widgets.kv``)."""

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


OnScreenKeyboard.keys_class = KeyboardKeys


def shared_keys(cls):
    """The running app's one instance of ``cls`` (made on first use; a fresh one when no app runs)."""
    app = App.get_running_app()
    if app is None:
        return cls()
    pads = app.__dict__.setdefault("_shared_pads", {})
    if cls not in pads:
        pads[cls] = cls()
    return pads[cls]


def dock_pads(screen) -> None:
    """Give each keyboard/keypad slot on ``screen`` its keys (before the screen shows)."""
    stack = [screen]
    while stack:
        w = stack.pop()
        if isinstance(w, PadSlot):
            w.dock()
            continue
        stack.extend(w.children)
