"""Every printed layout: plain data in, ESC/POS bytes out (``render(data, profile) -> bytes``).

Receipts are for visitors, so fixed labels are Indonesian (``translate(..., lang="id")``); money is
``Rp 150.000`` (:func:`core.money.format_rupiah`), times are WIB (:func:`core.ids.fmt_wib`), NIK is
always masked. Layouts never read the database or the clock: callers fill the dataclasses (:mod:`core.receipts`), so the
same data always gives the same bytes (the golden-byte tests rely on it).
"""

from __future__ import annotations

import re
from datetime import date, datetime

from babel.dates import format_date

from core.i18n import N_, translate
from core.ids import fmt_wib
from core.money import format_rupiah, rupiah
from core.privacy import mask_id
from core.receipts import (
    ComplaintReceiptData,
    DepositReceiptData,
    OrderReceiptData,
    ParcelLabelData,
    TicketData,
    ZReportData,
)
from core.resources import asset
from hardware.escpos_doc import PaperProfile, ReceiptBuilder

LANG = "id"
_NIK_RE = re.compile(r"^\d{16}$")

DEFAULT_TICKET_RULES = (
    N_("Show this ticket and your original ID card to the officer."),
    N_("Phones, weapons, drugs and sharp objects are not allowed."),
    N_("Arrive 15 minutes before your session starts."),
)


def _t(msgid: str, **params: object) -> str:
    return translate(msgid, lang=LANG, **params)


def mask_nik(nik: str) -> str:
    """``3524011201900003`` -> ``3524********0003``; a passport or SIM number is masked too; anything already
    masked is returned as is (:func:`core.privacy.mask_id`)."""
    return mask_id(nik)


def fmt_date_id(d: date) -> str:
    """``Minggu, 29 November 2026`` (visit days are WIB calendar dates)."""
    return format_date(d, "EEEE, d MMMM y", locale="id")


# -- data --------------------------------------------------------------------------------------


def _header(b: ReceiptBuilder, facility_name: str, title: str, address: str = "") -> None:
    if b.profile.logo:
        path = b.profile.logo if b.profile.logo.startswith("/") else str(asset(b.profile.logo))
        b.logo(path)
    b.center(facility_name.upper(), bold=True)
    if address:
        b.center(address)
    b.rule()
    b.center(title, bold=True, size=(1, 2))


def _status_banner(b: ReceiptBuilder, settled: bool) -> None:
    b.center(_t(N_("PAID")) if settled else _t(N_("AWAITING CONFIRMATION")), bold=True, invert=True)


def _footer(b: ReceiptBuilder, printed_at: datetime) -> None:
    b.center(_t(N_("Printed {time}"), time=fmt_wib(printed_at)))
    b.cut()


# -- layouts -----------------------------------------------------------------------------------


def render_ticket(d: TicketData, profile: PaperProfile | int | None = None) -> bytes:
    b = ReceiptBuilder(profile)
    _header(b, d.facility_name, _t(N_("VISIT TICKET")), d.facility_address)
    if d.provisional:
        b.center(_t(N_("PROVISIONAL")), bold=True, invert=True)
        b.center(_t(N_("To be checked by the officer at the gate")))
    b.center(_t(N_("Queue number")))
    big = (4, 4) if len(d.queue_no) * 4 <= b.profile.columns else (2, 2)
    b.center(d.queue_no, bold=True, size=big)
    b.row(_t(N_("Date")), fmt_date_id(d.visit_date))
    b.row(_t(N_("Session")), d.session_label)
    b.rule()
    b.row(_t(N_("Visitor")), d.visitor_name)
    b.row(_t(N_("ID no. (NIK)")), mask_nik(d.nik_masked))
    b.row(_t(N_("Inmate")), d.inmate_name)
    b.row(_t(N_("Registration no.")), d.inmate_reg_no)
    if d.followers:
        b.line(_t(N_("Followers ({n})"), n=len(d.followers)))
        for i, name in enumerate(d.followers, 1):
            b.line(f"  {i}. {name}")
    b.rule()
    b.qr(d.qr_payload)
    if d.visit_id:
        text = _t(N_("Visit ID: {id}"), id=d.visit_id)
        if len(text) > b.profile.columns:
            b.center(_t(N_("Visit ID:")))
            b.center(d.visit_id)
        else:
            b.center(text)
    b.rule()
    b.line(_t(N_("Visiting rules:")), bold=True)
    for msgid in d.rules if d.rules is not None else DEFAULT_TICKET_RULES:
        b.bullet(_t(msgid))
    _footer(b, d.issued_at)
    return b.output()


