"""The visitor kiosk (``lapas run``): home tiles, visit registration, booking redemption, info, maintenance."""

from __future__ import annotations

import logging

from hardware.scanner import ScannerReader
from kiosk.ui import payments as payments_ui
from kiosk.ui import tiles, visit_api
from kiosk.ui.base_app import BaseApp
from kiosk.ui.visit_form import VisitForm

log = logging.getLogger(__name__)



def _home():
    from kiosk.ui.screens import home  # Kivy: the screen module (and its kv rules) loads when the app builds

    return home


def _visit():
    from kiosk.ui.screens import visit  # Kivy: built on first use or in the background (fast cold start)

    return visit


def _booking():
    from kiosk.ui.screens import booking  # Kivy: built on first use or in the background (fast cold start)

    return booking


def _info():
    from kiosk.ui.screens import info  # Kivy: built on first use or in the background (fast cold start)

    return info


# (screen name, the class, looked up when the screen is first built)
SCREENS = [
    ("home", lambda: _home().HomeScreen),
    ("visit_nik", lambda: _visit().VisitNikScreen),
    ("visit_contact", lambda: _visit().VisitContactScreen),
    ("visit_relation", lambda: _visit().VisitRelationScreen),
    ("visit_inmate", lambda: _visit().VisitInmateScreen),
    ("visit_followers", lambda: _visit().VisitFollowersScreen),
    ("visit_follower", lambda: _visit().FollowerAddScreen),
    ("visit_session", lambda: _visit().VisitSessionScreen),
    ("visit_confirm", lambda: _visit().VisitConfirmScreen),
    ("visit_done", lambda: _visit().VisitDoneScreen),
    ("booking", lambda: _booking().BookingScreen),
    ("info", lambda: _info().InfoScreen),
]
BACK = {"visit_contact": "visit_nik", "visit_relation": "visit_contact", "visit_inmate": "visit_relation",
        "visit_followers": "visit_inmate", "visit_follower": "visit_followers", "visit_session": "visit_followers",
        "visit_confirm": "visit_session"}


class KioskApp(BaseApp):
    home = "home"

    def __init__(self, cfg, **kw):
        super().__init__(cfg, **kw)
        self.form = VisitForm()
        self.last_visit = None

    def add_screens(self, sm) -> None:
        payments_ui.register_tiles()
        for name, screen_class in SCREENS:
            if name == self.home:
                sm.add_widget(screen_class()(name=name))
            else:  # built on first use, or in the background once home is on screen (fast cold start)
                self.lazy[name] = lambda c=screen_class, n=name: c()(name=n)
        for tile in tiles.all_tiles():
            for screen in tile.screens(self):
                sm.add_widget(screen)

    def on_start(self) -> None:
        super().on_start()
        sc = self.cfg.scanner
        self.scanner = None
        if sc.port and self.has_screen("booking"):
            from kivy.clock import Clock  # Kivy: imported after kivy_env.prepare() has set its environment


            def line(text: str) -> None:  # scanner thread -> UI thread
                Clock.schedule_once(lambda _dt: self.scanned(text), 0)

            self.scanner = ScannerReader(sc.port, sc.baud, sc.terminator, on_line=line,
                                         dedupe_window_s=sc.dedupe_window_s, max_line=sc.max_line).start()

    def close_extras(self) -> None:
        if getattr(self, "scanner", None) is not None:
            self.scanner.stop()

    def scanned(self, text: str) -> None:
        """A booking QR scanned on the home or booking screen redeems the booking; elsewhere it is ignored."""
        if text.startswith("LPV1|") and self.has_screen("pay_status") and self.panel is None and \
                self.sm.current in (self.home, "pay_status"):  # a payment receipt: its status (kiosk.ui.payments)
            self.idle.poke() if self.idle else None
            self.go("pay_status")
            self.screen("pay_status").scanned(text)
            return
        if self.sm.current not in (self.home, "booking") or self.panel is not None:
            return
        self.idle.poke() if self.idle else None
        self.go("booking")
        self.screen("booking").scanned(text)

    def open_service(self, screen: str) -> None:
        self.go(screen)

    def back(self) -> None:
        self.go(BACK.get(self.sm.current, self.home))

    def wipe_state(self) -> None:
        self.form.clear()
        self.last_visit = None

    # -- after the visit is committed: show the queue number, then print (printer lane) ----------

    def visit_saved(self, visit) -> None:
        self.last_visit = visit
        self.form.clear()
        for scr in self.sm.screens:
            if scr.name.startswith("visit_") and hasattr(scr, "reset"):
                scr.reset()
        done = self.screen("visit_done")
        done.show(visit)
        self.go("visit_done")
        self.print_ticket(visit)

    def print_ticket(self, visit) -> None:
        done = self.screen("visit_done")
        done.print_state = "printing"

        def job():
            return self.services.print_receipt("ticket", visit_api.ticket_data(visit), ref=visit.visit_id)

        def ok(_result):
            done.print_state = "printed"

        def failed(exc):
            log.error("ticket for visit %s not printed: %s", getattr(visit, "visit_id", "?"), exc)
            done.print_failed(exc, retry=lambda: self.print_ticket(visit))

        self.run_job(job, ok, failed, lane="printer")
