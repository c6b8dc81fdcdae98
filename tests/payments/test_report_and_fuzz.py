"""HQ's daily settlement report (dashboard page and CSV) over real HTTP, and schemathesis against every payments
route with a gateway configured: whatever is sent -- unsigned, or signed by an enrolled kiosk -- no 5xx."""

from __future__ import annotations

import csv
import io
import re
import time
import uuid

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings

from core import identity
from core.demo_payments import demo_sections
from core.ids import today_wib
from hq import reference as hq_reference
from hq.operators import import_inmates
from hq.payments import settlement
from hq.payments.gateway import MidtransGateway
from hq.payments.operations import report_csv
from hq.payments.simulator import GatewaySimulator
from kiosk.payments import deposits
from kiosk.payments.online import PaymentsClient, start_payment
from kiosk.store import Store
from sync.client import HQClient
from tests.hq.conftest import ServerThread
from tests.hq.test_openapi_fuzz import DeviceSigner
from tests.payments.conftest import NIK, SCHEDULE, load_reference
from tests.support.hqproc import make_device, open_db, pg_url, require_pg

KEY = "SB-Mid-server-REPORT"
FACILITY = "LPS-RPT"
INMATES = ("id,reg_no,name,block,room,code,visitable,status\n"
           "inm-1,BI.0001/2025,Budi Santoso,A,A-01,B,true,active\n"
           "inm-2,BI.0002/2025,Agus Wijaya,A,A-02,B,true,active\n")


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def hq(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    if request.param == "postgresql":
        require_pg()
    db = open_db(str(tmp / "hq.db") if request.param == "sqlite" else pg_url("rpt"))
    srv = ServerThread(db)
    sim = GatewaySimulator(server_key=KEY, notify_url=f"{srv.url}/v1/payments/notify", notify_backoff_s=0.1).start()
    srv.server.config.app.state.payment_provider = MidtransGateway(sim.url, KEY)
    srv.start()
    cfg = make_device(tmp / "kiosk", db, srv.url, facility_id=FACILITY)
    with db.write() as conn:
        import_inmates(conn, FACILITY, INMATES)
        hq_reference.set_doc(conn, FACILITY, "schedule", SCHEDULE)
        for name in settlement.DOC_SECTIONS:
            settlement.set_doc(conn, FACILITY, name, demo_sections()[name])
    key = identity.load(cfg.keys_dir)
    client = HQClient(srv.url, cfg.device.device_id, key, timeout=10)
    store = Store(cfg.db_path, cfg.device.device_id)
    load_reference(store, client.get_reference(None)[0])
    yield srv, sim, db, cfg, key, store, client
    store.close()
    client.close()
    srv.stop()
    sim.stop()
    db.drop_pg_schema()
    db.dispose()


def _wait_status(db, ref, want, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.read() as conn:
            p = settlement.payment(conn, ref)
        if p and p["status"] == want:
            return p
        time.sleep(0.05)
    raise AssertionError(f"{ref} did not become {want}: {p}")


def card(html: str, ident: str) -> str:
    return re.search(rf'id="{ident}"[^>]*>([^<]*)<', html).group(1)


def test_daily_report_page_and_csv(hq):
    srv, sim, db, cfg, key, store, client = hq
    pay = PaymentsClient(client)

    def deposit(amount, mode, reg_no="BI.0001/2025"):
        d = deposits.create_deposit(store, cfg, key, deposits.DepositRequest(reg_no, NIK, "Siti <b>Aminah</b>",
                                                                             amount), mode=mode)
        return start_payment(store, cfg, pay, "deposit", d) if mode == "online" else d

    paid = deposit(150_000, "online")
    assert requests.post(f"{sim.url}/sim/qris/pay", json={"qris": paid.qris}, timeout=10).status_code == 200
    _wait_status(db, paid.reference, "credited")
    waiting = deposit(50_000, "online", "BI.0002/2025")
    offline = deposit(70_000, "offline")  # paid before the kiosk syncs: an unmatched settlement at HQ
    assert requests.post(f"{sim.url}/sim/qris/pay", json={"qris": offline.qris}, timeout=10).status_code == 200
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and offline.reference not in requests.get(
            f"{srv.url}/reports/{FACILITY}/payments", timeout=10).text:
        time.sleep(0.05)

    page = requests.get(f"{srv.url}/reports/{FACILITY}/payments", timeout=10)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "<script" not in html.lower() and "Siti &lt;b&gt;Aminah&lt;/b&gt;" in html  # escaped, no JS
    assert card(html, "payments") == "2" and card(html, "paid-count") == "1"
    assert card(html, "paid-total") == "Rp 150.000" and card(html, "credited-total") == "Rp 150.000"
    assert card(html, "waiting-count") == "1" and card(html, "fees-total") == "Rp 0"
    rows = html[html.index('id="payment-rows"'):html.index('id="refunds"')]
    assert paid.reference in rows and waiting.reference in rows and "lunas, dikredit" in rows
    unmatched = html[html.index('id="unmatched"'):]
    assert offline.reference in unmatched and "Rp 70.000" in unmatched  # waits for the kiosk's sync
    day = today_wib().isoformat()
    assert f'href="/reports/{FACILITY}/payments.csv?date={day}"' in html

    got = requests.get(f"{srv.url}/reports/{FACILITY}/payments.csv", params={"date": day}, timeout=10)
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert f"settlement-{FACILITY}-{day}.csv" in got.headers["content-disposition"]
    with db.read() as conn:
        assert got.text == report_csv(conn, FACILITY, day)
    table = list(csv.DictReader(io.StringIO(got.text)))
    assert table[-1]["reference"] == "TOTAL" and table[-1]["paid_amount"] == "150000"

    other_day = requests.get(f"{srv.url}/reports/{FACILITY}/payments", params={"date": "2020-01-01"}, timeout=10)
    assert other_day.status_code == 200 and card(other_day.text, "payments") == "0"
    assert requests.get(f"{srv.url}/reports/NOPE/payments", timeout=10).status_code == 404
    assert requests.get(f"{srv.url}/reports/NOPE/payments.csv", timeout=10).status_code == 404
    assert requests.get(f"{srv.url}/reports/{FACILITY}/payments", params={"date": "2026-02-31"},
                        timeout=10).status_code == 400
    assert requests.get(f"{srv.url}/reports/{FACILITY}/payments.csv", params={"date": "yesterday"},
                        timeout=10).status_code == 422
    facility_page = requests.get(f"{srv.url}/dashboard/{FACILITY}", timeout=10).text
    assert f'href="/reports/{FACILITY}/payments"' in facility_page


def test_payments_routes_never_answer_5xx(hq):
    srv, _sim, _db, cfg, key, _store, _client = hq
    signed = requests.Session()
    signed.auth = DeviceSigner(cfg.device.device_id, key)
    schema = schemathesis.openapi.from_url(srv.url + "/openapi.json")
    ops = [op for op in (r.ok() for r in schema.get_all_operations())
           if op.path.startswith(("/v1/payments", "/reports"))]
    assert {op.path for op in ops} == {"/v1/payments/charges", "/v1/payments/{reference}", "/v1/payments/notify",
                                       "/reports/{facility_id}/payments", "/reports/{facility_id}/payments.csv"}
    for op in ops:
        fuzz(op, signed)


def fuzz(op, signed):
    @given(case=op.as_strategy())
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case):
        unsigned = case.call(timeout=10)
        assert unsigned.status_code < 500, (op.path, unsigned.status_code, unsigned.text[:300])
        answer = case.call(session=signed, timeout=10)
        assert answer.status_code < 500, (op.path, answer.status_code, answer.text[:300])

    check()


def test_payments_unavailable_without_a_gateway_is_a_4xx(tmp_path):
    """No gateway configured at HQ: a clear 409 (retrying cannot help) that sends the kiosk to its offline QRIS."""
    db = open_db(str(tmp_path / "hq.db"))
    srv = ServerThread(db).start()
    try:
        cfg = make_device(tmp_path / "k", db, srv.url, facility_id="LPS-NOGW")
        s = requests.Session()
        s.auth = DeviceSigner(cfg.device.device_id, identity.load(cfg.keys_dir))
        body = {"type": "deposit.created", "event_id": str(uuid.uuid4()), "payload": {}}
        r = s.post(srv.url + "/v1/payments/charges", json=body, timeout=10)
        assert r.status_code == 409 and r.json()["code"] == "payments_unavailable"
        note = requests.post(srv.url + "/v1/payments/notify", json={"order_id": "x"}, timeout=10)
        assert note.status_code == 409
    finally:
        srv.stop()
        db.dispose()
