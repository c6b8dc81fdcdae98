"""Confirm (fee or "gratis" shown before paying), pay (a large QRIS with a countdown and the live status), done
(LUNAS or MENUNGGU KONFIRMASI, the receipt printing).

Online, the kiosk asks HQ for the charge and polls HQ for its status every few seconds (probe lane). When HQ
cannot be reached the kiosk shows its own dynamic QRIS, prints a receipt saying MENUNGGU KONFIRMASI at once (the
visitor keeps the reference), and the payment settles after the kiosk reconnects.
"""

from __future__ import annotations

import logging

from kivy.clock import Clock
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty

from core.i18n import N_, _
from core.money import format_rupiah
from kiosk.ui.payments.base import PayStep, print_receipt, status_text
from kiosk.ui.payments.service import paid
from kiosk.ui.screens.base import load_kv
from kiosk.ui.theme import theme
from kiosk.ui.widgets.base import add_detail_row

log = logging.getLogger("lapas.payments.ui")
POLL_S = 3.0  # HQ is asked for the status this often while the QR is shown
TICK_S = 1.0
BACK_ON_REFUSAL = {"amount_below_min": "deposit_amount", "amount_above_max": "deposit_amount",
                   "daily_cap_reached": "deposit_amount", "balance_cap_reached": "deposit_amount",
                   "out_of_stock": "food_menu", "item_daily_limit": "food_menu", "too_many_items": "food_menu",
                   "item_unavailable": "food_menu", "item_not_found": "food_menu", "empty_cart": "food_menu",
                   "inmate_not_found": "pay_inmate", "inmate_not_eligible": "pay_inmate",
                   "invalid_nik": "pay_nik", "invalid_name": "pay_name"}


def mask(nik: str) -> str:
    return nik[:4] + "*" * 8 + nik[-4:] if len(nik) == 16 else nik


class PayConfirmScreen(PayStep):
    instruction = N_("Check the details and the amount to pay, then pay with QRIS.")
    summary = ListProperty([])
    busy = BooleanProperty(False)

    def previous(self) -> str:
        return "deposit_amount" if self.form.kind == "deposit" else "food_menu"

    def refresh(self) -> None:
        super().refresh()
        f, q = self.form, self.form.quote
        if q is None or f.inmate is None:
            self.summary = []
            return
        rows = [(_("For inmate"), f"{f.inmate.name} ({f.inmate.reg_no})"),
                (_("Sender"), f"{f.name}, NIK {mask(f.nik)}")]
        if f.kind == "deposit":
            rows.append((_("Amount"), format_rupiah(q.amount)))
            total = q.total
        else:
            rows += [(_("Food"), "\n".join(f"{x.qty} x {x.name}  {format_rupiah(x.subtotal)}" for x in q.lines))]
            total = q.to_pay
        rows.append((_("Fee"), _("free") if q.fee == 0 else format_rupiah(q.fee)))
        rows.append((_("To pay"), format_rupiah(total)))
        self.summary = rows

    def on_summary(self, *_a) -> None:

        box = self.ids.get("summary_box")
        if box is None:
            return
        box.clear_widgets()
        for i, (label, value) in enumerate(self.summary):
            last = i == len(self.summary) - 1  # the amount to pay, large
            add_detail_row(box, label, value, label_kw={"size_hint_x": None, "width": theme.target * 6},
                           value_kw={"bold": last, "font_size": theme.font_title if last else theme.font_body})

    def pay(self) -> None:
        if self.busy or self.form.quote is None:
            return
        self.busy = True
        f = self.form
        args = dict(reg_no=f.reg_no, nik=f.nik, name=f.name, amount=f.amount, cart=dict(f.cart))
        self.app.run_job(lambda: self.svc.create(f.kind, **args), self._created, self._refused, lane="probe")

    def _created(self, record) -> None:
        self.busy = False
        self.form.record = record
        self.app.screen("pay_qr").start(self.form.kind, record)
        self.app.go("pay_qr")

    def _refused(self, exc) -> None:
        self.busy = False
        code = getattr(exc, "code", "")
        if code == "hq_refused":
            code = exc.params.get("reason", "")
        go_to = BACK_ON_REFUSAL.get(code)
        if go_to == "pay_inmate":
            go_to = "send_money" if self.form.kind == "deposit" else "send_food"
        self.refuse(exc, go_to=go_to)


