"""Translations inside ``.kv`` files that follow a language switch at run time.

In kv: ``#:import tr kiosk.ui.lang.tr`` then ``text: tr._("Visit registration")``. Kivy's kv compiler binds
to the attribute ``_`` of ``tr``; :meth:`Tr.fbind` records those bindings and a language change re-runs
them, so every label re-translates itself. Python code uses :func:`core.i18n._` and re-renders on the app's
``lang`` property.
"""

from __future__ import annotations

from kivy.event import Observable

from core import i18n


class Tr(Observable):
    """The kv-side ``_()``; an Observable whose pseudo-attribute ``_`` changes with the language."""

    def __init__(self) -> None:
        super().__init__()
        self._observers: list[tuple] = []
        i18n.on_language_change(self._changed)

    def _(self, msgid: str, **params: object) -> str:
        return i18n.translate(msgid, **params)

    def fbind(self, name, func, *largs, **kwargs):
        if name == "_":
            self._observers.append((func, largs, kwargs))
            return len(self._observers)
        return super().fbind(name, func, *largs, **kwargs)

    def funbind(self, name, func, *largs, **kwargs):
        if name == "_":
            key = (func, largs, kwargs)
            if key in self._observers:
                self._observers.remove(key)
            return
        return super().funbind(name, func, *largs, **kwargs)

    def unbind_uid(self, name, uid):
        if name == "_":
            if 0 < uid <= len(self._observers):
                self._observers[uid - 1] = (None, (), {})
            return
        return super().unbind_uid(name, uid)

    def _changed(self, lang: str) -> None:
        for func, largs, _kwargs in list(self._observers):
            if func is not None:
                func(*largs, None, None)
        from kivy.app import App  # Kivy: imported after kivy_env.prepare() has set its environment

        app = App.get_running_app()
        if app is not None and hasattr(app, "language_changed"):
            app.language_changed(lang)


tr = Tr()
