"""Drive a real Kivy app without ``App.run()``: real touch events through the window's input queue, frame
pumping, waiting for background work, and screenshots. Used by the UI tests and ``bench/ui.py``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from kivy.app import App
from kivy.base import EventLoop
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.input.motionevent import MotionEvent

_started = False


class Touch(MotionEvent):
    """A finger touch at window pixel (x, y), dispatched like the real input providers do."""

    def __init__(self, x: float, y: float):
        super().__init__("harness", id(self), {"x": x, "y": y}, is_touch=True, type_id="touch")

    def depack(self, args):
        self.sx = args["x"] / max(1.0, Window.width - 1.0)
        self.sy = args["y"] / max(1.0, Window.height - 1.0)
        self.profile = ["pos"]
        super().depack(args)


class Harness:
    """Starts ``app`` in the current process's window and counts every tap made through it."""

    def __init__(self, app: App, shots_dir: Path | None = None):
        self.app = app
        self.shots_dir = shots_dir
        self.taps = 0
        self.shots: list[Path] = []

    def start(self) -> Harness:
        global _started
        self.app._run_prepare()
        if not _started:
            EventLoop.start()
            _started = True
        self.pump(3)
        return self

    def stop(self) -> None:
        self.app.dispatch("on_stop")
        for child in list(Window.children):
            Window.remove_widget(child)
        App._running_app = None
        self.pump(2)

    # -- the loop ---------------------------------------------------------------------------------

    def pump(self, frames: int = 1) -> None:
        for _ in range(frames):
            EventLoop.idle()

    def wait(self, cond: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}")
            EventLoop.idle()
        self.pump(2)

    def settle(self, timeout: float = 10.0) -> None:
        """Until every background job has delivered its result to the UI."""
        worker = getattr(self.app, "worker", None)
        self.pump(1)
        if worker is not None:
            self.wait(lambda: worker.pending == 0, timeout, "background jobs")
        self.pump(2)

    def sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            EventLoop.idle()

    # -- touches ----------------------------------------------------------------------------------

    def touch_at(self, x: float, y: float, hold: float = 0.0) -> None:
        t = Touch(x, y)
        EventLoop._dispatch_input("begin", t)
        self.pump(1)
        if hold:
            self.sleep(hold)
        EventLoop._dispatch_input("end", t)
        self.pump(2)

    def tap(self, widget, count: bool = True) -> None:
        """Touch the centre of ``widget`` (in window coordinates) and lift, like a finger."""
        if widget.disabled or getattr(widget, "hidden", False) or widget.get_root_window() is None:
            raise AssertionError(f"cannot tap {widget!r}: disabled or not on screen")
        x, y = widget.to_window(*widget.center)
        if count:
            self.taps += 1
        self.touch_at(x, y)

    def type(self, pad, text: str) -> None:
        """Type ``text`` on an on-screen keypad/keyboard by touching its keys (typing, not counted as taps)."""
        for ch in text:
            key = " " if ch == " " else ch.upper()
            self.tap(find_key(pad, key), count=False)

    # -- screenshots ------------------------------------------------------------------------------

    def screenshot(self, name: str) -> Path | None:
        if self.shots_dir is None:
            return None
        self.shots_dir.mkdir(parents=True, exist_ok=True)
        self.pump(2)
        Window.canvas.ask_update()
        Window.dispatch("on_draw")
        tmp = Window.screenshot(str(self.shots_dir / f".shot-{os.getpid()}.png"))
        Window.dispatch("on_flip")
        path = self.shots_dir / f"{len(self.shots) + 1:02d}-{name}.png"
        os.replace(tmp, path)
        self.shots.append(path)
        return path


def walk(widget):
    """``widget`` and all its descendants (including open modal views when given the Window)."""
    yield widget
    for child in widget.children:
        yield from walk(child)


def visible(widget) -> bool:
    w = widget
    while w is not None and w is not w.parent:
        if getattr(w, "opacity", 1) == 0:
            return False
        if w is Window:
            return True
        w = w.parent
    return widget.get_root_window() is not None


def find_key(pad, key: str):
    """The key of a keypad/keyboard showing ``key`` (a character, or enter/back/space)."""
    from kiosk.ui.widgets.base import DataButton

    if key in ("enter", "back", "space"):
        attr = {"enter": "enter", "back": "back", "space": "space"}[key]
        for w in walk(pad):
            if getattr(w, "key_role", None) == attr:
                return w
        raise AssertionError(f"no {key} key on {pad!r}")
    if key == " ":
        return find_key(pad, "space")
    for w in walk(pad):
        if isinstance(w, DataButton) and w.text == key:
            return w
    raise AssertionError(f"no key {key!r} on {pad!r}")


def find_text(root, text: str, *, exact: bool = False):
    """The visible widget whose text equals / contains ``text``."""
    for w in walk(root):
        t = getattr(w, "text", None)
        if isinstance(t, str) and (t == text if exact else text in t) and visible(w):
            return w
    return None


def texts(root) -> list[str]:
    return [w.text for w in walk(root) if isinstance(getattr(w, "text", None), str) and w.text and visible(w)]


def schedule(fn: Callable[[], None], delay: float = 0) -> None:
    Clock.schedule_once(lambda _dt: fn(), delay)