class PayQrScreen(PayStep):
    """The QR to scan with a banking / e-wallet app, the time left, and the status as HQ reports it."""

    instruction = N_("Scan the QR code with your banking or e-wallet app and pay.")
    qr = StringProperty("")
    to_pay = StringProperty("")
    countdown = StringProperty("")
    pay_state = StringProperty("")  # waiting | paid | expired | failed
    offline = BooleanProperty(False)
    status_line = StringProperty("")
    print_state = StringProperty("")  # "", printing, printed, failed (offline receipt)
    seconds = NumericProperty(0)

    def __init__(self, **kw):
        super().__init__(**kw)
        self.kind = ""
        self.record = None
        self._tick_ev = None
        self._polling = False
        self._since_poll_s = 0.0

    def reset(self) -> None:
        self._stop()
        self.kind, self.record = "", None
        self.qr = self.to_pay = self.countdown = self.pay_state = self.status_line = self.print_state = ""
        self.offline = False

    def start(self, kind: str, record) -> None:
        self._stop()
        self.kind, self.record = kind, record
        self.offline = record.mode == "offline"
        self.qr = record.qris
        self.to_pay = format_rupiah(record.amount + record.fee if kind == "deposit" else record.total + record.fee)
        self.pay_state = "waiting"
        self.print_state = ""
        self._show(record)
        self._since_poll_s = 0.0
        self._tick_ev = Clock.schedule_interval(self._tick, TICK_S)
        if self.offline:  # the visitor takes the reference away before paying; LUNAS comes later
            self.print_receipt()

    def refresh(self) -> None:
        super().refresh()
        if self.record is not None:
            self.status_line = status_text(self.kind, self.record.status)

    def _stop(self) -> None:
        if self._tick_ev is not None:
            self._tick_ev.cancel()
            self._tick_ev = None

    def on_leave(self, *a) -> None:
        self._stop()

    def _tick(self, dt) -> None:
        if self.record is None or self.pay_state != "waiting":
            return
        left = self.record.seconds_left()
        self.seconds = left
        self.countdown = f"{left // 60:02d}:{left % 60:02d}"
        if self.app.idle:  # the visitor is paying on a phone, not touching the kiosk
            self.app.idle.poke()
        self._since_poll_s += dt
        if (self._since_poll_s >= POLL_S or left <= 0) and not self._polling:
            self._since_poll_s = 0.0
            self.poll()

    def poll(self) -> None:
        if self.record is None:
            return
        self._polling = True
        kind, ref = self.kind, self.record.reference

        def done(record) -> None:
            self._polling = False
            if self.record is not None and record.reference == self.record.reference:
                self._show(record)

        def failed(exc) -> None:
            self._polling = False
            log.warning("status of %s not refreshed: %s", ref, exc)

        self.app.run_job(lambda: self.svc.poll(kind, ref), done, failed, lane="probe")

    def _show(self, record) -> None:
        self.record = record
        self.status_line = status_text(self.kind, record.status)
        if paid(self.kind, record):
            self._stop()
            self.pay_state = "paid"
            if self.app.sm.current == self.name:
                self.app.screen("pay_done").show(self.kind, record, print_now=True)  # LUNAS on paper
                self.app.go("pay_done")
        elif record.status in ("expired", "failed"):
            self._stop()
            self.pay_state = record.status
            self.qr = ""
            self.countdown = ""
        self.seconds = record.seconds_left()
        self.countdown = f"{self.seconds // 60:02d}:{self.seconds % 60:02d}" if self.pay_state == "waiting" else ""

    def finish_unconfirmed(self) -> None:
        """"I have paid" (online: print the receipt now, MENUNGGU KONFIRMASI until HQ confirms) or "Finish"
        (offline: the receipt is already printed)."""
        if self.record is None:
            return
        self._stop()
        self.app.screen("pay_done").show(self.kind, self.record, print_now=not self.offline)
        self.app.go("pay_done")

    def print_receipt(self) -> None:
        if self.record is not None:
            print_receipt(self, self.kind, self.record.reference)


class PayDoneScreen(PayStep):
    """The end: LUNAS (paid) or MENUNGGU KONFIRMASI, the receipt number, and the receipt printing."""

    instruction = N_("Take your receipt and keep it.")
    personal = False
    kind_text = StringProperty("")
    verdict = StringProperty("")  # LUNAS | MENUNGGU KONFIRMASI (fixed terms on Indonesian receipts)
    is_paid = BooleanProperty(False)
    reference = StringProperty("")
    amount_text = StringProperty("")
    note = StringProperty("")
    print_state = StringProperty("")

    def __init__(self, **kw):
        super().__init__(**kw)
        self.kind, self.record = "", None

    def reset(self) -> None:
        self.kind, self.record = "", None
        self.kind_text = self.verdict = self.reference = self.amount_text = self.note = self.print_state = ""
        self.is_paid = False

    def refresh(self) -> None:
        super().refresh()
        if self.record is not None:
            self._texts()

    def show(self, kind: str, record, print_now: bool = True) -> None:
        self.kind, self.record = kind, record
        self._texts()
        self.print_state = ""
        if print_now:
            self.print_receipt()
        else:
            self.print_state = "printed"

    def _texts(self) -> None:
        kind, record = self.kind, self.record
        self.is_paid = paid(kind, record)
        self.verdict = record.receipt_status
        self.reference = record.reference
        total = record.amount if kind == "deposit" else record.total
        self.amount_text = format_rupiah(total)
        self.kind_text = _("Money deposit") if kind == "deposit" else _("Food order")
        self.note = (_("The payment is confirmed.") if self.is_paid else
                     _("The payment is not confirmed yet. Your receipt says MENUNGGU KONFIRMASI; check it later "
                       "with the receipt number under \"Check a payment\"."))

    def print_receipt(self) -> None:
        print_receipt(self, self.kind, self.reference)


for _kv in ("pay_confirm.kv", "pay_qr.kv", "pay_done.kv"):
    load_kv(__file__, _kv)
