"""Money deposits (titipan uang) for an inmate, paid by QRIS, on the device.

Flow for the UI (every call runs on a worker thread; all are thread-safe with the Store)::

    q = quote_deposit(store, "BI.1234/2025", 150_000)     # caps checked, fee shown ("gratis" when 0)
    d = create_deposit(store, cfg, key, DepositRequest(...), mode="online")   # status created
    # online: ask HQ for a charge (order id = d.event_id), then
    d = attach_charge(store, d.deposit_id, qr_string, expires_at)             # awaiting_payment
    # HQ unreachable: fall back to the local dynamic QRIS instead
    d = go_offline(store, cfg, d.deposit_id)                                  # awaiting_payment, offline
    # ... status arrives from HQ (reference data or a live answer) -> settled -> credited

``mode="offline"`` builds the dynamic QRIS from the facility's static merchant payload in the same write.
Caps (min, max, daily cap per inmate, balance cap) are checked in the ``BEGIN IMMEDIATE`` transaction that
writes the deposit, counting HQ's figures plus this kiosk's deposits HQ has not seen yet; HQ checks again.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from core import payment_states as states
from core.events import DepositCreated
from core.ids import iso, parse_iso, today_wib, utcnow, uuid7
from core.receipt_codes import new_reference, sign_receipt
from core.receipts import DepositReceiptData
from kiosk.payments import records, reference
from kiosk.payments.refusals import PaymentRefusal


@dataclass(frozen=True)
class DepositRequest:
    inmate_reg_no: str
    depositor_nik: str
    depositor_name: str
    amount: int


@dataclass(frozen=True)
class DepositQuote:
    inmate: records.Inmate
    amount: int
    fee: int
    total: int  # what the payer pays: amount + fee
    remaining_today: int
    remaining_balance: int

    @property
    def free(self) -> bool:
        """No fee: the screen says "gratis"."""
        return self.fee == 0


@dataclass(frozen=True)
class Deposit:
    deposit_id: str
    event_id: str
    reference: str
    facility_id: str
    inmate_id: str
    inmate_reg_no: str
    inmate_name: str
    amount: int
    fee: int
    depositor_nik: str
    depositor_name: str
    mode: str
    qris: str
    expires_at: str
    status: str
    status_at: str
    settled_at: str | None
    created_at: str
    verify_qr: str

    @property
    def total(self) -> int:
        return self.amount + self.fee

    @property
    def settled(self) -> bool:
        """Money reached the merchant account: only then may a receipt say LUNAS."""
        return self.status in states.PAID["deposit"]

    @property
    def receipt_status(self) -> str:
        """The status line on paper (a fixed term on Indonesian receipts, not translated)."""
        return "LUNAS" if self.settled else "MENUNGGU KONFIRMASI"

    def seconds_left(self, now: datetime | None = None) -> int:
        return records.seconds_left(self.expires_at, now) if self.status == "awaiting_payment" else 0


def _deposit(r: sqlite3.Row) -> Deposit:
    return Deposit(**{f: r[f] for f in Deposit.__dataclass_fields__})


def rules(conn: sqlite3.Connection) -> dict:
    """The ``deposit_rules`` section (presets, caps, fee); refuses when payments are not configured."""
    r = reference.section(conn, "deposit_rules")
    if not r:
        raise PaymentRefusal("payments_unavailable")
    return r


def _local_unknown(conn: sqlite3.Connection, inmate_id: str, day: str | None) -> int:
    """This kiosk's live deposits for an inmate that HQ has not reported yet (optionally only on ``day``)."""
    live = tuple(states.LIVE["deposit"])
    sql = (f"SELECT COALESCE(SUM(amount), 0) FROM deposits WHERE inmate_id = ? AND hq_known = 0 "
           f"AND status IN ({', '.join('?' * len(live))})")
    params: list = [inmate_id, *live]
    if day:
        sql += " AND wib_date = ?"
        params.append(day)
    return conn.execute(sql, params).fetchone()[0]


def _quote(conn: sqlite3.Connection, reg_no: str, amount: object, now: datetime) -> DepositQuote:
    r = rules(conn)
    amount = records.as_amount(amount)
    inmate = records.find_inmate(conn, reg_no)
    if amount < r["min"]:
        raise PaymentRefusal("amount_below_min", min=r["min"])
    if amount > r["max"]:
        raise PaymentRefusal("amount_above_max", max=r["max"])
    today = today_wib(now)
    acct = reference.account(conn, inmate.inmate_id, today)
    used_today = acct["deposited_today"] + _local_unknown(conn, inmate.inmate_id, today.isoformat())
    remaining_today = max(0, r["daily_cap_per_inmate"] - used_today)
    if amount > remaining_today:
        raise PaymentRefusal("daily_cap_reached", cap=r["daily_cap_per_inmate"], remaining=remaining_today)
    held = acct["balance"] + acct["pending"] + _local_unknown(conn, inmate.inmate_id, None)
    remaining_balance = max(0, r["balance_cap"] - held)
    if amount > remaining_balance:
        raise PaymentRefusal("balance_cap_reached", cap=r["balance_cap"], remaining=remaining_balance)
    fee = records.fee_for(amount, r)
    return DepositQuote(inmate, amount, fee, amount + fee, remaining_today, remaining_balance)


