"""The Midtrans-style adapter against the gateway simulator: real HTTP servers on loopback, signed webhooks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from core import qris
from core.demo_payments import demo_merchant_payload
from core.ids import utcnow
from hq.payments import gateway
from hq.payments.gateway import MidtransGateway, signature_key, verify_notification
from hq.payments.provider import (
    DuplicateOrder,
    NotificationError,
    ProviderAuthError,
    ProviderRejected,
    ProviderUnavailable,
    SignatureError,
    UnknownOrder,
    check_transition,
)
from hq.payments.simulator import GatewaySimulator

KEY = "SB-Mid-server-TEST-" + "x" * 8
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Receiver:
    """A webhook endpoint on loopback that records what it is sent; can fail the first N deliveries."""

    def __init__(self, fail_first: int = 0):
        self.bodies: list[dict] = []
        self.fail_left = fail_first
        self.cond = threading.Condition()
        outer = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with outer.cond:
                    if outer.fail_left > 0:
                        outer.fail_left -= 1
                        status = 500
                    else:
                        outer.bodies.append(body)
                        status = 200
                    outer.cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/webhook"

    def wait_for(self, n: int, timeout: float = 10) -> list[dict]:
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.bodies) >= n, timeout), f"got {len(self.bodies)} of {n}"
            return list(self.bodies)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def sim(receiver):
    with GatewaySimulator(server_key=KEY, notify_url=receiver.url, notify_backoff_s=0.05) as s:
        yield s


@pytest.fixture
def gw(sim):
    return MidtransGateway(sim.url, KEY, timeout=5)


def test_charge_status_pay_and_signed_settlement(gw, sim, receiver):
    before = utcnow()
    charge = gw.create_charge(150_000, "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", timedelta(minutes=15))
    assert charge.amount == 150_000 and charge.status == "pending"
    assert timedelta(minutes=14) < charge.expires_at - before <= timedelta(minutes=15, seconds=1)
    p = qris.parse(charge.qr_string)
    assert p.is_dynamic and p.amount == 150_000
    assert gw.status(charge.order_id).status == "pending"
    requests.post(f"{sim.url}/sim/charges/{charge.order_id}/pay", json={}, timeout=5).raise_for_status()
    st = gw.status(charge.order_id)
    assert st.status == "settlement" and st.amount == 150_000 and st.settled_at is not None
    body = receiver.wait_for(1)[0]
    assert body["transaction_status"] == "settlement" and body["status_code"] == "200"
    assert body["gross_amount"] == "150000.00"
    n = gw.verify_notification(body)
    assert n.order_id == charge.order_id and n.status == "settlement" and n.amount == 150_000
    assert type(n.amount) is int


def test_forged_and_altered_notifications_are_refused(gw, sim, receiver):
    charge = gw.create_charge(50_000, "order-forge-1", timedelta(minutes=5))
    requests.post(f"{sim.url}/sim/charges/{charge.order_id}/pay", json={}, timeout=5)
    body = receiver.wait_for(1)[0]
    with pytest.raises(SignatureError):
        verify_notification(body, "another-server-key")
    altered = {**body, "gross_amount": "5000000.00"}
    with pytest.raises(SignatureError):
        gw.verify_notification(altered)
    forged = {**body, "order_id": "someone-else"}
    with pytest.raises(SignatureError):
        gw.verify_notification(forged)
    with pytest.raises(NotificationError):
        gw.verify_notification({"order_id": "x"})
    # a self-consistent forgery needs the server key
    fake = dict(body, signature_key=signature_key(body["order_id"], "200", body["gross_amount"], "guess"))
    with pytest.raises(SignatureError):
        gw.verify_notification(fake)


def test_duplicate_delivery_is_byte_identical(gw, sim, receiver):
    charge = gw.create_charge(20_000, "order-dup-1", timedelta(minutes=5))
    requests.post(f"{sim.url}/sim/charges/{charge.order_id}/pay", json={}, timeout=5)
    requests.post(f"{sim.url}/sim/charges/{charge.order_id}/resend", json={}, timeout=5).raise_for_status()
    first, second = receiver.wait_for(2)
    assert first == second
    assert gw.verify_notification(second).status == "settlement"


def test_expire_deny_cancel(gw, sim, receiver):
    a = gw.create_charge(10_000, "order-exp", timedelta(seconds=1))
    b = gw.create_charge(10_000, "order-deny", timedelta(minutes=5))
    c = gw.create_charge(10_000, "order-cancel", timedelta(minutes=5))
    requests.post(f"{sim.url}/sim/charges/{b.order_id}/fail", json={}, timeout=5)
    assert gw.cancel(c.order_id).status == "cancel"
    with pytest.raises(ProviderRejected):
        gw.cancel(c.order_id)  # no longer pending
    bodies = receiver.wait_for(3, timeout=10)
    by_order = {x["order_id"]: x for x in bodies}
    assert by_order[a.order_id]["transaction_status"] == "expire" and by_order[a.order_id]["status_code"] == "407"
    assert by_order[b.order_id]["transaction_status"] == "deny"
    assert by_order[c.order_id]["transaction_status"] == "cancel"
    assert gw.status(a.order_id).status == "expire"
    r = requests.post(f"{sim.url}/sim/charges/{a.order_id}/pay", json={}, timeout=5)
    assert r.status_code == 412  # an expired charge cannot be paid


def test_gateway_errors(gw, sim):
    gw.create_charge(10_000, "order-1", timedelta(minutes=5))
    with pytest.raises(DuplicateOrder):
        gw.create_charge(10_000, "order-1", timedelta(minutes=5))
    with pytest.raises(UnknownOrder):
        gw.status("no-such-order")
    with pytest.raises(ProviderAuthError):
        MidtransGateway(sim.url, "wrong-key").status("order-1")
    with pytest.raises(ValueError):
        gw.create_charge(10_000, "bad order id!", timedelta(minutes=5))
    with pytest.raises(TypeError):
        gw.create_charge(10_000.0, "order-2", timedelta(minutes=5))  # type: ignore[arg-type]
    r = requests.post(f"{sim.url}/v2/charge", auth=(KEY, ""), timeout=5, json={
        "payment_type": "qris", "transaction_details": {"order_id": "order-3", "gross_amount": 10000.5}})
    assert r.status_code == 400


def test_unreachable_gateway_is_retryable():
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(ProviderUnavailable) as e:
        MidtransGateway(f"http://127.0.0.1:{port}", KEY, timeout=2).status("x")
    assert e.value.retryable


def test_paying_a_kiosk_offline_qris_reports_its_reference(sim, receiver, gw):
    static = demo_merchant_payload()
    offline = qris.make_dynamic(static, 275_000, "D01JD8KX2M4Q7Z9A", terminal="kiosk-01")
    r = requests.post(f"{sim.url}/sim/qris/pay", json={"qris": offline}, timeout=5)
    assert r.status_code == 200, r.text
    body = receiver.wait_for(1)[0]
    n = gw.verify_notification(body)
    assert n.status == "settlement" and n.amount == 275_000
    assert n.qris_reference == "D01JD8KX2M4Q7Z9A" and n.qris_terminal == "kiosk-01"
    again = requests.post(f"{sim.url}/sim/qris/pay", json={"qris": offline}, timeout=5)
    assert again.status_code == 409
    other = qris.make_dynamic(demo_merchant_payload("WARUNG LAIN"), 1_000, "X1")
    other_tags = dict(qris.parse(other))
    other_tags["51"] = {**other_tags["51"], "02": "ID1099999999999"}
    r = requests.post(f"{sim.url}/sim/qris/pay", json={"qris": qris.build(other_tags)}, timeout=5)
    assert r.status_code == 403
    r = requests.post(f"{sim.url}/sim/qris/pay", json={"qris": offline[:-1] + "0"}, timeout=5)
    assert r.status_code == 400 and "bad_crc" in r.text


def test_paying_a_charge_qr_settles_that_charge(gw, sim, receiver):
    charge = gw.create_charge(99_000, "order-scan", timedelta(minutes=5))
    r = requests.post(f"{sim.url}/sim/qris/pay", json={"qris": charge.qr_string}, timeout=5)
    assert r.status_code == 200
    assert gw.status("order-scan").status == "settlement"
    assert receiver.wait_for(1)[0]["order_id"] == "order-scan"


def test_notifications_are_retried_until_delivered():
    rec = Receiver(fail_first=2)
    try:
        with GatewaySimulator(server_key=KEY, notify_url=rec.url, notify_backoff_s=0.05) as s:
            gw = MidtransGateway(s.url, KEY)
            gw.create_charge(1_000, "order-retry", timedelta(minutes=5))
            requests.post(f"{s.url}/sim/charges/order-retry/pay", json={}, timeout=5)
            assert rec.wait_for(1)[0]["order_id"] == "order-retry"
            deadline = time.monotonic() + 5
            while len([d for d in s.deliveries if d.get("http_status") == 200]) < 1 and time.monotonic() < deadline:
                time.sleep(0.01)
            attempts = [d for d in s.deliveries if d["order_id"] == "order-retry"]
            assert [d.get("http_status") for d in attempts] == [500, 500, 200]
    finally:
        rec.close()


def test_final_statuses_never_change():
    assert check_transition(None, "pending") and check_transition("pending", "settlement")
    assert check_transition("settlement", "settlement")
    assert not check_transition("settlement", "pending") and not check_transition("expire", "settlement")
    assert not check_transition("pending", "paid")


def test_gross_amount_text_to_integer_rupiah():
    assert gateway.parse_gross_amount("150000.00") == 150_000
    assert gateway.parse_gross_amount("150000") == 150_000
    for bad in ("150000.50", 150000.0, "1e5", "", True):
        with pytest.raises(NotificationError):
            gateway.parse_gross_amount(bad)


def test_cli_simulator_and_admin_commands(receiver):
    env = {k: v for k, v in os.environ.items() if k != "LAPAS_HOME"}
    proc = subprocess.Popen([sys.executable, "-m", "lapas", "sim", "gateway", "--port", "0", "--server-key", KEY,
                             "--notify-url", receiver.url], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT, env=env)
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), proc.stderr.read() if proc.poll() is not None else url
        gw = MidtransGateway(url, KEY)
        gw.create_charge(42_000, "order-cli", timedelta(minutes=5))

        def lapas(*args):
            return subprocess.run([sys.executable, "-m", "lapas", "sim", "gateway", *args, "--url", url],
                                  capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)

        out = lapas("pay", "order-cli")
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["transaction_status"] == "settlement"
        assert gw.verify_notification(receiver.wait_for(1)[0]).amount == 42_000
        listed = json.loads(lapas("list").stdout)
        assert [c["order_id"] for c in listed["charges"]] == ["order-cli"]
        bad = lapas("expire", "order-cli")
        assert bad.returncode != 0 and "not pending" in bad.stderr
        offline = qris.make_dynamic(demo_merchant_payload(), 60_000, "D0000000000000AB", terminal="kiosk-02")
        out = lapas("pay-qris", offline)
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["qris_reference"] == "D0000000000000AB"
    finally:
        proc.terminate()
        proc.wait(timeout=10)

