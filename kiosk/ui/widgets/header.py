"""The header of a visit step: "Step n of 6", the title, Back and Cancel.

Like the keyboard, it exists once per app (:mod:`kiosk.ui.widgets.shared`): a screen's :class:`StepHeader` is a
slot holding the texts, and the app's :class:`StepHeaderBar` (two labels, two buttons) moves into it before the
screen shows; the slot takes the bar's height. Nine visit screens each with their own header cost ~1.5 MB more.
"""

from __future__ import annotations

from kivy.properties import StringProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.ui.widgets.shared import SharedSlot, SharedWidget


class HeaderBar(SharedWidget):
    """Mixin of a shared header: its slot is as tall as it is."""

    def on_slot(self, *_a) -> None:
        self._fit()

    def on_height(self, *_a) -> None:
        self._fit()

    def _fit(self) -> None:
        if self.slot is not None:
            self.slot.height = self.height


class StepHeader(SharedSlot, BoxLayout):
    """Where a visit screen's header goes: its ``title`` and ``step_text`` (empty: no step line)."""

    title = StringProperty("")
    step_text = StringProperty("")


class StepHeaderBar(HeaderBar, BoxLayout):
    """The step line and title (``widgets.kv``) of the slot it sits in, Back and Cancel."""


StepHeader.shared_class = StepHeaderBar
