"""Check a payment by receipt number: its status as headquarters last reported it (a canteen order also shows
paid -> prepared -> delivered), and a fresh receipt printed as it stands now (LUNAS once settled)."""

from __future__ import annotations

from kivy.properties import BooleanProperty, ListProperty, StringProperty

from core.i18n import N_, _
from core.ids import fmt_wib, parse_iso
from core.money import format_rupiah
from kiosk.ui.payments.base import KIND_TEXT, PayStep, explain, print_receipt, status_text
from kiosk.ui.payments.service import paid
from kiosk.ui.screens.base import load_kv
from kiosk.ui.theme import theme
from kiosk.ui.widgets.base import add_detail_row


class PayStatusScreen(PayStep):
    instruction = N_("Type the receipt number printed on your payment receipt.")
    help = StringProperty("")
    found = BooleanProperty(False)
    is_paid = BooleanProperty(False)
    verdict = StringProperty("")
    status_line = StringProperty("")
    rows = ListProperty([])
    print_state = StringProperty("")

    def __init__(self, **kw):
        super().__init__(**kw)
        self.kind, self.reference = "", ""
        self.found_record = None

    def refresh(self) -> None:
        super().refresh()
        self.title_text = _("Check a payment")
        if self.found and getattr(self, "found_record", None) is not None:
            self._show(self.found_record)  # in the language just chosen

    def on_kv_post(self, _base) -> None:
        # strong references: kv ids are weak proxies and the part off screen would be garbage-collected
        self._parts = {"keyboard": self.ids.keyboard.__self__, "result": self.ids.result.__self__}
        self.ids.area.remove_widget(self.ids.result)

    def on_found(self, *_a) -> None:
        """The keyboard while typing, the result once found (one of them on screen)."""
        area = self.ids.area
        area.clear_widgets()
        area.add_widget(self._parts["result" if self.found else "keyboard"])

    def reset(self) -> None:
        self.ids.code.value = ""
        self.help = self.verdict = self.status_line = self.print_state = ""
        self.found = self.is_paid = False
        self.rows = []
        self.kind, self.reference = "", ""
        self.found_record = None

    def submit(self) -> None:
        code = "".join(self.ids.code.value.split())
        if len(code) < 16:
            self.help = _("The receipt number has 16 characters and starts with D or M.")
            return
        self.help = _("Searching...")
        self.app.run_job(lambda: self.svc.lookup(code), self._show, self._not_found)

    def scanned(self, payload: str) -> None:
        """A receipt's verification QR under the kiosk's scanner: genuine receipts of this kiosk are looked up."""
        self.reset()
        self.help = _("Searching...")
        self.app.run_job(lambda: self.svc.lookup_scanned(payload), self._show, self._not_found)

    def _not_found(self, exc) -> None:
        self.found = False
        message, hint = explain(exc)
        self.help = f"{message} {hint}".strip()

    def _show(self, found) -> None:
        self.found_record = found
        kind, rec = found.kind, found.record
        self.kind, self.reference = kind, rec.reference
        self.ids.code.value = rec.reference
        self.found = True
        self.help = ""
        self.print_state = ""
        self.is_paid = paid(kind, rec)
        self.verdict = rec.receipt_status
        self.status_line = _("{status} (since {time})").format(status=status_text(kind, rec.status),
                                                               time=fmt_wib(parse_iso(rec.status_at)))
        rows = [(_("Type"), _(KIND_TEXT[kind])), (_("For inmate"), f"{rec.inmate_name} ({rec.inmate_reg_no})")]
        if kind == "deposit":
            rows.append((_("Amount"), format_rupiah(rec.amount)))
        else:
            rows.append((_("Food"), ", ".join(f"{x.qty} x {x.name}" for x in rec.lines)))
            rows.append((_("Total"), format_rupiah(rec.total)))
        self.rows = rows

    def on_rows(self, *_a) -> None:

        box = self.ids.get("rows_box")
        if box is None:
            return
        box.clear_widgets()
        for label, value in self.rows:
            add_detail_row(box, label, value, label_kw={"font_size": theme.font_small},
                           value_kw={"font_size": theme.font_small})

    def again(self) -> None:
        self.reset()

    def print_now(self) -> None:
        if self.found and self.print_state != "printing":
            print_receipt(self, self.kind, self.reference)


load_kv(__file__, "pay_status.kv")
