"""Maintenance mode: opened by the hidden emblem gesture plus the PIN; shows device health and offers a printer
test, reprint of the last receipt, the daily Z report and exit. Shared by the kiosk and the guard station.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from core.i18n import N_, _
from core.ids import fmt_wib, parse_iso, utcnow
from kiosk.pin import PinGate
from kiosk.ui.messages import printer_error_text
from kiosk.ui.screens.base import KioskScreen

_loaded = False


def load_kv() -> None:
    global _loaded
    if not _loaded:
        Builder.load_file(str(Path(__file__).with_name("maintenance.kv")))
        _loaded = True


def screen_factories() -> dict:
    """The PIN screen is built in the background after start, device health once the PIN screen shows (or on
    first use)."""
    return {"maintenance_pin": lambda: MaintenancePinScreen(name="maintenance_pin"),
            "maintenance": lambda: MaintenanceScreen(name="maintenance")}


PRINTER_PROBLEM = N_("Problem")  # a printer state without a text of its own
PRINTER_STATES = {
    "not_configured": N_("not configured"), "unplugged": N_("not connected"), "paper_out": N_("out of paper"),
    "cover_open": N_("cover open"), "offline": N_("offline"), "timeout": N_("not responding"),
}


def _age_text(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 1:
        return _("less than a minute")
    if minutes < 120:
        return _("{n} minutes").format(n=minutes)
    return _("{n} hours").format(n=minutes // 60)


class HealthRow(BoxLayout):
    label = StringProperty("")
    value = StringProperty("")
    ok = BooleanProperty(True)


class MaintenancePinScreen(KioskScreen):
    instruction = N_("Enter the maintenance PIN.")
    message = StringProperty("")

    def reset(self) -> None:
        self.ids.pin.value = ""
        self.message = ""

    def gate(self) -> PinGate:
        return PinGate(self.app.cfg.ui.maintenance_pin_hash, self.app.services.store)

    def submit(self) -> None:
        pin = self.ids.pin.value
        self.ids.pin.value = ""
        gate = self.gate()
        if not gate.configured:
            self.message = _("No maintenance PIN is set. Run `lapas maintenance set-pin` on this device.")
            return
        self.app.run_job(lambda: gate.try_pin(pin), self._checked)

    def _checked(self, attempt) -> None:
        if attempt.ok:
            self.message = ""
            self.app.go("maintenance")
        elif attempt.locked_until:
            until = datetime.fromtimestamp(attempt.locked_until, tz=UTC)
            self.message = _("Too many wrong PINs. Maintenance is locked until {time}.").format(time=fmt_wib(until))
        else:
            self.message = _("Wrong PIN. {n} tries left before maintenance is locked.").format(n=attempt.tries_left)


class MaintenanceScreen(KioskScreen):
    instruction = N_("Maintenance mode.")
    rows = ListProperty([])  # [(label, value, ok)]
    note = StringProperty("")

    def on_pre_enter(self, *args) -> None:
        self.note = ""
        self.rows = [(_("Checking..."), "", True)]
        self.load_health()

    def load_health(self) -> None:
        self.app.run_job(self.app.services.health, self._show_health,
                         lambda exc: setattr(self, "note", _("Could not read the device health: {e}").format(e=exc)),
                         lane="probe")

    def _show_health(self, h: dict) -> None:
        yes = _("OK")
        p = h.get("printer_status", {})
        rows = [(_("Printer"), yes if p.get("ok") else _(PRINTER_STATES.get(p.get("code", ""), PRINTER_PROBLEM)),
                 bool(p.get("ok")))]
        scanner = h.get("devices", {}).get("scanner", {})
        if scanner.get("port"):
            rows.append((_("Scanner"), yes if scanner.get("reachable") else _("not connected"),
                         bool(scanner.get("reachable"))))
        else:
            rows.append((_("Scanner"), _("not configured"), True))
        hq = h.get("hq", {})
        rows.append((_("Headquarters"), _("reachable") if hq.get("reachable") else _("not reachable"),
                     bool(hq.get("reachable"))))
        pending = h.get("pending_events", 0)
        backlog = _("{n} waiting").format(n=pending)
        if pending:
            backlog += ", " + _("oldest {age} ago").format(age=_age_text(h.get("oldest_pending_age_s", 0)))
        rows.append((_("Records waiting to send"), backlog, pending < 500))
        if h.get("dead_letters"):
            rows.append((_("Records refused by headquarters"), str(h["dead_letters"]), False))
        as_of = h.get("reference_as_of")
        if as_of:
            age = (utcnow() - parse_iso(as_of)).total_seconds()
            fresh = age <= self.app.cfg.limits.reference_max_age_h * 3600
            rows.append((_("Reference data"), _("as of {time} ({age} old)").format(
                time=fmt_wib(parse_iso(as_of)), age=_age_text(age)), fresh))
        else:
            rows.append((_("Reference data"), _("none loaded"), False))
        rows.append((_("Free disk space"), f"{h.get('disk_free_mb', 0)} MB", h.get("disk_free_mb", 0) >= 100))
        self.rows = rows

    def on_rows(self, *_a) -> None:
        box = self.ids.get("health")
        if box is None:
            return
        box.clear_widgets()
        for label, value, ok in self.rows:
            box.add_widget(HealthRow(label=label, value=value, ok=ok))

    def action(self, name: str) -> None:
        labels = {"test": N_("Printer test"), "reprint": N_("Reprint last receipt"), "z": N_("Daily Z report")}
        fn = getattr(self.app, f"maintenance_{name}", None)
        if fn is None:
            self.note = _("Not available on this device.")
            return
        self.note = _("{action}: working...").format(action=_(labels[name]))
        self.app.run_job(fn, lambda msg: setattr(self, "note", msg), self._failed, lane="printer")

    def _failed(self, exc: BaseException) -> None:

        self.note = printer_error_text(exc)

    def leave(self) -> None:
        self.app.reset_to_home()
