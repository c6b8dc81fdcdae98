"""What goes on paper, as plain data: the domain fills these, the printer layouts (``hardware.layouts``) turn
them into ESC/POS bytes, and the print log keeps them as JSON for a reprint.

Money is integer rupiah, times are aware datetimes (printed in WIB), a NIK is passed masked or is masked by the
layout. Nothing here reads a database, a clock or a printer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass
class TicketData:
    """A visit ticket. ``qr_payload`` is the signed ticket string (<= 200 chars, docs/visits.md)."""

    facility_name: str
    queue_no: str
    visit_date: date
    session_label: str  # e.g. "Pagi 08:30-11:30"
    visitor_name: str
    nik_masked: str  # a full 16-digit NIK is masked anyway
    inmate_name: str
    inmate_reg_no: str
    qr_payload: str
    issued_at: datetime
    visit_id: str = ""
    followers: list[str] = field(default_factory=list)  # "Andi (anak)"
    provisional: bool = False
    rules: list[str] | None = None  # msgids; None = DEFAULT_TICKET_RULES
    facility_address: str = ""


@dataclass
class DepositReceiptData:
    """Money deposited for an inmate. ``settled`` -> LUNAS, else MENUNGGU KONFIRMASI."""

    facility_name: str
    reference: str
    amount: int
    inmate_name: str
    inmate_reg_no: str
    depositor_name: str
    created_at: datetime
    settled: bool
    verify_qr: str
    method: str = "QRIS"
    fee: int = 0
    settled_at: datetime | None = None


@dataclass
class OrderLine:
    name: str
    qty: int
    unit_price: int


@dataclass
class OrderReceiptData:
    """A canteen order paid for a visitor/inmate."""

    facility_name: str
    order_no: str
    inmate_name: str
    inmate_reg_no: str
    buyer_name: str
    created_at: datetime
    items: list[OrderLine]
    settled: bool
    verify_qr: str = ""
    pickup_note: str = ""  # already translated by the caller (e.g. "Diantar ke blok A")


@dataclass
class ParcelItem:
    name: str
    qty: int = 1
    weight_g: int = 0


@dataclass
class ParcelLabelData:
    """Label stuck on a parcel handed in for an inmate."""

    facility_name: str
    parcel_no: str
    inmate_name: str
    inmate_reg_no: str
    inmate_block: str
    sender_name: str
    received_at: datetime
    items: list[ParcelItem]
    qr_payload: str
    inspected: bool = False
    inspector: str = ""


@dataclass
class ComplaintReceiptData:
    """Receipt for a complaint (pengaduan) with its tracking number."""

    facility_name: str
    tracking_no: str
    category: str  # already translated by the caller
    submitted_at: datetime
    summary: str
    contact_masked: str = ""
    track_qr: str = ""


@dataclass
class ZReportData:
    """End-of-day totals of one device (figures are counts and integer rupiah)."""

    facility_name: str
    device_id: str
    business_date: date
    generated_at: datetime
    visits_by_session: dict[str, int] = field(default_factory=dict)  # {"Pagi": 41, "Siang": 30}
    visits_provisional: int = 0
    deposits_count: int = 0
    deposits_total: int = 0
    deposits_pending_count: int = 0
    deposits_pending_total: int = 0
    orders_count: int = 0
    orders_total: int = 0
    parcels_count: int = 0
    complaints_count: int = 0
    prints_count: int = 0
    reprints_count: int = 0
    outbox_pending: int = 0


# -- shared pieces -----------------------------------------------------------------------------
