"""Payments speed: QRIS payload per payment (build + CRC), QR matrix encoding, and the loopback round trip
charge -> settled -> receipt with the gateway simulator.

Goal (issue 7): <= 1 ms for the dynamic QRIS payload per payment. The QR matrix (qrcode) and the round trip
are reported as figures. Usage: ``python bench/payments.py [N]``.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import qrcode  # noqa: E402

from bench.report import exit_code, figure  # noqa: E402
from core import (
    identity,
    qris,  # noqa: E402
)
from core.demo_payments import demo_merchant_payload, demo_sections  # noqa: E402
from core.receipt_codes import new_reference  # noqa: E402
from hq.payments.gateway import MidtransGateway  # noqa: E402
from hq.payments.simulator import GatewaySimulator  # noqa: E402
from kiosk import config  # noqa: E402
from kiosk.payments import deposits  # noqa: E402
from kiosk.payments.reference import load_payment_sections  # noqa: E402
from kiosk.store import Store  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
ROUND_TRIPS = 50
GOAL_MS = 1.0
SERVER_KEY = "SB-Mid-server-BENCH"


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def timed(fn, n):
    lat = []
    for i in range(n):
        t0 = time.perf_counter()
        fn(i)
        lat.append((time.perf_counter() - t0) * 1000)
    return lat


def report(name, lat, goal=None):
    p50, p95, mean = statistics.median(lat), pct(lat, 95), statistics.fmean(lat)
    line = f"{name:<38} n={len(lat):<6} mean {mean:7.3f} ms  p50 {p50:7.3f} ms  p95 {p95:7.3f} ms"
    if goal:
        line += f"  -> p95/goal = {p95 / goal:.3f} ({'OK' if p95 <= goal else 'OVER'} vs {goal} ms)"
    print(line)
    if goal:
        figure(f"{name.strip()} p95", p95, "ms", goal)


def bench_qris():
    static = demo_merchant_payload()
    refs = [new_reference("deposit") for _ in range(N)]
    payloads = []

    def build(i):
        payloads.append(qris.make_dynamic(static, 10_000 + i, refs[i], terminal="kiosk-01"))

    report("QRIS dynamic payload (build + CRC)", timed(build, N), GOAL_MS)
    report("CRC-16 only", timed(lambda i: qris.crc_hex(payloads[i]), N))
    report("QRIS parse + CRC check", timed(lambda i: qris.parse(payloads[i]), N))

    def matrix(i):
        qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
        qr.add_data(payloads[i])
        qr.make(fit=True)
        return qr.get_matrix()

    def matrix_fixed_mask(i):
        qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, mask_pattern=0)
        qr.add_data(payloads[i])
        qr.make(fit=True)
        return qr.get_matrix()

    n_qr = min(N, 300)
    report("QR matrix (qrcode, EC M, best mask)", timed(matrix, n_qr))
    report("QR matrix (qrcode, EC M, mask 0)", timed(matrix_fixed_mask, n_qr))
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(payloads[0])
    qr.make(fit=True)
    print(f"  payload {len(payloads[0])} chars -> QR version {qr.version} ({17 + 4 * qr.version} modules)")


class Receiver:
    def __init__(self):
        self.bodies: dict[str, dict] = {}
        self.cond = threading.Condition()
        outer = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with outer.cond:
                    outer.bodies[body["order_id"]] = body
                    outer.cond.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/notify"

    def wait(self, order_id):
        with self.cond:
            self.cond.wait_for(lambda: order_id in self.bodies, 10)
            return self.bodies[order_id]


def bench_round_trip():
    from hardware.layouts import render

    tmp = Path(tempfile.mkdtemp(prefix="bench-payments-"))
    cfg = config.from_dict({"device": {"device_id": "kiosk-bench"}}, tmp)
    key = identity.create(cfg.keys_dir)
    store = Store(cfg.db_path, cfg.device.device_id)
    from kiosk.domain.reference import apply_reference

    sections = demo_sections()
    sections["deposit_rules"].update(daily_cap_per_inmate=10**12, balance_cap=10**12)
    apply_reference(store, {
        "format": "lapas-reference/1", "facility_id": cfg.device.facility_id, "version": 1,
        "as_of": "2026-11-30T02:00:00.000Z", "kind": "full", "since": None,
        "facility": {"id": cfg.device.facility_id, "name": "Lapas Bench", "address": "", "city": "",
                     "room_capacity": 100},
        "inmates": [{"id": "inm-1", "reg_no": "BI.0001/2025", "name": "Budi Santoso", "block": "A", "room": "A-1",
                     "code": "B", "visitable": True, "status": "active"}],
        "schedule": {"sessions": {"P": {"label": "Pagi", "start": "08:30", "end": "11:30"}},
                     "weekdays": {"1": [{"session": "P", "walk_in_quota": 60, "pre_registered_quota": 40,
                                         "inmate_codes": ["A", "B"]}]}},
        "limits": {"max_followers": 3, "max_children": 2, "visits_per_nik_per_week": 1,
                   "visits_per_inmate_per_week": 2, "pre_registration_lead_days": 1},
        **sections,
    })
    rec = Receiver()
    version = 1
    with GatewaySimulator(server_key=SERVER_KEY, notify_url=rec.url) as sim:
        gw = MidtransGateway(sim.url, SERVER_KEY)
        import requests

        admin = requests.Session()
        lat, parts = [], {"create+charge": [], "pay->webhook": [], "settle+receipt": []}
        for i in range(ROUND_TRIPS):
            t0 = time.perf_counter()
            d = deposits.create_deposit(store, cfg, key, deposits.DepositRequest(
                "BI.0001/2025", "3524014507900003", "Siti Aminah", 50_000 + i), mode="online")
            charge = gw.create_charge(d.total, d.event_id, timedelta(minutes=15))
            deposits.attach_charge(store, d.deposit_id, charge.qr_string, charge.expires_at, charge.order_id)
            t1 = time.perf_counter()
            admin.post(f"{sim.url}/sim/qris/pay", json={"qris": charge.qr_string}, timeout=10).raise_for_status()
            note = gw.verify_notification(rec.wait(charge.order_id))
            t2 = time.perf_counter()
            version += 1
            load_payment_sections(store, {"payment_updates": [
                {"reference": d.reference, "kind": "deposit", "status": "settled", "amount": note.amount - d.fee,
                 "at": "2026-11-30T03:00:00.000Z"}]}, version)
            raw = render(deposits.receipt_data(store, cfg, d.reference))
            assert b"LUNAS" in raw
            t3 = time.perf_counter()
            lat.append((t3 - t0) * 1000)
            parts["create+charge"].append((t1 - t0) * 1000)
            parts["pay->webhook"].append((t2 - t1) * 1000)
            parts["settle+receipt"].append((t3 - t2) * 1000)
    report("round trip charge->settled->receipt", lat)
    for name, values in parts.items():
        report(f"  {name}", values)
    store.close()
    rec.httpd.shutdown()


if __name__ == "__main__":
    print(f"== payments bench (N={N}, round trips={ROUND_TRIPS})")
    bench_qris()
    bench_round_trip()
    sys.exit(exit_code())