def render_deposit(d: DepositReceiptData, profile: PaperProfile | int | None = None) -> bytes:
    amount, fee = rupiah(d.amount), rupiah(d.fee)
    b = ReceiptBuilder(profile)
    _header(b, d.facility_name, _t(N_("DEPOSIT RECEIPT")))
    _status_banner(b, d.settled)
    b.row(_t(N_("Reference")), d.reference)
    b.row(_t(N_("Time")), fmt_wib(d.created_at))
    b.row(_t(N_("Depositor")), d.depositor_name)
    b.row(_t(N_("Inmate")), d.inmate_name)
    b.row(_t(N_("Registration no.")), d.inmate_reg_no)
    b.row(_t(N_("Method")), d.method)
    b.rule()
    if fee:
        b.row(_t(N_("Amount")), format_rupiah(amount))
        b.row(_t(N_("Fee")), format_rupiah(fee))
    b.row(_t(N_("TOTAL")), format_rupiah(amount + fee), bold=True)
    b.rule()
    if d.settled and d.settled_at:
        b.row(_t(N_("Confirmed")), fmt_wib(d.settled_at))
    if not d.settled:
        b.line(_t(N_("The money is credited to the inmate once the payment is confirmed.")))
    b.qr(d.verify_qr)
    b.center(_t(N_("Scan to verify this receipt")))
    b.center(_t(N_("Keep this receipt.")))
    _footer(b, d.created_at)
    return b.output()


def render_order(d: OrderReceiptData, profile: PaperProfile | int | None = None) -> bytes:
    b = ReceiptBuilder(profile)
    _header(b, d.facility_name, _t(N_("CANTEEN ORDER")))
    _status_banner(b, d.settled)
    b.row(_t(N_("Order no.")), d.order_no)
    b.row(_t(N_("Time")), fmt_wib(d.created_at))
    b.row(_t(N_("Ordered by")), d.buyer_name)
    b.row(_t(N_("For inmate")), d.inmate_name)
    b.row(_t(N_("Registration no.")), d.inmate_reg_no)
    b.rule()
    total = 0
    for item in d.items:
        qty, price = int(item.qty), rupiah(item.unit_price)
        total += qty * price
        b.line(item.name)
        b.row(f"  {qty} x {format_rupiah(price)}", format_rupiah(qty * price))
    b.rule()
    b.row(_t(N_("TOTAL")), format_rupiah(total), bold=True)
    if d.pickup_note:
        b.line(d.pickup_note)
    if d.verify_qr:
        b.qr(d.verify_qr)
    _footer(b, d.created_at)
    return b.output()


def render_parcel(d: ParcelLabelData, profile: PaperProfile | int | None = None) -> bytes:
    b = ReceiptBuilder(profile)
    _header(b, d.facility_name, _t(N_("PARCEL LABEL")))
    b.center(d.parcel_no, bold=True, size=(2, 2))
    b.row(_t(N_("For inmate")), d.inmate_name)
    b.row(_t(N_("Registration no.")), d.inmate_reg_no)
    b.row(_t(N_("Block / room")), d.inmate_block)
    b.row(_t(N_("Sender")), d.sender_name)
    b.row(_t(N_("Received")), fmt_wib(d.received_at))
    b.rule()
    weight = 0
    for item in d.items:
        weight += int(item.weight_g)
        grams = f" {item.weight_g} g" if item.weight_g else ""
        b.row(f"{item.qty} x {item.name}", grams.strip())
    b.row(_t(N_("Total weight")), f"{weight} g", bold=True)
    b.rule()
    if d.inspected:
        b.center(_t(N_("INSPECTED by {name}"), name=d.inspector), bold=True)
    else:
        b.center(_t(N_("NOT YET INSPECTED")), bold=True, invert=True)
    b.qr(d.qr_payload)
    _footer(b, d.received_at)
    return b.output()


