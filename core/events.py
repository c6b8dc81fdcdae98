"""Every outbox event type, one small dataclass each (modelled on Datasette's ``events.py``).

An event is what a device tells headquarters happened. Its ``name`` is the wire type; its fields are
the JSON payload. Money fields are integer rupiah; times are UTC ISO strings; dates are WIB calendar
dates (``YYYY-MM-DD``) because that is what a visit day means to people.

Adding a type: define the dataclass here with a unique ``name``; HQ's projections look it up in
:data:`EVENT_TYPES`. Payloads must be JSON-serialisable with no floats (see :func:`canonical_json`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, ClassVar


def canonical_json(obj: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 kept; floats are refused (money is integer)."""

    stack = [obj]
    while stack:
        o = stack.pop()
        t = type(o)
        if t is float:
            raise TypeError(f"float in event payload: {o!r} (use integer rupiah / integer units)")
        if t is dict:
            stack.extend(o.values())
        elif t is list or t is tuple:
            stack.extend(o)
        elif isinstance(o, float):  # float subclasses
            raise TypeError(f"float in event payload: {o!r} (use integer rupiah / integer units)")
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass
class Event:
    """Base class. Subclasses set ``name`` and declare their payload fields."""

    name: ClassVar[str] = ""

    def payload(self) -> dict[str, Any]:
        """The JSON payload: the dataclass fields (nested values are serialised, never mutated)."""
        return dict(self.__dict__)


# --- foundation -------------------------------------------------------------------------------


@dataclass
class DeviceInitialised(Event):
    """First event of every device: its identity and public key."""

    name: ClassVar[str] = "device.initialised"
    device_id: str
    facility_id: str
    role: str
    public_key: str  # base64url raw Ed25519 public key


@dataclass
class ProbeRecorded(Event):
    """A test/diagnostic business write (used by ``lapas doctor --write-probe`` and crash tests)."""

    name: ClassVar[str] = "probe.recorded"
    probe_id: str
    n: int
    note: str = ""


# --- visits -----------------------------------------------------------------------------------


@dataclass
class VisitRegistered(Event):
    name: ClassVar[str] = "visit.registered"
    visit_id: str
    facility_id: str
    visit_date: str  # WIB date YYYY-MM-DD
    session: str  # session code, e.g. "P" (pagi) / "S" (siang)
    queue_no: str  # e.g. "P-017"
    kind: str  # "walk_in" | "pre_registered"
    inmate_id: str
    visitor_nik: str
    visitor_name: str
    visitor_phone: str
    relationship: str
    followers: list[dict] = field(default_factory=list)
    booking_code: str | None = None
    provisional: bool = False
    reference_version: int = 0
    ticket: str = ""  # the signed ticket payload printed as QR


@dataclass
class VisitCheckedIn(Event):
    name: ClassVar[str] = "visit.checked_in"
    visit_id: str
    facility_id: str
    people: int  # visitor + followers entering
    at: str  # UTC ISO


@dataclass
class VisitCheckedOut(Event):
    name: ClassVar[str] = "visit.checked_out"
    visit_id: str
    facility_id: str
    people: int
    at: str


@dataclass
class QueueCalled(Event):
    name: ClassVar[str] = "queue.called"
    visit_date: str
    session: str
    queue_no: str
    at: str


# --- payments (deposits and canteen orders) ---------------------------------------------------


@dataclass
class DepositCreated(Event):
    name: ClassVar[str] = "deposit.created"
    deposit_id: str
    facility_id: str
    reference: str  # payment reference printed on the receipt and carried in QRIS tag 62
    inmate_id: str
    amount: int  # rupiah
    fee: int  # rupiah
    depositor_nik: str
    depositor_name: str
    mode: str  # "online" | "offline"
    qris: str = ""
    expires_at: str = ""


@dataclass
class DepositStatusObserved(Event):
    """The kiosk saw a payment status change (from HQ) and shows it; HQ remains the authority."""

    name: ClassVar[str] = "deposit.status_observed"
    deposit_id: str
    reference: str
    status: str  # awaiting_payment | settled | expired | failed | credited | refund_requested
    at: str


@dataclass
class OrderCreated(Event):
    name: ClassVar[str] = "order.created"
    order_id: str
    facility_id: str
    reference: str
    inmate_id: str
    items: list[dict]  # [{item_id, name, qty, price}] price = integer rupiah per unit
    total: int
    fee: int
    buyer_nik: str
    buyer_name: str
    mode: str
    qris: str = ""
    expires_at: str = ""


@dataclass
class OrderStatusObserved(Event):
    """The kiosk saw a canteen order's payment status change (e.g. its QR expired on screen)."""

    name: ClassVar[str] = "order.status_observed"
    order_id: str
    reference: str
    status: str  # awaiting_payment | paid | expired | failed
    at: str


@dataclass
class PaymentQrIssued(Event):
    """A payment QR was put on screen/paper for a deposit or order created earlier (online: HQ's charge;
    offline: the dynamic QRIS the kiosk built from the static merchant payload)."""

    name: ClassVar[str] = "payment.qr_issued"
    kind: str  # "deposit" | "order"
    record_id: str  # deposit_id or order_id
    reference: str
    mode: str  # "online" | "offline"
    qris: str
    expires_at: str
    charge_order_id: str = ""  # gateway order id when online


EVENT_TYPES: dict[str, type[Event]] = {
    cls.name: cls
    for cls in (
        DeviceInitialised,
        ProbeRecorded,
        VisitRegistered,
        VisitCheckedIn,
        VisitCheckedOut,
        QueueCalled,
        DepositCreated,
        DepositStatusObserved,
        OrderCreated,
        OrderStatusObserved,
        PaymentQrIssued,
    )
}
assert all(EVENT_TYPES), "every event type needs a name"
