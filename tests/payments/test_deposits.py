"""Deposits on the kiosk: one business write, caps with reasons, offline QRIS, HQ updates, receipts."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest

from core import qris
from core.receipt_codes import REFERENCE_RE, verify_receipt
from kiosk.payments import deposits
from kiosk.payments.deposits import DepositRequest
from kiosk.payments.reference import load_payment_sections
from kiosk.payments.refusals import PaymentRefusal
from kiosk.store import Store
from kiosk.store.audit import verify
from tests.payments.conftest import NIK, NOW, load_reference, reference_doc


def req(amount=150_000, reg_no="BI.0001/2025", nik=NIK, name="Siti Aminah"):
    return DepositRequest(inmate_reg_no=reg_no, depositor_nik=nik, depositor_name=name, amount=amount)


def outbox(store, type_=None):
    rows = store.query("SELECT type, payload FROM outbox ORDER BY seq")
    return [(t, json.loads(p)) for t, p in rows if type_ is None or t == type_]


def refusal(fn, *args, **kw) -> PaymentRefusal:
    with pytest.raises(PaymentRefusal) as e:
        fn(*args, **kw)
    return e.value


def test_offline_deposit_is_one_write_with_a_local_qris(kiosk):
    cfg, store, key = kiosk
    d = deposits.create_deposit(store, cfg, key, req(), mode="offline", now=NOW)
    assert d.status == "awaiting_payment" and d.mode == "offline"
    assert REFERENCE_RE.match(d.reference) and d.reference.startswith("D")
    assert d.receipt_status == "MENUNGGU KONFIRMASI" and not d.settled
    p = qris.parse(d.qris)
    assert p.is_dynamic and p.amount == 150_000 and p.reference == d.reference
    assert p.terminal == cfg.device.device_id
    assert d.seconds_left(NOW) == 900 and d.seconds_left(NOW + timedelta(seconds=901)) == 0
    events = outbox(store, "deposit.created")
    assert len(events) == 1
    payload = events[0][1]
    assert payload["amount"] == 150_000 and type(payload["amount"]) is int
    assert payload["reference"] == d.reference and payload["inmate_id"] == "inm-0001"
    assert payload["qris"] == d.qris and payload["mode"] == "offline"
    row = store.one("SELECT event_id FROM outbox WHERE type = 'deposit.created'")
    assert d.event_id == row[0]
    assert verify(store.conn, cfg.device.device_id).ok


def test_references_are_unique(kiosk):
    cfg, store, key = kiosk
    refs = {deposits.create_deposit(store, cfg, key, req(amount=10_000), now=NOW).reference for _ in range(20)}
    assert len(refs) == 20


def test_fee_is_shown_before_paying(kiosk):
    cfg, store, key = kiosk
    q = deposits.quote_deposit(store, "BI.0001/2025", 100_000, now=NOW)
    assert q.fee == 0 and q.free and q.total == 100_000 and q.inmate.name == "Budi Santoso"
    doc = reference_doc(version=2)
    doc["deposit_rules"] = {**doc["deposit_rules"], "fee_flat": 1_000, "fee_bp": 70}
    load_payment_sections(store, doc, 2)
    q = deposits.quote_deposit(store, "bi.0001/2025 ", 100_000, now=NOW)
    assert q.fee == 1_700 and q.total == 101_700 and not q.free
    d = deposits.create_deposit(store, cfg, key, req(amount=100_001), now=NOW)
    assert d.fee == 1_000 + 701  # 0.7% rounded up to a whole rupiah
    assert qris.parse(d.qris).amount == 100_001 + 1_701


@pytest.mark.parametrize("amount,code", [(5_000, "amount_below_min"), (1_000_001, "amount_above_max"),
                                         (0, "invalid_amount"), (-5, "invalid_amount"),
                                         (150_000.0, "invalid_amount"), ("150000.5", "invalid_amount"),
                                         (True, "invalid_amount")])
def test_amount_limits(kiosk, amount, code):
    cfg, store, key = kiosk
    r = refusal(deposits.create_deposit, store, cfg, key, req(amount=amount), now=NOW)
    assert r.code == code
    assert store.scalar("SELECT count(*) FROM deposits") == 0
    assert not outbox(store, "deposit.created")


def test_refusals_explain_themselves_in_indonesian(kiosk):
    cfg, store, key = kiosk
    r = refusal(deposits.create_deposit, store, cfg, key, req(amount=5_000), now=NOW)
    assert r.params == {"min": "Rp 10.000"}
    assert r.text("en") == "The minimum deposit is Rp 10.000."
    assert r.text("id") == "Setoran minimal Rp 10.000."
    assert r.hint_text("id") != r.hint


def test_daily_cap_counts_local_and_hq_deposits(kiosk):
    cfg, store, key = kiosk
    deposits.create_deposit(store, cfg, key, req(amount=600_000), now=NOW)
    r = refusal(deposits.create_deposit, store, cfg, key, req(amount=500_000), now=NOW)
    assert r.code == "daily_cap_reached" and r.params["remaining"] == "Rp 400.000"
    assert deposits.create_deposit(store, cfg, key, req(amount=400_000), now=NOW).amount == 400_000
    # another inmate is not affected; the next WIB day starts afresh
    deposits.create_deposit(store, cfg, key, req(amount=500_000, reg_no="BI.0002/2025"), now=NOW)
    tomorrow = NOW + timedelta(days=1)
    assert deposits.quote_deposit(store, "BI.0001/2025", 500_000, now=tomorrow).remaining_today == 1_000_000


def test_daily_cap_uses_hq_figures_without_double_counting(kiosk):
    cfg, store, key = kiosk
    d = deposits.create_deposit(store, cfg, key, req(amount=300_000), now=NOW)
    doc = reference_doc(version=2)
    doc["balances"] = {"date": "2026-11-30", "accounts": [
        {"inmate_id": "inm-0001", "balance": 0, "pending": 300_000, "deposited_today": 300_000 + 200_000}]}
    doc["payment_updates"] = [{"reference": d.reference, "kind": "deposit", "status": "awaiting_payment",
                               "amount": 300_000, "at": "2026-11-30T03:00:05.000Z"}]
    load_payment_sections(store, doc, 2)
    q = deposits.quote_deposit(store, "BI.0001/2025", 10_000, now=NOW)
    assert q.remaining_today == 500_000  # HQ's 500k includes this kiosk's 300k, counted once
    # yesterday's HQ figures do not count today
    doc["balances"]["date"] = "2026-11-29"
    load_payment_sections(store, doc, 3)
    assert deposits.quote_deposit(store, "BI.0001/2025", 10_000, now=NOW).remaining_today == 1_000_000


def test_balance_cap(kiosk):
    cfg, store, key = kiosk
    doc = reference_doc(version=2)
    doc["balances"] = {"date": "2026-11-30", "accounts": [
        {"inmate_id": "inm-0001", "balance": 1_750_000, "pending": 0, "deposited_today": 0}]}
    load_payment_sections(store, doc, 2)
    r = refusal(deposits.create_deposit, store, cfg, key, req(amount=300_000), now=NOW)
    assert r.code == "balance_cap_reached" and r.params["remaining"] == "Rp 250.000"
    assert "Rp 2.000.000" in r.text("id")
    deposits.create_deposit(store, cfg, key, req(amount=250_000), now=NOW)
    assert refusal(deposits.quote_deposit, store, "BI.0001/2025", 10_000, now=NOW).code == "balance_cap_reached"


def test_inmate_and_payer_checks(kiosk):
    cfg, store, key = kiosk
    assert refusal(deposits.create_deposit, store, cfg, key, req(reg_no="BI.9999/2025"), now=NOW).code == \
        "inmate_not_found"
    assert refusal(deposits.create_deposit, store, cfg, key, req(reg_no="AII.0003/2026"), now=NOW).code == \
        "inmate_not_eligible"
    assert refusal(deposits.create_deposit, store, cfg, key, req(reg_no="BI.0001"), now=NOW).code == \
        "inmate_not_found"  # exact registration number only, never a partial match
    assert refusal(deposits.create_deposit, store, cfg, key, req(nik="12345"), now=NOW).code == "invalid_nik"
    assert refusal(deposits.create_deposit, store, cfg, key, req(name=" "), now=NOW).code == "invalid_name"
    assert store.scalar("SELECT count(*) FROM deposits") == 0


def test_no_payments_configured(device):
    cfg, store = device
    from core import identity

    load_reference(store, {k: v for k, v in reference_doc().items()
                           if k not in ("merchant", "deposit_rules", "menu")})
    key = identity.load(cfg.keys_dir)
    assert refusal(deposits.create_deposit, store, cfg, key, req(), now=NOW).code == "payments_unavailable"


def test_caps_cannot_be_oversold_by_two_writers(kiosk, tmp_path):
    cfg, store, key = kiosk
    second = Store(cfg.db_path, cfg.device.device_id)
    results, barrier = [], threading.Barrier(2)

    def attempt(s):
        barrier.wait()
        try:
            results.append(deposits.create_deposit(s, cfg, key, req(amount=600_000), now=NOW).reference)
        except PaymentRefusal as exc:
            results.append(exc.code)

    threads = [threading.Thread(target=attempt, args=(s,)) for s in (store, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    second.close()
    assert sorted(r if r == "daily_cap_reached" else "ok" for r in results) == ["daily_cap_reached", "ok"]
    assert store.scalar("SELECT SUM(amount) FROM deposits") == 600_000


def test_online_charge_and_amount_check(kiosk):
    cfg, store, key = kiosk
    d = deposits.create_deposit(store, cfg, key, req(amount=200_000), mode="online", now=NOW)
    assert d.status == "created" and d.qris == ""
    merchant = json.loads(store.scalar("SELECT body FROM payment_reference WHERE section = 'merchant'"))
    wrong = qris.make_dynamic(merchant["static_qris"], 20_000, "SIMX1")
    assert refusal(deposits.attach_charge, store, d.deposit_id, wrong, NOW + timedelta(minutes=15)).code == \
        "qr_mismatch"
    assert deposits.get_deposit(store, d.deposit_id).status == "created"
    good = qris.make_dynamic(merchant["static_qris"], 200_000, "SIMX1")
    d2 = deposits.attach_charge(store, d.deposit_id, good, NOW + timedelta(minutes=15), charge_order_id=d.event_id)
    assert d2.status == "awaiting_payment" and d2.mode == "online" and d2.qris == good
    issued = outbox(store, "payment.qr_issued")
    assert issued[-1][1]["charge_order_id"] == d.event_id and issued[-1][1]["kind"] == "deposit"
    assert refusal(deposits.attach_charge, store, d.deposit_id, good, NOW).code == "bad_state"


def test_offline_fallback_when_hq_cannot_charge(kiosk):
    cfg, store, key = kiosk
    d = deposits.create_deposit(store, cfg, key, req(amount=75_000), mode="online", now=NOW)
    d = deposits.go_offline(store, cfg, d.deposit_id, now=NOW)
    assert d.mode == "offline" and d.status == "awaiting_payment"
    assert qris.parse(d.qris).reference == d.reference and qris.parse(d.qris).amount == 75_000


def test_countdown_expiry_then_late_settlement_from_hq(kiosk):
    cfg, store, key = kiosk
    d = deposits.create_deposit(store, cfg, key, req(), now=NOW)
    assert deposits.expire_overdue(store, now=NOW + timedelta(minutes=10)) == []
    assert deposits.expire_overdue(store, now=NOW + timedelta(minutes=16)) == [d.reference]
    assert deposits.get_deposit(store, d.reference).status == "expired"
    assert outbox(store, "deposit.status_observed")[-1][1]["status"] == "expired"
    # an expired deposit no longer counts against the daily cap
    assert deposits.quote_deposit(store, "BI.0001/2025", 1_000_000, now=NOW).remaining_today == 1_000_000
    doc = reference_doc(version=2, payment_updates=[
        {"reference": d.reference, "kind": "deposit", "status": "settled", "amount": 150_000,
         "at": "2026-11-30T03:30:00.000Z"}])
    assert load_payment_sections(store, doc, 2) == 1
    d = deposits.get_deposit(store, d.reference)
    assert d.status == "settled" and d.receipt_status == "LUNAS" and d.settled_at == "2026-11-30T03:30:00.000Z"


def test_hq_updates_move_forward_only_and_check_the_amount(kiosk):
    cfg, store, key = kiosk
    d = deposits.create_deposit(store, cfg, key, req(), now=NOW)

    def hq(status, amount=150_000, version=2):
        doc = reference_doc(version=version, payment_updates=[
            {"reference": d.reference, "kind": "deposit", "status": status, "amount": amount,
             "at": "2026-11-30T03:10:00.000Z"}])
        return load_payment_sections(store, doc, version)

    assert hq("settled", amount=1_500_000) == 0  # tampered amount: refused, still waiting
    assert deposits.get_deposit(store, d.reference).receipt_status == "MENUNGGU KONFIRMASI"
    assert hq("credited") == 1  # jumps settled -> credited while the kiosk was away
    assert deposits.get_deposit(store, d.reference).status == "credited"
    assert hq("awaiting_payment") == 0  # a stale update cannot undo a payment
    assert hq("expired") == 0
    d = deposits.get_deposit(store, d.reference)
    assert d.status == "credited" and d.receipt_status == "LUNAS"


def test_refund_request_status_from_hq(kiosk):
    cfg, store, key = kiosk
    d = deposits.create_deposit(store, cfg, key, req(), now=NOW)
    doc = reference_doc(version=2, payment_updates=[
        {"reference": d.reference, "kind": "deposit", "status": "refund_requested", "amount": 150_000,
         "at": "2026-11-30T03:10:00.000Z"}])
    load_payment_sections(store, doc, 2)
    d = deposits.get_deposit(store, d.reference)
    assert d.status == "refund_requested" and d.settled  # the money was received; it goes back via HQ


def test_verification_qr(kiosk):
    cfg, store, key = kiosk
    d = deposits.create_deposit(store, cfg, key, req(), now=NOW)
    keys = {key.key_id: key.public_b64}
    check = verify_receipt(d.verify_qr, keys, facility_id="LPS-DEMO")
    assert check.ok and check.reference == d.reference and check.amount == 150_000 and check.kind == "deposit"
    assert len(d.verify_qr) < 200
    tampered = d.verify_qr.replace("|150000|", "|950000|")
    assert verify_receipt(tampered, keys).code == "forged"
    assert verify_receipt(d.verify_qr, {}).code == "unknown_key"
    assert verify_receipt(d.verify_qr, keys, facility_id="LPS-OTHER").code == "wrong_facility"
    assert verify_receipt("garbage", keys).code == "malformed"


def test_receipt_says_lunas_only_after_settlement(kiosk):
    from hardware.layouts import render

    cfg, store, key = kiosk
    d = deposits.create_deposit(store, cfg, key, req(), now=NOW)
    data = deposits.receipt_data(store, cfg, d.reference, facility_name="Lapas Kelas IIA Demo")
    assert data.settled is False and data.verify_qr == d.verify_qr and data.amount == 150_000
    raw = render(data)
    assert b"MENUNGGU KONFIRMASI" in raw and b"LUNAS" not in raw.replace(b"MENUNGGU KONFIRMASI", b"")
    load_payment_sections(store, reference_doc(version=2, payment_updates=[
        {"reference": d.reference, "kind": "deposit", "status": "settled", "amount": 150_000,
         "at": "2026-11-30T03:10:00.000Z"}]), 2)
    raw = render(deposits.receipt_data(store, cfg, d.reference))
    assert b"LUNAS" in raw and b"MENUNGGU" not in raw
