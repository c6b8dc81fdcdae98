"""The frame around every screen: top bar (emblem with the hidden maintenance gesture, facility name, home
button, language switch), the screen manager, and the status strip."""

from __future__ import annotations

import time

from kivy.app import App
from kivy.clock import Clock
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.image import Image

TAPS_TO_OPEN = 5
TAP_WINDOW_S = 4.0
LONG_PRESS_S = 3.0


class Root(BoxLayout):
    pass


class Emblem(Image):
    """The facility emblem. Five quick taps, or holding it for three seconds, opens maintenance mode."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self._taps: list[float] = []
        self._hold = None

    def on_touch_down(self, touch):
        if not self.collide_point(*touch.pos):
            return False
        now = time.monotonic()
        self._taps = [t for t in self._taps if now - t <= TAP_WINDOW_S] + [now]
        if len(self._taps) >= TAPS_TO_OPEN:
            self._taps.clear()
            self._open()
        else:
            self._hold = Clock.schedule_once(lambda _dt: self._open(), LONG_PRESS_S)
        return True

    def on_touch_up(self, touch):
        if self._hold is not None:
            self._hold.cancel()
            self._hold = None
        return self.collide_point(*touch.pos)

    def _open(self) -> None:
        self._hold = None
        App.get_running_app().open_maintenance()