def render_complaint(d: ComplaintReceiptData, profile: PaperProfile | int | None = None) -> bytes:
    b = ReceiptBuilder(profile)
    _header(b, d.facility_name, _t(N_("COMPLAINT RECEIPT")))
    b.center(_t(N_("Tracking number")))
    b.center(d.tracking_no, bold=True, size=(2, 2))
    b.row(_t(N_("Submitted")), fmt_wib(d.submitted_at))
    b.row(_t(N_("Category")), d.category)
    if d.contact_masked:
        b.row(_t(N_("Contact")), d.contact_masked)
    b.rule()
    b.label_block(_t(N_("Summary")), d.summary)
    b.rule()
    b.line(_t(N_("Use the tracking number to follow up your complaint at the kiosk or with an officer.")))
    if d.track_qr:
        b.qr(d.track_qr)
    _footer(b, d.submitted_at)
    return b.output()


def render_zreport(d: ZReportData, profile: PaperProfile | int | None = None) -> bytes:
    b = ReceiptBuilder(profile)
    _header(b, d.facility_name, _t(N_("DAILY REPORT (Z)")))
    b.row(_t(N_("Date")), fmt_date_id(d.business_date))
    b.row(_t(N_("Device")), d.device_id)
    b.rule()
    b.line(_t(N_("Visits")), bold=True)
    for label, n in d.visits_by_session.items():
        b.row(f"  {label}", str(n))
    b.row("  " + _t(N_("Total")), str(sum(d.visits_by_session.values())))
    b.row("  " + _t(N_("Provisional")), str(d.visits_provisional))
    b.line(_t(N_("Deposits")), bold=True)
    b.row("  " + _t(N_("Paid ({n})"), n=d.deposits_count), format_rupiah(d.deposits_total))
    b.row("  " + _t(N_("Awaiting confirmation ({n})"), n=d.deposits_pending_count),
          format_rupiah(d.deposits_pending_total))
    b.line(_t(N_("Canteen")), bold=True)
    b.row("  " + _t(N_("Orders ({n})"), n=d.orders_count), format_rupiah(d.orders_total))
    b.row(_t(N_("Parcels")), str(d.parcels_count))
    b.row(_t(N_("Complaints")), str(d.complaints_count))
    b.rule()
    b.row(_t(N_("Receipts printed")), str(d.prints_count))
    b.row(_t(N_("Reprints")), str(d.reprints_count))
    b.row(_t(N_("Not yet sent to HQ")), str(d.outbox_pending), bold=d.outbox_pending > 0)
    _footer(b, d.generated_at)
    return b.output()


# kind -> (data class, renderer). ``PrintService.print(kind, ...)`` looks kinds up here.
LAYOUTS = {
    "ticket": (TicketData, render_ticket),
    "deposit": (DepositReceiptData, render_deposit),
    "order": (OrderReceiptData, render_order),
    "parcel": (ParcelLabelData, render_parcel),
    "complaint": (ComplaintReceiptData, render_complaint),
    "zreport": (ZReportData, render_zreport),
}


def kind_of(data: object) -> str:
    for kind, (cls, _fn) in LAYOUTS.items():
        if isinstance(data, cls):
            return kind
    raise TypeError(f"no layout for {type(data).__name__}")


def render(data: object, profile: PaperProfile | int | None = None) -> bytes:
    """ESC/POS bytes of any layout's data (the data class picks the layout)."""
    return LAYOUTS[kind_of(data)][1](data, profile)


def copy_banner(copy_no: int, reprinted_at: datetime, profile: PaperProfile | int | None = None) -> bytes:
    """The ``SALINAN ke-N`` block a reprint starts with (bytes after ``ESC @``, style reset at the end)."""
    b = ReceiptBuilder(profile)
    b.center(_t(N_("COPY #{n}"), n=copy_no), bold=True, invert=True, size=(2, 2))
    b.center(_t(N_("Reprinted {time}"), time=fmt_wib(reprinted_at)))
    b.reset()
    return b.output()[2:]  # without its own ESC @


def as_copy(original: bytes, copy_no: int, reprinted_at: datetime,
            profile: PaperProfile | int | None = None) -> bytes:
    """A reprint: the original receipt with the copy banner right after its initialise command."""
    init = b"\x1b@"
    body = original[2:] if original.startswith(init) else original
    return init + copy_banner(copy_no, reprinted_at, profile) + body