def quote_deposit(store, reg_no: str, amount: object, now: datetime | None = None) -> DepositQuote:
    """Check an amount for an inmate and compute the fee, without writing (for the confirmation screen)."""
    with store.lock:
        return _quote(store.conn, reg_no, amount, now or utcnow())


def create_deposit(store, cfg, key, request: DepositRequest, *, mode: str = "offline",
                   now: datetime | None = None) -> Deposit:
    """Write a deposit (one transaction, event DepositCreated). ``offline``: the dynamic QRIS is built here
    and the deposit is ``awaiting_payment``; ``online``: it stays ``created`` until :func:`attach_charge`."""
    if mode not in ("online", "offline"):
        raise ValueError(f"mode must be online or offline, got {mode!r}")
    now = now or utcnow()
    nik, name = records.check_payer(request.depositor_nik, request.depositor_name)
    facility_id, device_id = cfg.device.facility_id, cfg.device.device_id
    with store.transaction() as tx:
        q = _quote(tx.conn, request.inmate_reg_no, request.amount, now)
        r = rules(tx.conn)
        deposit_id, ref = uuid7(), new_reference("deposit")
        while tx.one("SELECT 1 FROM deposits WHERE reference = ?", (ref,)):
            ref = new_reference("deposit")
        qr, expires, status = "", "", "created"
        if mode == "offline":
            qr = records.offline_qris(tx.conn, q.total, ref, device_id)
            expires, status = iso(now + records.ttl(r)), "awaiting_payment"
        entry = tx.emit(DepositCreated(
            deposit_id=deposit_id, facility_id=facility_id, reference=ref, inmate_id=q.inmate.inmate_id,
            amount=q.amount, fee=q.fee, depositor_nik=nik, depositor_name=name, mode=mode, qris=qr,
            expires_at=expires))
        tx.insert("deposits", {
            "deposit_id": deposit_id, "event_id": entry.event_id, "reference": ref, "facility_id": facility_id,
            "inmate_id": q.inmate.inmate_id, "inmate_reg_no": q.inmate.reg_no, "inmate_name": q.inmate.name,
            "amount": q.amount, "fee": q.fee, "depositor_nik": nik, "depositor_name": name, "mode": mode,
            "qris": qr, "expires_at": expires, "status": status, "status_at": iso(now), "hq_known": 0,
            "settled_at": None, "wib_date": today_wib(now).isoformat(), "created_at": iso(now),
            "verify_qr": sign_receipt(key, "deposit", facility_id, ref, q.amount),
        })
        return _deposit(records.row(tx.conn, "deposit", deposit_id))


def attach_charge(store, deposit_id: str, qr_string: str, expires_at: datetime | str,
                  charge_order_id: str = "") -> Deposit:
    """Online: HQ created the gateway charge; show its QR. The QR's amount must equal amount + fee."""
    when = parse_iso(expires_at) if isinstance(expires_at, str) else expires_at
    with store.transaction() as tx:
        records.issue_qr(tx, "deposit", deposit_id, mode="online", qr=qr_string, expires_at=when,
                         charge_order_id=charge_order_id)
        return _deposit(records.row(tx.conn, "deposit", deposit_id))


def go_offline(store, cfg, deposit_id: str, now: datetime | None = None) -> Deposit:
    """HQ could not be reached for a charge: build the local dynamic QRIS for this deposit instead."""
    now = now or utcnow()
    with store.transaction() as tx:
        d = records.row(tx.conn, "deposit", deposit_id)
        qr = records.offline_qris(tx.conn, d["amount"] + d["fee"], d["reference"], cfg.device.device_id)
        records.issue_qr(tx, "deposit", deposit_id, mode="offline", qr=qr,
                         expires_at=now + records.ttl(rules(tx.conn)))
        return _deposit(records.row(tx.conn, "deposit", deposit_id))


def observe_status(store, deposit_id: str, status: str, at: datetime | None = None) -> Deposit:
    """Record a status the kiosk learned live (HQ's answer while online); ignored when not a forward move."""
    with store.transaction() as tx:
        records.observe(tx, "deposit", deposit_id, status, at)
        return _deposit(records.row(tx.conn, "deposit", deposit_id))


def expire_overdue(store, now: datetime | None = None) -> list[str]:
    """Expire deposits whose QR countdown ran out; returns their references."""
    return records.expire_overdue(store, "deposit", now)


def get_deposit(store, deposit_id_or_reference: str) -> Deposit:
    with store.lock:
        return _deposit(records.row(store.conn, "deposit", deposit_id_or_reference))


def receipt_data(store, cfg, deposit_id_or_reference: str, facility_name: str = ""):
    """The data the receipt layout needs (``core.receipts.DepositReceiptData``); LUNAS only after settlement."""

    d = get_deposit(store, deposit_id_or_reference)
    return DepositReceiptData(
        facility_name=facility_name or cfg.device.facility_id, reference=d.reference, amount=d.amount,
        inmate_name=d.inmate_name, inmate_reg_no=d.inmate_reg_no, depositor_name=d.depositor_name,
        created_at=parse_iso(d.created_at), settled=d.settled, verify_qr=d.verify_qr, fee=d.fee,
        settled_at=parse_iso(d.settled_at) if d.settled_at else None)
