"""Idle reset: after ``ui.idle_timeout_s`` without a touch, a countdown of ``ui.idle_countdown_s`` seconds, then
the app returns home and wipes everything entered (personal data never lingers on an unattended screen).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from kivy.clock import Clock

from core.i18n import _
from kiosk.ui.widgets.panels import CountdownPanel


class IdleWatcher:
    """Watches touches on the window; ``active()`` says whether there is anything to wipe."""

    def __init__(self, window, timeout_s: float, countdown_s: float, active: Callable[[], bool],
                 on_reset: Callable[[], None], clock: Callable[[], float] = time.monotonic):
        self.window = window
        self.timeout_s = timeout_s
        self.countdown_s = countdown_s
        self.active = active
        self.on_reset = on_reset
        self.clock = clock
        self.last_touch = clock()
        self.panel: CountdownPanel | None = None
        window.bind(on_touch_down=self._touched, on_key_down=self._touched)
        self._event = Clock.schedule_interval(self._tick, 0.25)

    def _touched(self, *_args) -> None:
        self.last_touch = self.clock()
        return None  # never consume the event

    def poke(self) -> None:
        """Someone is there: restart the idle time and close the countdown."""
        self.last_touch = self.clock()
        self._close_panel()

    def _tick(self, _dt) -> None:
        if not self.active():
            self.last_touch = self.clock()
            self._close_panel()
            return
        idle = self.clock() - self.last_touch
        warn_at = self.timeout_s - self.countdown_s
        if idle >= self.timeout_s:
            self._close_panel()
            self.last_touch = self.clock()
            self.on_reset()
        elif idle >= warn_at:
            if self.panel is None:
                self.panel = CountdownPanel(on_continue=self.poke)
                self.panel.text = _("The screen will return to the start and clear your data.")
                self.panel.open(animation=False)
            self.panel.seconds = max(0, int(self.timeout_s - idle + 0.999))
        else:
            self._close_panel()

    def _close_panel(self) -> None:
        if self.panel is not None:
            self.panel.dismiss(animation=False)
            self.panel = None

    def stop(self) -> None:
        self._event.cancel()
        self._close_panel()
        self.window.unbind(on_touch_down=self._touched, on_key_down=self._touched)
