"""End to end on loopback: kiosk -> real `lapas hq serve` -> gateway simulator -> signed webhook -> HQ ledger
-> reference data -> kiosk receipt. Online and offline deposits, webhook security, caps at HQ, refunds, orders."""

from __future__ import annotations

import json
import time
import uuid
from types import SimpleNamespace

import pytest
import requests

from core import identity, qris
from core.demo_payments import demo_merchant_payload, demo_sections
from hq import reference as hq_reference
from hq.operators import import_inmates
from hq.payments import ledger, settlement
from hq.payments.gateway import signature_key
from hq.payments.operations import report_csv, unmatched_settlements
from hq.payments.simulator import GatewaySimulator
from kiosk.payments import deposits, orders
from kiosk.payments.online import PaymentsClient, refresh_status, start_payment
from kiosk.payments.refusals import PaymentRefusal
from kiosk.payments.verify import check_receipt
from kiosk.store import Store
from sync.client import HQClient
from tests.payments.conftest import NIK, SCHEDULE, load_reference
from tests.support.hqproc import HQProcess, free_port, hq_events, make_device, open_db, run_sync

KEY = "SB-Mid-server-HQFLOW"
INMATES = ("id,reg_no,name,block,room,code,visitable,status\n"
           "inm-1,BI.0001/2025,Budi Santoso,A,A-01,B,true,active\n"
           "inm-2,BI.0002/2025,Agus Wijaya,A,A-02,B,true,active\n")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hqpay")
    port = free_port()
    sim = GatewaySimulator(server_key=KEY, notify_url=f"http://127.0.0.1:{port}/v1/payments/notify",
                           notify_backoff_s=0.1).start()
    db_url = str(tmp / "hq.db")
    db = open_db(db_url)
    hq = HQProcess(db_url, port=port, log_path=tmp / "hq.log",
                   env={"LAPAS_GATEWAY_URL": sim.url, "LAPAS_GATEWAY_SERVER_KEY": KEY}).start()
    yield SimpleNamespace(sim=sim, hq=hq, db=db, tmp=tmp)
    hq.stop()
    sim.stop()
    db.dispose()


class Kiosk:
    def __init__(self, stack, facility: str):
        self.stack = stack
        self.cfg = make_device(stack.tmp / f"k-{uuid.uuid4().hex[:6]}", stack.db, stack.hq.url, facility_id=facility)
        self.key = identity.load(self.cfg.keys_dir)
        self.store = Store(self.cfg.db_path, self.cfg.device.device_id)
        self.hq = HQClient(stack.hq.url, self.cfg.device.device_id, self.key, timeout=10)
        self.client = PaymentsClient(self.hq)

    def pull(self):
        doc, _ = self.hq.get_reference(None)
        load_reference(self.store, doc)
        return doc

    def sync(self):
        proc = run_sync(self.cfg, "--once")
        assert proc.returncode == 0, proc.stderr
        return hq_events(self.stack.db, self.cfg.device.device_id)

    def deposit(self, amount, mode="online", reg_no="BI.0001/2025"):
        d = deposits.create_deposit(self.store, self.cfg, self.key,
                                    deposits.DepositRequest(reg_no, NIK, "Siti Aminah", amount), mode=mode)
        return start_payment(self.store, self.cfg, self.client, "deposit", d) if mode == "online" else d


def facility(stack) -> str:
    fid = "LPS-" + uuid.uuid4().hex[:6].upper()
    return fid


def setup_facility(stack, fid: str, **rules) -> None:
    with stack.db.write() as conn:
        import_inmates(conn, fid, INMATES)
        hq_reference.set_doc(conn, fid, "schedule", SCHEDULE)
        sections = demo_sections()
        sections["deposit_rules"].update(rules)
        for name in settlement.DOC_SECTIONS:
            settlement.set_doc(conn, fid, name, sections[name])


def new_kiosk(stack, fid=None, **rules) -> Kiosk:
    fid = fid or facility(stack)
    k = Kiosk(stack, fid)
    if fid not in getattr(stack, "ready", set()):
        setup_facility(stack, fid, **rules)
        stack.ready = getattr(stack, "ready", set()) | {fid}
    k.pull()
    return k


