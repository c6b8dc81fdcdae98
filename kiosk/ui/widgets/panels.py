"""Full-screen-ish panels over a screen: an explained message (error, refusal, info) and the idle countdown."""

from __future__ import annotations

from collections.abc import Callable

from kivy.properties import NumericProperty, StringProperty
from kivy.uix.modalview import ModalView


def _no_theme_image(kw: dict) -> dict:
    """No background image (the panels draw their own box): given before Kivy's ModalView rule applies, so its
    default-theme atlas (a 512 x 512 texture, ~1 MB) is never loaded."""
    kw.setdefault("auto_dismiss", False)
    kw.setdefault("background", "")
    return kw


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
        super().__init__(**_no_theme_image(kw))
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
        super().__init__(**_no_theme_image(kw))
        self._on_continue = on_continue

    def keep_going(self) -> None:
        self.dismiss(animation=False)
        self._on_continue()
