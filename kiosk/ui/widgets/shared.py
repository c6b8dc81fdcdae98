"""Widgets the app has once and moves into the screen about to show: the on-screen keyboard, the keypad and the
step headers. Each screen holds a cheap slot (a :class:`SharedSlot`) where the widget goes; ``KioskScreen``
calls :func:`dock_shared` before the screen shows, and the widget (a :class:`SharedWidget`) moves into the slot
and works for it through ``slot``. One set of keys instead of one per screen saved ~28 MB with every screen built;
one header per kind instead of one per screen ~2 MB.
"""

from __future__ import annotations

from kivy.app import App
from kivy.properties import ObjectProperty


class SharedWidget:
    """Mixin of the shared widget: ``slot`` is the slot it sits in (None before the first screen shows)."""

    slot = ObjectProperty(None, allownone=True, rebind=True)  # rebind: kv reading root.slot.x follows x


class SharedSlot:
    """Mixin of a slot; ``shared_class`` is the :class:`SharedWidget` subclass that goes in it."""

    shared_class: type | None = None

    def on_kv_post(self, _base) -> None:
        shared_widget(self.shared_class)  # made with the first screen built (in the background), not at a tap

    def dock(self) -> None:
        """Move the app's one shared widget into this slot (a no-op when it is here already)."""
        widget = shared_widget(self.shared_class)
        if widget.parent is self:
            return
        if widget.parent is not None:
            widget.parent.remove_widget(widget)
        widget.slot = self
        self.add_widget(widget)


def shared_widget(cls):
    """The running app's one instance of ``cls`` (made on first use; a fresh one when no app runs)."""
    app = App.get_running_app()
    if app is None:
        return cls()
    shared = app.__dict__.setdefault("_shared_widgets", {})
    if cls not in shared:
        shared[cls] = cls()
    return shared[cls]


def dock_shared(screen) -> None:
    """Give each slot on ``screen`` its shared widget (before the screen shows)."""
    stack = [screen]
    while stack:
        w = stack.pop()
        if isinstance(w, SharedSlot):
            w.dock()
            continue
        stack.extend(w.children)
