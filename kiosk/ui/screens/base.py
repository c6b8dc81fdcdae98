"""The base class of every screen: what it says aloud, whether it holds personal data, how it resets."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.uix.screenmanager import Screen

from kiosk.ui.widgets.shared import dock_shared

_loaded: set[str] = set()


def load_kv(module_file: str, name: str | None = None) -> None:
    """Load the ``.kv`` file beside a screen module once per process."""
    path = Path(module_file).with_suffix(".kv") if name is None else Path(module_file).with_name(name)
    if str(path) not in _loaded:
        Builder.load_file(str(path))
        _loaded.add(str(path))


class KioskScreen(Screen):
    instruction = ""  # English msgid of the main instruction, spoken on entry when voice is on
    personal = False  # holds entered data: idle reset applies and wipes it

    def __init__(self, **kw):
        super().__init__(**kw)
        self.fbind("on_pre_enter", self._dock_shared)  # a bound handler: runs whatever subclasses override

    def _dock_shared(self, *_a) -> None:
        """The app's one keyboard, keypad and step header move into this screen's slots before it shows."""

        dock_shared(self)

    @property
    def app(self):
        return App.get_running_app()

    def reset(self) -> None:
        """Forget everything entered on this screen."""

    def refresh(self) -> None:
        """Re-render text built in Python (after a language change or new data)."""

    def on_pre_enter(self, *args) -> None:
        self.refresh()
