"""The guard station (``lapas guard``): listens to the QR scanner and shows the offline verdict full screen."""

from __future__ import annotations

import logging

from kivy.clock import Clock

from core.i18n import _
from hardware.scanner import ScannerReader
from kiosk.ui.base_app import BaseApp
from kiosk.ui.guard import gate_api
from kiosk.ui.guard.screens import GateScreen, ManualEntryScreen, VerdictScreen
from kiosk.ui.messages import refusal_texts
from kiosk.ui.payments.guard import check_receipt_scan
from kiosk.ui.voice import Voice

log = logging.getLogger(__name__)


class GuardApp(BaseApp):
    home = "gate"

    def __init__(self, cfg, **kw):
        super().__init__(cfg, **kw)
        self.scanner = None
        self.scanned_lines: list[str] = []
        self.caller_voice = None
        self.current_payload = ""

    def add_screens(self, sm) -> None:

        sm.add_widget(GateScreen(name="gate"))
        sm.add_widget(VerdictScreen(name="verdict"))
        sm.add_widget(ManualEntryScreen(name="manual"))

    def on_start(self) -> None:
        super().on_start()
        sc = self.cfg.scanner
        if sc.port:

            self.scanner = ScannerReader(sc.port, sc.baud, sc.terminator, on_line=self._line_from_scanner,
                                         dedupe_window_s=sc.dedupe_window_s, max_line=sc.max_line).start()

    def close_extras(self) -> None:
        if self.scanner is not None:
            self.scanner.stop()

    # -- scanning ---------------------------------------------------------------------------------

    def _line_from_scanner(self, text: str) -> None:
        """Called on the scanner's thread: hand the line to the UI thread."""
        Clock.schedule_once(lambda _dt: self.scanned(text), 0)

    def scanned(self, payload: str) -> None:
        self.scanned_lines.append(payload)
        self.idle.poke() if self.idle else None
        if payload.startswith("LPV1|"):  # a deposit / canteen order receipt (kiosk.ui.payments.guard)

            check_receipt_scan(self, payload)
            return
        self.run_job(lambda: (payload, gate_api.judge(self.services, payload)), self._judged, self._judge_failed)

    def manual_lookup(self, text: str) -> None:
        self.run_job(lambda: gate_api.lookup(self.services, text), self._judged, self._judge_failed)

    def _judged(self, result) -> None:
        self.current_payload, verdict = result
        self.show_verdict(verdict)

    def _judge_failed(self, exc) -> None:
        if hasattr(exc, "code") and hasattr(exc, "message"):
            message, hint = refusal_texts(exc)
        else:
            log.error("gate check failed", exc_info=exc)
            message, hint = _("The ticket could not be checked."), _("Check the visitor's KTP and the list.")
        self.show_message(_("Not found"), message, hint)

    def show_verdict(self, verdict) -> None:
        if self.panel:
            self.panel.dismiss(animation=False)
        screen = self.sm.get_screen("verdict")
        screen.show(gate_api.verdict_fields(verdict))
        self.go("verdict")
        self.speak_instruction()

    def check(self, visit_id: str, direction: str) -> None:
        screen = self.sm.get_screen("verdict")
        screen.can_check_in = screen.can_check_out = False
        payload = self.current_payload

        def checked_in(verdict) -> None:
            if getattr(verdict, "verdict", "VALID") != "VALID":  # judged again at the write: show why not
                self.show_verdict(verdict)
                return
            screen.done_text = _("Checked in.")
            self.refresh_inside()

        def checked_out(_people) -> None:
            screen.done_text = _("Checked out.")
            self.refresh_inside()

        if direction == "in":
            self.run_job(lambda: gate_api.check_in(self.services, payload), checked_in, self._judge_failed)
        else:
            self.run_job(lambda: gate_api.check_out(self.services, visit_id), checked_out, self._judge_failed)

    # -- room count and queue caller ----------------------------------------------------------------

    def refresh_inside(self) -> None:
        gate = self.sm.get_screen("gate")

        def show(inside) -> None:
            if inside.capacity:
                gate.inside_text = _("Inside: {n} of {cap} people").format(n=inside.count, cap=inside.capacity)
            else:
                gate.inside_text = _("Inside: {n} people").format(n=inside.count)
            gate.over = inside.over
            gate.note = _("Over the room capacity: wait before letting more visitors in.") if inside.over else ""

        self.run_job(lambda: gate_api.inside(self.services), show)

    def call_next(self) -> None:
        gate = self.sm.get_screen("gate")

        def show(queue_no) -> None:
            if not queue_no:
                gate.note = _("Nobody is waiting.")
                return
            gate.called = str(queue_no)
            gate.note = ""
            if self.caller_voice is None:

                self.caller_voice = Voice(True, self.voice_dir)  # the caller always speaks where espeak-ng exists
            self.caller_voice.say(_("Queue number {n}, please come to the gate.").format(
                    n=" ".join(str(queue_no).replace("-", " "))), self.lang)

        self.run_job(lambda: gate_api.next_queue(self.services), show, self._judge_failed)

    def wipe_state(self) -> None:
        self.current_payload = ""

    def idle_active(self) -> bool:
        return self.sm.current != self.home
