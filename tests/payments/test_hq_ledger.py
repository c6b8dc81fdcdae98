"""HQ settlement logic and the append-only ledger on both databases (SQLite file and PostgreSQL schema)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.demo_payments import demo_sections
from core.ids import today_wib
from hq.operators import add_facility, import_inmates
from hq.payments import ledger, sections, settlement
from hq.payments.operations import report_csv, report_rows, report_summary
from hq.payments.provider import Notification
from hq.reference import build
from tests.conftest import fresh_hq_db

FID = "LPS-LEDGER"
INMATES = ("id,reg_no,name,block,room,code,visitable,status\n"
           "inm-1,BI.0001/2025,Budi Santoso,A,A-01,B,true,active\n"
           "inm-2,BI.0002/2025,Agus Wijaya,A,A-02,B,false,transferred\n")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request, tmp_path):
    d = fresh_hq_db(request.param, tmp_path, "pay")
    with d.write() as conn:
        add_facility(conn, FID, "Lapas Ledger")
        import_inmates(conn, FID, INMATES)
        for name in settlement.DOC_SECTIONS:
            settlement.set_doc(conn, FID, name, demo_sections()[name])
    yield d
    d.drop_pg_schema()
    d.dispose()


def deposit_payload(ref: str, amount: int, inmate: str = "inm-1", fee: int = 0, mode: str = "offline") -> dict:
    return {"deposit_id": "dep-" + ref, "facility_id": FID, "reference": ref, "inmate_id": inmate, "amount": amount,
            "fee": fee, "depositor_nik": "3524014507900003", "depositor_name": "Siti Aminah", "mode": mode,
            "qris": "000201..." if mode == "offline" else "", "expires_at": ""}


def note(ref: str, amount: int, status: str = "settlement", order_id: str | None = None) -> Notification:
    return Notification(order_id=order_id or "QRIS-" + ref, status=status, status_code="200", amount=amount,
                        transaction_id="tx-" + ref, qris_reference=ref, raw={"order_id": order_id or ref})


def record(conn, ref, amount, **kw):
    return settlement.record_payment(conn, kind="deposit", facility_id=FID, device_id="kiosk-1",
                                     event_id="ev-" + ref, payload=deposit_payload(ref, amount, **kw))


def test_settlement_credits_once_and_the_ledger_is_append_only(db):
    ref = "D0000000000000A1"
    with db.write() as conn:
        record(conn, ref, 150_000)
        assert settlement.apply_gateway_status(conn, note(ref, 150_000)) == ("applied", ref)
        assert settlement.apply_gateway_status(conn, note(ref, 150_000)) == ("duplicate", ref)
        assert settlement.apply_gateway_status(conn, note(ref, 150_000, status="expire")) == ("stale", ref)
        assert settlement.payment(conn, ref)["status"] == "credited"
        assert ledger.balance(conn, FID, "inm-1") == 150_000
        assert len(ledger.entries(conn, FID, "inm-1")) == 1
    for sql in ("UPDATE ledger SET amount = 999999999", "DELETE FROM ledger"):
        with pytest.raises(DBAPIError, match="append-only"), db.write() as conn:
            conn.execute(text(sql))
    with db.read() as conn:
        assert ledger.balance(conn, FID, "inm-1") == 150_000


def test_settlement_before_the_payment_is_known_reconciles_later(db):
    ref = "D0000000000000B2"
    with db.write() as conn:
        assert settlement.apply_gateway_status(conn, note(ref, 80_000)) == ("unmatched", None)
    with db.write() as conn:
        _, created = record(conn, ref, 80_000)
        assert created and settlement.payment(conn, ref)["status"] == "credited"
        assert record(conn, ref, 80_000)[1] is False  # the same event again: no second payment
        with pytest.raises(settlement.PaymentConflict):
            record(conn, ref, 90_000)  # same reference, another amount


def test_amount_mismatch_transferred_inmate_and_caps(db):
    with db.write() as conn:
        record(conn, "D0000000000000C3", 100_000)
        assert settlement.apply_gateway_status(conn, note("D0000000000000C3", 1_000))[0] == "amount_mismatch"
        assert settlement.payment(conn, "D0000000000000C3")["status"] == "awaiting_payment"
        record(conn, "D0000000000000C4", 60_000, inmate="inm-2")
        settlement.apply_gateway_status(conn, note("D0000000000000C4", 60_000))
        p = settlement.payment(conn, "D0000000000000C4")
        assert p["status"] == "refund_requested" and p["note"] == "inmate is transferred"
        assert ledger.balance(conn, FID, "inm-2") == 0
        processed = settlement.process_refund(conn, "D0000000000000C4", "petugas")
        assert processed["status"] == "processed" and processed["amount"] == 60_000
        assert settlement.payment(conn, "D0000000000000C4")["status"] == "refunded"
        # caps at HQ count every kiosk's live deposits (the mismatched one is still awaiting payment)
        assert settlement.deposit_refusal(conn, FID, "inm-1", 900_001)[0] == "daily_cap_reached"
        assert settlement.deposit_refusal(conn, FID, "inm-1", 900_000) is None
        assert settlement.deposit_refusal(conn, FID, "inm-2", 10_000)[0] == "inmate_not_eligible"
        assert settlement.deposit_refusal(conn, FID, "inm-1", 5_000)[0] == "amount_below_min"
        assert settlement.deposit_refusal(conn, FID, "inm-1", 10_000.0)[0] == "invalid_amount"


def test_balance_cap_at_crediting_time_becomes_a_refund(db):
    with db.write() as conn:
        for i, amount in enumerate((1_000_000, 900_000)):
            ref = f"D00000000000000{i}"
            record(conn, ref, amount)
            settlement.apply_gateway_status(conn, note(ref, amount))
        # the day cap is 1,000,000 but a payment recorded offline is never refused: it is checked at settlement
        record(conn, "D0000000000000E9", 200_000)
        settlement.apply_gateway_status(conn, note("D0000000000000E9", 200_000))
        assert settlement.payment(conn, "D0000000000000E9")["status"] == "refund_requested"
        assert ledger.balance(conn, FID, "inm-1") == 1_900_000


def test_reference_sections_and_daily_report(db):
    with db.write() as conn:
        record(conn, "D0000000000000F1", 250_000)
        settlement.apply_gateway_status(conn, note("D0000000000000F1", 250_000))
        record(conn, "D0000000000000F2", 50_000)  # still waiting
        doc = build(conn, FID)
        day = today_wib().isoformat()
        rows = report_rows(conn, FID, day)
        csv_text = report_csv(conn, FID, day)
    assert set(sections.BUILDERS) <= set(doc)
    acct = {a["inmate_id"]: a for a in doc["balances"]["accounts"]}
    assert acct["inm-1"] == {"inmate_id": "inm-1", "balance": 250_000, "pending": 50_000,
                             "deposited_today": 300_000}
    updates = {u["reference"]: u["status"] for u in doc["payment_updates"]}
    assert updates == {"D0000000000000F1": "credited", "D0000000000000F2": "awaiting_payment"}
    assert doc["merchant"]["static_qris"].startswith("000201")
    summary = report_summary(rows)
    assert summary["paid_total"] == 250_000 and summary["credited_total"] == 250_000
    assert summary["waiting_count"] == 1
    assert "D0000000000000F1" in csv_text and csv_text.strip().splitlines()[-1].split(",")[2] == "TOTAL"
    from core.payment_reference import validate_payment_sections

    validate_payment_sections(doc)  # what HQ serves is what a kiosk accepts
