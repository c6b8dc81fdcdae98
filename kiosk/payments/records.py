"""What deposits and orders share: inmate and payer checks, fees, QR issuing, status moves, countdowns.

Every function that writes takes an open :class:`kiosk.store.Tx` (one business write = one transaction) or
opens one itself; nothing is shown or printed before the commit.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from core import payment_states as states
from core import qris
from core.events import DepositStatusObserved, OrderStatusObserved, PaymentQrIssued
from core.ids import iso, parse_iso, utcnow
from core.money import MoneyError, rupiah
from core.reference import norm_reg_no
from kiosk.payments import reference
from kiosk.payments.refusals import PaymentRefusal

TABLES = {"deposit": ("deposits", "deposit_id", "amount"), "order": ("orders", "order_id", "total")}


@dataclass(frozen=True)
class Inmate:
    inmate_id: str
    reg_no: str
    name: str
    status: str


def find_inmate(conn: sqlite3.Connection, reg_no: str) -> Inmate:
    """The inmate with registration number ``reg_no`` from the reference data (visits core's ``ref_inmates``).

    Registration number only, normalised like the visits core does (spaces dropped, upper case, e.g.
    ``BI.1234/2025``); never a name, a list or a partial match. Refuses unknown and released/transferred
    inmates.
    """

    wanted = norm_reg_no(reg_no or "")
    if not wanted:
        raise PaymentRefusal("inmate_not_found", reg_no=(reg_no or "").strip() or "-")
    row = conn.execute("SELECT id, reg_no, name, status FROM ref_inmates WHERE reg_key = ?", (wanted,)).fetchone()
    if row is None:
        raise PaymentRefusal("inmate_not_found", reg_no=reg_no.strip())
    inmate = Inmate(str(row[0]), str(row[1]), str(row[2]), str(row[3] or "active"))
    if inmate.status.lower() != "active":  # released, transferred, ...
        raise PaymentRefusal("inmate_not_eligible")
    return inmate


def check_payer(nik: str, name: str) -> tuple[str, str]:
    """A payer's NIK (16 digits) and name, normalised; refuses what cannot be right."""
    nik = re.sub(r"[\s.-]", "", nik or "")
    if not re.fullmatch(r"[0-9]{16}", nik) or nik[:2] == "00" or nik[6:12] == "000000":
        raise PaymentRefusal("invalid_nik")
    name = " ".join((name or "").split())
    if len(name) < 2 or len(name) > 100 or not re.search(r"[A-Za-z]", name):
        raise PaymentRefusal("invalid_name")
    return nik, name


def as_amount(value: object) -> int:
    try:
        amount = rupiah(value)
    except MoneyError as exc:
        raise PaymentRefusal("invalid_amount") from exc
    if amount <= 0:
        raise PaymentRefusal("invalid_amount")
    return amount


def fee_for(amount: int, rules: dict) -> int:
    """Flat fee plus basis points of ``amount`` rounded up to a whole rupiah (integer arithmetic only)."""
    bp = rules.get("fee_bp", 0)
    return rules.get("fee_flat", 0) + (amount * bp + 9_999) // 10_000


def ttl(rules: dict) -> timedelta:
    return timedelta(seconds=rules.get("payment_ttl_s", 900))


def offline_qris(conn: sqlite3.Connection, total: int, ref: str, device_id: str) -> str:
    """A dynamic QRIS for ``total`` rupiah built from the facility's static merchant payload."""
    merchant = reference.section(conn, "merchant")
    if not merchant:
        raise PaymentRefusal("payments_unavailable")
    return qris.make_dynamic(merchant["static_qris"], total, ref, terminal=device_id[:25])


def row(conn: sqlite3.Connection, kind: str, record_id: str) -> sqlite3.Row:
    table, key, _ = TABLES[kind]
    r = conn.execute(f"SELECT * FROM {table} WHERE {key} = ? OR reference = ?", (record_id, record_id)).fetchone()
    if r is None:
        raise PaymentRefusal("not_found", reference=record_id)
    return r


def issue_qr(tx, kind: str, record_id: str, *, mode: str, qr: str, expires_at: datetime,
             charge_order_id: str = "") -> None:
    """Put a payment QR on a ``created`` record: it becomes ``awaiting_payment`` (event PaymentQrIssued).

    An online QR from HQ is checked first: it must be a valid QRIS for exactly this record's amount + fee.
    """
    table, key, total_col = TABLES[kind]
    r = row(tx.conn, kind, record_id)
    if r["status"] != "created":
        raise PaymentRefusal("bad_state", status=r["status"])
    try:
        parsed = qris.parse(qr)
    except qris.QrisError as exc:
        raise PaymentRefusal("qr_mismatch") from exc
    if parsed.amount != r[total_col] + r["fee"]:
        raise PaymentRefusal("qr_mismatch")
    now = iso(utcnow())
    tx.execute(f"UPDATE {table} SET status = 'awaiting_payment', status_at = ?, mode = ?, qris = ?, "
               f"expires_at = ? WHERE {key} = ?", (now, mode, qr, iso(expires_at), r[key]))
    tx.emit(PaymentQrIssued(kind=kind, record_id=r[key], reference=r["reference"], mode=mode, qris=qr,
                            expires_at=iso(expires_at), charge_order_id=charge_order_id))


def observe(tx, kind: str, record_id: str, status: str, at: datetime | None = None) -> bool:
    """The kiosk saw ``status`` (its own countdown, or HQ's answer while online); emits the observation.
    Returns False (and writes nothing) when the move is not allowed or changes nothing."""
    table, key, _ = TABLES[kind]
    r = row(tx.conn, kind, record_id)
    status = states.normalise(kind, status)
    if status == r["status"] or not states.reachable(kind, r["status"], status):
        return False
    when = iso(at or utcnow())
    settled = when if status in states.PAID[kind] else None
    tx.execute(f"UPDATE {table} SET status = ?, status_at = ?, settled_at = COALESCE(settled_at, ?) "
               f"WHERE {key} = ?", (status, when, settled, r[key]))
    if kind == "deposit":
        tx.emit(DepositStatusObserved(deposit_id=r[key], reference=r["reference"], status=status, at=when))
    else:
        tx.emit(OrderStatusObserved(order_id=r[key], reference=r["reference"], status=status, at=when))
    return True


def expire_overdue(store, kind: str, now: datetime | None = None) -> list[str]:
    """Mark records whose QR countdown ran out as ``expired`` (one transaction); returns their references.

    HQ may still report a late payment of an offline QR later; that turns the record ``settled``.
    """
    table, key, _ = TABLES[kind]
    now = now or utcnow()
    with store.transaction() as tx:
        due = [r[0] for r in tx.execute(
            f"SELECT {key} FROM {table} WHERE status = 'awaiting_payment' AND expires_at != '' "
            "AND expires_at <= ?", (iso(now),)).fetchall()]
        done = []
        for record_id in due:
            if observe(tx, kind, record_id, "expired", now):
                done.append(row(tx.conn, kind, record_id)["reference"])
    return done


def seconds_left(expires_at: str, now: datetime | None = None) -> int:
    """Whole seconds until ``expires_at`` (0 when past or unknown) -- the on-screen countdown."""
    if not expires_at:
        return 0
    left = parse_iso(expires_at) - (now or utcnow())
    return max(0, left // timedelta(seconds=1))
