"""Guard station screens: waiting for a scan (room count, queue caller), the full-screen verdict, manual entry."""

from __future__ import annotations

from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty

from core.i18n import N_, _, translate
from kiosk.ui.screens.base import KioskScreen, load_kv
from kiosk.ui.widgets.base import add_detail_row

# verdict -> English msgid of the headline a guard reads (the domain's message explains the detail)
HEADLINES = {
    "VALID": N_("VALID"),
    "FORGED": N_("FORGED TICKET"),
    "UNKNOWN_KEY": N_("UNKNOWN ISSUER"),
    "WRONG_FACILITY": N_("OTHER FACILITY"),
    "EXPIRED": N_("EXPIRED"),
    "WRONG_DAY": N_("WRONG DAY"),
    "CANCELLED": N_("CANCELLED"),
    "ALREADY_INSIDE": N_("ALREADY INSIDE"),
    "NOT_FOUND": N_("NOT FOUND"),
}


class GateScreen(KioskScreen):
    instruction = N_("Scan the visitor's ticket.")
    inside_text = StringProperty("")
    over = BooleanProperty(False)
    called = StringProperty("")
    note = StringProperty("")

    def on_pre_enter(self, *a) -> None:
        super().on_pre_enter(*a)
        self.app.refresh_inside()


class VerdictScreen(KioskScreen):
    instruction = ""
    verdict = StringProperty("")
    headline = StringProperty("")
    reason = StringProperty("")
    details = ListProperty([])
    can_check_in = BooleanProperty(False)
    can_check_out = BooleanProperty(False)
    visit_id = StringProperty("")
    done_text = StringProperty("")
    seconds = NumericProperty(0)

    def show(self, f: dict) -> None:
        self.verdict = f["verdict"]
        self.visit_id = f["visit_id"] or ""
        self.headline = _(HEADLINES.get(self.verdict, self.verdict))
        self.reason = translate(f["message"]) if f["message"] else ""
        self.done_text = ""
        rows = []
        if f["visitor"]:
            rows.append((_("Visitor"), f"{f['visitor']}  {f['nik']}".strip()))
        if f["inmate"]:
            rows.append((_("Inmate"), f["inmate"]))
        if f["followers"]:
            rows.append((_("Followers"), ", ".join(f["followers"])))
        if f["session"]:
            rows.append((_("Session"), f["session"]))
        if f["queue_no"]:
            people = _("{n} people").format(n=f["people"]) if f["people"] else ""
            rows.append((_("Queue number"), f"{f['queue_no']}  {people}".strip()))
        self.details = rows
        self.can_check_in = self.verdict == "VALID" and bool(self.visit_id)
        self.can_check_out = self.verdict == "ALREADY_INSIDE" and bool(self.visit_id)
        self.instruction = HEADLINES.get(self.verdict, "")

    def on_details(self, *_a) -> None:

        box = self.ids.get("details_box")
        if box is None:
            return
        box.clear_widgets()
        for label, value in self.details:
            add_detail_row(box, label, value, color=(1, 1, 1, 1))  # white on the green/red verdict


class ManualEntryScreen(KioskScreen):
    instruction = N_("Type the queue number or the visit number printed on the ticket.")
    help = StringProperty("")

    def reset(self) -> None:
        self.ids.code.value = ""
        self.help = ""

    def submit(self) -> None:
        text = self.ids.code.value.strip()
        if len(text) < 3:
            self.help = _("Type at least 3 characters.")
            return
        self.app.manual_lookup(text)


for _kv in ("gate.kv", "verdict.kv", "manual.kv"):
    load_kv(__file__, _kv)