def hq_payment(stack, ref, want=None, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        with stack.db.read() as conn:
            p = settlement.payment(conn, ref)
        if want is None or (p and p["status"] == want) or time.monotonic() > deadline:
            return p
        time.sleep(0.05)


def unmatched(stack, reference, timeout=10) -> list[dict]:
    """HQ's gateway settlements for ``reference`` not yet matched to a payment, once the notification arrived."""
    deadline = time.monotonic() + timeout
    while True:
        with stack.db.read() as conn:
            waiting = [u for u in unmatched_settlements(conn) if u["qris_reference"] == reference]
        if waiting or time.monotonic() > deadline:
            return waiting
        time.sleep(0.05)


def pay(stack, payload) -> requests.Response:
    return requests.post(f"{stack.sim.url}/sim/qris/pay", json={"qris": payload}, timeout=10)


def test_online_deposit_paid_credited_and_lunas(stack):
    k = new_kiosk(stack)
    d = k.deposit(150_000)
    assert d.status == "awaiting_payment" and d.mode == "online"
    assert qris.parse(d.qris).amount == 150_000
    assert pay(stack, d.qris).status_code == 200
    assert hq_payment(stack, d.reference, "credited")["status"] == "credited"
    d = refresh_status(k.store, k.client, "deposit", d)
    assert d.status == "credited" and d.receipt_status == "LUNAS"
    with stack.db.read() as conn:
        assert ledger.balance(conn, k.cfg.device.facility_id, "inm-1") == 150_000
    results = k.sync()
    assert {r["status"] for r in results} == {"accepted"}, results
    doc = k.pull()
    acct = {a["inmate_id"]: a for a in doc["balances"]["accounts"]}
    assert acct["inm-1"]["balance"] == 150_000 and acct["inm-1"]["deposited_today"] == 150_000
    assert deposits.quote_deposit(k.store, "BI.0001/2025", 10_000).remaining_today == 850_000
    # the receipt's verification QR checks out at HQ and on another device of the facility (its guard station)
    fid = k.cfg.device.facility_id
    with stack.db.read() as conn:
        check, row = settlement.check_receipt(conn, d.verify_qr, fid)
    assert check.ok and row["status"] == "credited"
    guard = new_kiosk(stack, fid)
    check, status = check_receipt(guard.store.conn, d.verify_qr, fid)
    assert check.ok and status["status"] == "credited" and status["amount"] == 150_000
    forged = d.verify_qr.replace("|150000|", "|950000|")
    assert check_receipt(guard.store.conn, forged, fid)[0].code == "forged"
    with stack.db.read() as conn:
        assert settlement.check_receipt(conn, forged, fid)[0].code == "forged"


def test_offline_deposit_settles_while_kiosk_is_away_and_reconciles_after_sync(stack):
    k = new_kiosk(stack)
    d = k.deposit(200_000, mode="offline")
    assert d.receipt_status == "MENUNGGU KONFIRMASI"
    assert pay(stack, d.qris).status_code == 200  # the family pays; HQ hears of it before the kiosk syncs
    waiting = unmatched(stack, d.reference)
    assert waiting and waiting[0]["gross_amount"] == 200_000
    assert deposits.get_deposit(k.store, d.reference).receipt_status == "MENUNGGU KONFIRMASI"
    k.sync()  # the kiosk reconnects: its DepositCreated reaches HQ, which matches the waiting settlement
    assert hq_payment(stack, d.reference)["status"] == "credited"
    k.pull()
    d = deposits.get_deposit(k.store, d.reference)
    assert d.status == "credited" and d.receipt_status == "LUNAS"
    from hardware.layouts import render

    assert b"LUNAS" in render(deposits.receipt_data(k.store, k.cfg, d.reference))


def test_webhook_forged_duplicate_and_replay(stack):
    k = new_kiosk(stack)
    d = k.deposit(50_000)
    pay(stack, d.qris)
    hq_payment(stack, d.reference, "credited")
    order_id = hq_payment(stack, d.reference)["charge_order_id"]
    body = stack.sim.charges[order_id]["last_notification"]
    url = stack.hq.url + "/v1/payments/notify"
    forged = {**body, "gross_amount": "5000000.00"}
    r = requests.post(url, json=forged, timeout=10)
    assert r.status_code == 401 and r.json()["code"] == "bad_signature"
    r = requests.post(url, json=body, timeout=10)  # replay of the real settlement
    assert r.status_code == 200 and r.json()["outcome"] == "duplicate"
    stale = {**body, "transaction_status": "expire", "status_code": "407"}
    stale["signature_key"] = signature_key(order_id, "407", body["gross_amount"], KEY)
    r = requests.post(url, json=stale, timeout=10)  # a validly signed but stale status: the gateway says settled
    assert r.status_code == 200 and r.json()["status"] == "settlement" and r.json()["outcome"] == "duplicate"
    unknown = {**body, "order_id": "no-such-order"}
    unknown["signature_key"] = signature_key("no-such-order", body["status_code"], body["gross_amount"], KEY)
    assert requests.post(url, json=unknown, timeout=10).status_code == 404
    assert requests.post(url, data=b"not json", timeout=10).status_code == 400
    with stack.db.read() as conn:
        assert ledger.balance(conn, k.cfg.device.facility_id, "inm-1") == 50_000
        assert len(ledger.entries(conn, k.cfg.device.facility_id, "inm-1")) == 1
        assert hq_payment(stack, d.reference)["status"] == "credited"


def test_tampered_amount_is_never_settled(stack):
    k = new_kiosk(stack)
    d = k.deposit(100_000, mode="offline")
    tampered = qris.make_dynamic(demo_merchant_payload(), 1_000, d.reference, terminal=k.cfg.device.device_id)
    assert pay(stack, tampered).status_code == 200  # a valid QRIS for Rp 1.000 with the same reference
    assert unmatched(stack, d.reference)[0]["gross_amount"] == 1_000  # HQ heard of it before the kiosk syncs
    k.sync()
    p = hq_payment(stack, d.reference)
    assert p["status"] == "awaiting_payment" and p["note"].startswith("amount mismatch")
    k.pull()
    assert deposits.get_deposit(k.store, d.reference).receipt_status == "MENUNGGU KONFIRMASI"
    with stack.db.read() as conn:
        assert ledger.balance(conn, k.cfg.device.facility_id, "inm-1") == 0
        csv_text = report_csv(conn, k.cfg.device.facility_id, p["wib_date"])
    assert "mismatches 1" in csv_text


def test_caps_enforced_again_at_hq(stack):
    fid = facility(stack)
    a, b = new_kiosk(stack, fid), new_kiosk(stack, fid)
    a.deposit(800_000)  # kiosk B has not heard of it
    q = deposits.quote_deposit(b.store, "BI.0001/2025", 500_000)
    assert q.remaining_today == 1_000_000
    d = deposits.create_deposit(b.store, b.cfg, b.key, deposits.DepositRequest("BI.0001/2025", NIK, "Ani", 500_000),
                                mode="online")
    with pytest.raises(PaymentRefusal) as e:
        start_payment(b.store, b.cfg, b.client, "deposit", d)
    assert e.value.code == "hq_refused" and e.value.params["reason"] == "daily_cap_reached"
    assert deposits.get_deposit(b.store, d.reference).status == "failed"
    assert e.value.text("id") == "Kantor pusat tidak menerima pembayaran ini."
    b.pull()
    with pytest.raises(PaymentRefusal) as e:
        deposits.quote_deposit(b.store, "BI.0001/2025", 500_000)
    assert e.value.code == "daily_cap_reached"


def test_settled_deposit_for_a_released_inmate_becomes_a_refund(stack, run_lapas):
    k = new_kiosk(stack)
    fid = k.cfg.device.facility_id
    d = k.deposit(75_000, reg_no="BI.0002/2025")
    with stack.db.write() as conn:
        import_inmates(conn, fid, INMATES.replace("inm-2,BI.0002/2025,Agus Wijaya,A,A-02,B,true,active",
                                                  "inm-2,BI.0002/2025,Agus Wijaya,A,A-02,B,false,released"))
    pay(stack, d.qris)
    assert hq_payment(stack, d.reference, "refund_requested")["note"] == "inmate is released"
    proc = run_lapas("hq", "payments", "refund", d.reference, "--operator", "petugas-1", "--db",
                     str(stack.tmp / "hq.db"))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["status"] == "processed"
    k.pull()
    d = deposits.get_deposit(k.store, d.reference)
    assert d.status == "refunded"
    with stack.db.read() as conn:
        assert ledger.balance(conn, fid, "inm-2") == 0


def test_food_order_paid_prepared_delivered(stack, run_lapas):
    k = new_kiosk(stack)
    o = orders.create_order(k.store, k.cfg, k.key, orders.OrderRequest("BI.0001/2025", NIK, "Siti Aminah",
                                                                        {"nasi-ayam": 2, "teh-kotak": 1}),
                            mode="online")
    o = start_payment(k.store, k.cfg, k.client, "order", o)
    assert o.status == "awaiting_payment" and qris.parse(o.qris).amount == 74_000
    pay(stack, o.qris)
    assert hq_payment(stack, o.reference, "paid")["paid_amount"] == 74_000
    db = str(stack.tmp / "hq.db")
    for status in ("prepared", "delivered"):
        proc = run_lapas("hq", "payments", "order-status", o.reference, status, "--db", db)
        assert proc.returncode == 0, proc.stderr
    doc = k.pull()
    assert orders.get_order(k.store, o.reference).status == "delivered"
    stock = {it["item_id"]: it["stock"] for it in doc["menu"]["items"]}
    assert stock["nasi-ayam"] == 38 and stock["teh-kotak"] == 39
    proc = run_lapas("hq", "payments", "report", "--facility", k.cfg.device.facility_id, "--db", db)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0].startswith("facility_id,wib_date,reference")
    assert any(o.reference in line and ",delivered," in line for line in lines)
    assert lines[-1].split(",")[2] == "TOTAL"
