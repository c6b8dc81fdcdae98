"""What the visitor kiosk and the guard station share: config, services, worker lanes, theme, language,
top bar with the hidden maintenance gesture, status strip, messages, idle reset and voice.
"""

from __future__ import annotations

import ctypes
import gc
import logging
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import NoTransition

from core import i18n
from core.i18n import _
from kiosk.config import Config
from kiosk.ui import maintenance, widgets
from kiosk.ui.idle import IdleWatcher
from kiosk.ui.rootwidget import Root
from kiosk.ui.services import Services
from kiosk.ui.theme import register_fonts, theme
from kiosk.ui.voice import Voice
from kiosk.ui.widgets.panels import MessagePanel
from kiosk.ui.worker import Worker

log = logging.getLogger(__name__)
STATUS_EVERY_S = 5.0
TRIM_AFTER_S = 2.0  # after a visitor leaves (home shown, nobody typing), give freed memory back
_root_kv_loaded = False


def release_memory() -> None:
    """Collect garbage and return the C heap's free pages to the system (glibc ``malloc_trim``): a visitor's
    screens free their textures and buffers, but glibc keeps the pages, so a kiosk running all day would sit on
    its high-water mark (measured: 320 -> 284 MB after 10 registrations). A no-op without glibc."""

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


class BaseApp(App):
    """Subclasses set ``home`` and add their screens in :meth:`add_screens`."""

    home = "home"
    lang = StringProperty(i18n.DEFAULT_LANGUAGE)
    facility_name = StringProperty("")
    busy = BooleanProperty(False)
    sm = ObjectProperty(None)

    def __init__(self, cfg: Config, *, services: Services | None = None, voice_dir: Path | None = None, **kw):
        super().__init__(**kw)
        self.cfg = cfg
        self.title = _("Visitor service kiosk")
        self._services = services
        self.voice_dir = voice_dir
        self.worker: Worker | None = None
        self.services: Services | None = None
        self.voice: Voice | None = None
        self.idle: IdleWatcher | None = None
        self.panel: MessagePanel | None = None
        self._events: list = []
        self._trim_event = None
        self.lazy: dict = {}  # screen name -> factory; built on first use or in the background after start
        # screen name -> the screens whose first showing starts building it in the background (a service's later
        # steps wait until a visitor opens the service: ~0.5 MB a screen stays unspent on services nobody uses)
        self.lazy_after: dict[str, set[str]] = {}
        self._opened: set[str] = set()
        self._prebuilding = None

    # -- life cycle -------------------------------------------------------------------------------

    def build(self):
        global _root_kv_loaded
        theme.configure(self.cfg.ui.dpi, self.cfg.ui.high_contrast)
        register_fonts()
        widgets.load_kv()
        maintenance.load_kv()
        if not _root_kv_loaded:
            Builder.load_file(str(Path(__file__).with_name("root.kv")))
            _root_kv_loaded = True
        i18n.set_language(self.cfg.device.language)
        self.lang = i18n.get_language()
        self.services = self._services or Services(self.cfg)
        self.worker = Worker()
        self.voice = Voice(self.cfg.ui.voice, self.voice_dir)
        self.facility_name = self.cfg.device.facility_id

        root = Root()
        self.sm = root.ids.sm
        self.sm.transition = NoTransition()
        self.add_screens(self.sm)
        self.lazy.update(maintenance.screen_factories())
        self.lazy_after["maintenance"] = {"maintenance_pin"}  # device health: once someone opens the PIN screen
        self.sm.current = self.home
        self.sm.current_screen.refresh()  # now that every screen exists (home's tiles depend on them)
        self.sm.bind(current=self._screen_changed)
        self.status_strip = root.ids.status
        self.status_strip.refresh()
        self._events.append(Clock.schedule_interval(lambda _dt: self.refresh_status(), STATUS_EVERY_S))
        Clock.schedule_once(lambda _dt: self.refresh_status(), 0)
        return root

    def on_start(self) -> None:
        self._events.append(Clock.schedule_once(lambda _dt: self._prebuild_soon(), 1.0))
        self.idle = IdleWatcher(Window, self.cfg.ui.idle_timeout_s, self.cfg.ui.idle_countdown_s,
                                active=self.idle_active, on_reset=self.reset_to_home)
        Clock.schedule_once(lambda _dt: self.speak_instruction(), 0)

    def on_stop(self) -> None:
        for ev in [*self._events, self._trim_event]:
            if ev is not None:
                ev.cancel()
        if self.idle:
            self.idle.stop()
        if self.panel:
            self.panel.dismiss(animation=False)
        if self.worker:
            self.worker.shutdown(wait=True)
        if self.voice:
            self.voice.stop()
        if self.services and self._services is None:
            self.services.close()
        self.close_extras()

    def close_extras(self) -> None:
        """Subclasses stop their own devices here."""

    def add_screens(self, sm) -> None:
        raise NotImplementedError

    # -- navigation -------------------------------------------------------------------------------

    def go(self, name: str) -> None:
        self.screen(name)
        if self.sm.current != name:
            self.sm.current = name

    def screen(self, name: str):
        """The screen called ``name``, built now if it was not built yet."""
        factory = self.lazy.pop(name, None)
        if factory is not None:
            self.sm.add_widget(factory())
        return self.sm.get_screen(name)

    def has_screen(self, name: str) -> bool:
        return self.sm is not None and (name in self.lazy or self.sm.has_screen(name))

    def build_all_screens(self) -> None:
        for name in list(self.lazy):
            self.screen(name)

    def _prebuild_soon(self) -> None:
        if self._prebuilding is None:
            self._prebuilding = Clock.schedule_interval(self._prebuild_one, 0.05)
            self._events.append(self._prebuilding)

    def _prebuild_one(self, _dt) -> bool | None:
        """After the home screen is up, build one waiting screen per frame so first taps stay fast; a screen in
        :attr:`lazy_after` once one of its openers has been shown."""
        name = next((n for n in self.lazy if not self.lazy_after.get(n) or self.lazy_after[n] & self._opened),
                    None)
        if name is None:
            self._prebuilding = None
            return False
        self.screen(name)
        return None

    def _screen_changed(self, *_a) -> None:
        current = self.sm.current
        if current not in self._opened:
            self._opened.add(current)
            if any(current in openers for name, openers in self.lazy_after.items() if name in self.lazy):
                self._prebuild_soon()
        self.speak_instruction()

    def current_screen(self):
        return self.sm.current_screen

    def idle_active(self) -> bool:
        scr = self.sm.current_screen
        return bool(getattr(scr, "personal", False)) or self.sm.current != self.home

    def reset_to_home(self) -> None:
        """Wipe everything entered on every screen and go home (idle reset, cancel, done)."""
        if self.panel:
            self.panel.dismiss(animation=False)
            self.panel = None
        for scr in self.sm.screens:
            if hasattr(scr, "reset"):
                scr.reset()
        self.wipe_state()
        self.go(self.home)
        if self._trim_event is not None:
            self._trim_event.cancel()
        self._trim_event = Clock.schedule_once(lambda _dt: release_memory(), TRIM_AFTER_S)

    def wipe_state(self) -> None:
        """Subclasses forget app-level entered data here."""

    # -- language, voice, messages ----------------------------------------------------------------

    def set_language(self, lang: str) -> None:
        i18n.set_language(lang)

    @staticmethod
    def language_label(lang: str) -> str:
        """The language switch shows the language code itself (not translated)."""
        return lang.upper()

    def language_changed(self, lang: str) -> None:
        self.lang = lang
        if self.sm is None:
            return
        self.status_strip.refresh()
        for scr in self.sm.screens:
            if hasattr(scr, "refresh"):
                scr.refresh()
        self.speak_instruction()

    def speak_instruction(self) -> None:
        scr = self.sm.current_screen if self.sm else None
        msgid = getattr(scr, "instruction", "")
        if self.voice and msgid:
            self.voice.say(_(msgid), self.lang)

    def show_message(self, title: str, message: str, hint: str = "", *, kind: str = "error",
                     primary: str = "", on_primary=None, secondary: str = "", on_secondary=None) -> MessagePanel:
        """An explained message over the screen (already translated texts)."""
        if self.panel:
            self.panel.dismiss(animation=False)
        panel = MessagePanel(on_primary=on_primary, on_secondary=on_secondary, title=title, message=message,
                             hint=hint, kind=kind, primary_text=primary, secondary_text=secondary)
        panel.bind(on_dismiss=lambda *_a: setattr(self, "panel", None) if self.panel is panel else None)
        self.panel = panel
        panel.open(animation=False)
        if self.voice and kind == "error":
            self.voice.say(f"{title}. {message}", self.lang)
        return panel

    def run_job(self, fn, on_done=None, on_error=None, lane: str = "db") -> None:
        """Run blocking work on a worker lane; callbacks come back on the UI thread."""
        self.worker.submit(fn, on_done, on_error, lane=lane)

    # -- status strip -----------------------------------------------------------------------------

    def refresh_status(self) -> None:
        if self.worker is None:
            return
        self.run_job(self.services.status, self._status_done, lambda exc: log.warning("status: %s", exc),
                     lane="probe")

    def _status_done(self, snap) -> None:
        self.facility_name = snap.facility_name or self.cfg.device.facility_id
        self.status_strip.connection = snap.connection
        self.status_strip.data_as_of = snap.data_as_of
        self.status_strip.stale = "yes" if snap.stale else "no"
        self.status_strip.refresh()

    # -- maintenance ------------------------------------------------------------------------------

    def open_maintenance(self) -> None:
        self.go("maintenance_pin")

    # Maintenance actions run on the printer lane and return the text to show.

    def maintenance_test(self) -> str:
        self.services.printer_test()
        return _("Test page printed.")

    def maintenance_reprint(self) -> str:
        result = self.services.reprint_last()
        return _("Receipt reprinted (copy {n}).").format(n=result.copy_no)

    def maintenance_z(self) -> str:
        self.services.print_z_report()
        return _("Daily Z report printed.")
