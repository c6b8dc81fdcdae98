"""Full-screen-ish panels over a screen: an explained message (error, refusal, info) and the idle countdown."""

from __future__ import annotations

from collections.abc import Callable

from kivy.properties import NumericProperty, StringProperty
from kivy.uix.modalview import ModalView


class MessagePanel(ModalView):
    """Title, message and what to do next, with one or two big buttons. ``kind``: error, info, ok."""

    title = StringProperty("")
    message = StringProperty("")
    hint = StringProperty("")
    kind = StringProperty("error")
    primary_text = StringProperty("")
    secondary_text = StringProperty("")

    def __init__(self, on_primary: Callable[[], None] | None = None,
                 on_secondary: Callable[[], None] | None = None, **kw):
        kw.setdefault("auto_dismiss", False)
        super().__init__(**kw)
        self._on_primary = on_primary
        self._on_secondary = on_secondary

    def primary(self) -> None:
        self.dismiss(animation=False)
        if self._on_primary:
            self._on_primary()

    def secondary(self) -> None:
        self.dismiss(animation=False)
        if self._on_secondary:
            self._on_secondary()


class CountdownPanel(ModalView):
    """"Are you still there?" with the seconds left before the kiosk returns home and wipes the form."""

    seconds = NumericProperty(10)
    text = StringProperty("")

    def __init__(self, on_continue: Callable[[], None], **kw):
        kw.setdefault("auto_dismiss", False)
        super().__init__(**kw)
        self._on_continue = on_continue

    def keep_going(self) -> None:
        self.dismiss(animation=False)
        self._on_continue()
