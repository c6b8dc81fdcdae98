"""The inmate account ledger: append-only entries; a balance is the sum of an account's entries.

An entry is idempotent by ``(reference, entry)``: crediting the same settled deposit twice leaves one credit.
The table refuses UPDATE and DELETE (database triggers), so a correction is a new entry, never an edit.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from core.ids import now_iso, today_wib
from core.money import rupiah
from hq.payments.schema import ledger

ENTRIES = {"credit": 1, "debit": -1, "refund": -1}


def append(conn: Connection, facility_id: str, inmate_id: str, entry: str, amount: int, reference: str,
           note: str = "", today: date | None = None) -> bool:
    """Append one entry (``amount`` is positive; the sign comes from ``entry``). False when it already exists."""
    amount = rupiah(amount)
    if entry not in ENTRIES or amount <= 0:
        raise ValueError(f"bad ledger entry {entry!r} {amount!r}")
    try:
        with conn.begin_nested():
            conn.execute(insert(ledger).values(
                facility_id=facility_id, inmate_id=inmate_id, entry=entry, amount=ENTRIES[entry] * amount,
                reference=reference, note=note, created_at=now_iso(),
                wib_date=(today or today_wib()).isoformat()))
    except IntegrityError:
        return False
    return True


def balance(conn: Connection, facility_id: str, inmate_id: str) -> int:
    return int(conn.execute(select(func.coalesce(func.sum(ledger.c.amount), 0)).where(
        ledger.c.facility_id == facility_id, ledger.c.inmate_id == inmate_id)).scalar_one())


def balances(conn: Connection, facility_id: str) -> dict[str, int]:
    """Every account of a facility with entries: ``{inmate_id: balance}``."""
    rows = conn.execute(select(ledger.c.inmate_id, func.sum(ledger.c.amount)).where(
        ledger.c.facility_id == facility_id).group_by(ledger.c.inmate_id))
    return {r[0]: int(r[1]) for r in rows}


def entries(conn: Connection, facility_id: str, inmate_id: str) -> list[dict]:
    rows = conn.execute(select(ledger).where(ledger.c.facility_id == facility_id, ledger.c.inmate_id == inmate_id)
                        .order_by(ledger.c.id))
    return [dict(r._mapping) for r in rows]
