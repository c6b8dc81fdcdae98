"""Deposits and food orders on the touchscreen, end to end on loopback: a real `lapas hq serve`, the real
`lapas sim gateway` (paid / expired through its admin API, as a payer's app would), the printer simulator on a
pty, `lapas sync --once`, and one kiosk app for the whole module driven by touches, with screenshots.

* an amount over the maximum explained in Indonesian, nothing written; then an online deposit paid -> the
  screen says LUNAS and the printed receipt says LUNAS;
* HQ down -> the kiosk's own QRIS, a receipt saying MENUNGGU KONFIRMASI; HQ back, the family pays, the kiosk
  syncs -> "Check a payment" says LUNAS and its reprint says LUNAS;
* an online charge the gateway expires -> the screen says so, nothing printed;
* a food order paid, then prepared at HQ -> the status by receipt number says so;
"""

from __future__ import annotations

import io
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

from core import qris
from core.demo_payments import demo_sections
from hardware.simproc import SimError, spawn_printer_sim
from hq import reference as hq_reference
from hq.operators import add_facility, import_inmates
from hq.payments import settlement
from tests.conftest import ROOT
from tests.support.hqproc import HQProcess, die_with_parent, free_port, make_device, open_db, run_sync
from tests.ui import payments_flows as pf

pytestmark = [pytest.mark.ui, pytest.mark.xdist_group("payments_ui")]
pytest.importorskip("kiosk.domain.reference", reason="the visits core (issue 3) is not built yet")

KEY = "SB-Mid-server-UITEST"
FACILITY = "LPS-UIPAY"
INMATES = "id,reg_no,name,block,room,code,visitable,status\n" + "".join(
    f"inm-{i},BI.{i:04d}/2025,Warga Binaan {chr(64 + i)},A,A-{i:02d},B,true,active\n" for i in range(1, 9))
SCHEDULE = {"sessions": {"P": {"label": "Pagi", "start": "08:30", "end": "11:30"}},
            "weekdays": {str(d): [{"session": "P", "walk_in_quota": 60, "pre_registered_quota": 40,
                                   "inmate_codes": ["A", "B"]}] for d in range(1, 8)}}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("uipay")
    port = free_port()
    sim = subprocess.Popen([sys.executable, "-m", "lapas", "sim", "gateway", "--server-key", KEY, "--notify-url",
                            f"http://127.0.0.1:{port}/v1/payments/notify"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True, cwd=ROOT, preexec_fn=die_with_parent)
    sim_url = sim.stdout.readline().strip()
    db_url = str(tmp / "hq.db")
    db = open_db(db_url)
    hq = HQProcess(db_url, port=port, log_path=tmp / "hq.log",
                   env={"LAPAS_GATEWAY_URL": sim_url, "LAPAS_GATEWAY_SERVER_KEY": KEY}).start()
    with db.write() as conn:
        add_facility(conn, FACILITY, "Lapas Uji Pembayaran")
        import_inmates(conn, FACILITY, INMATES)
        hq_reference.set_doc(conn, FACILITY, "schedule", SCHEDULE)
        for name in settlement.DOC_SECTIONS:
            settlement.set_doc(conn, FACILITY, name, demo_sections()[name])
    cfg = make_device(tmp / "kiosk", db, hq.url, facility_id=FACILITY, timeout_s=3.0)
    printer = spawn_printer_sim(tmp / "receipts")
    cfg.printer.port = printer.path
    from kiosk import config

    config.save(cfg)
    synced = run_sync(cfg, "--once")
    assert synced.returncode == 0, synced.stderr
    yield SimpleNamespace(sim_url=sim_url, sim=sim, hq=hq, db=db, db_url=db_url, port=port, cfg=cfg,
                          printer=printer, tmp=tmp)
    printer.stop()
    hq.stop()
    sim.terminate()
    sim.wait(10)
    db.dispose()


@pytest.fixture(scope="module")
def kiosk(stack, kivy_window, tmp_path_factory):
    """One kiosk app for the module (Kivy keeps one window per process; starting an app costs seconds)."""
    from kiosk import config
    from kiosk.ui.app import KioskApp
    from tests.support.harness import Harness

    cfg = config.load(stack.cfg.data_dir)
    app = KioskApp(cfg, voice_dir=tmp_path_factory.mktemp("voice"))
    h = Harness(app).start()
    yield h
    h.stop()
    from core import i18n

    i18n.set_language(i18n.DEFAULT_LANGUAGE)


@pytest.fixture
def h(kiosk, stack, shots_dir):
    """The module's kiosk, at home, in Indonesian, with HQ up; screenshots into this test's folder."""
    from core import i18n

    if stack.hq.proc is None or stack.hq.proc.poll() is not None:
        stack.hq = HQProcess(stack.db_url, port=stack.port, log_path=stack.tmp / "hq.log", env=stack.hq.env).start()
    kiosk.shots_dir, kiosk.shots = shots_dir, []
    i18n.set_language("id")
    kiosk.app.reset_to_home()
    kiosk.settle()
    yield kiosk
    kiosk.app.reset_to_home()
    kiosk.settle()


def receipt(stack, ref: str, timeout: float = 20) -> str:
    """The text of the next printed receipt, which must be about ``ref``."""
    line = stack.printer.wait_for("receipt ", timeout)
    text = Path(line.split(" ", 2)[2]).read_text(encoding="utf-8")
    assert ref in text, text
    return text


def decode_screen_qr(png: Path) -> str:
    """What a payer's phone reads from the QR on the screenshot (zxing-cpp)."""
    import zxingcpp
    from PIL import Image

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.read_bytes())).convert("L"))
    payloads = [r.text for r in found if r.format == zxingcpp.BarcodeFormat.QRCode]
    assert len(payloads) == 1, f"{len(payloads)} QR codes on {png}"
    return payloads[0]


def hq_status(stack, ref: str, want: str, timeout: float = 15) -> str:
    deadline = time.monotonic() + timeout
    while True:
        with stack.db.read() as conn:
            p = settlement.payment(conn, ref)
        if (p and p["status"] == want) or time.monotonic() > deadline:
            return p and p["status"]
        time.sleep(0.1)


def waiting_settlement(stack, ref: str) -> bool:
    from hq.payments.operations import unmatched_settlements

    with stack.db.read() as conn:
        return any(u["qris_reference"] == ref for u in unmatched_settlements(conn))


def sim_pay(stack, payload: str) -> None:
    r = requests.post(f"{stack.sim_url}/sim/qris/pay", json={"qris": payload}, timeout=10)
    assert r.status_code == 200, r.text


def test_online_deposit_paid_shows_and_prints_lunas(h, stack):
    """Also: an amount over the maximum is explained in Indonesian first, and nothing is written for it."""
    from kiosk.store import Store
    from tests.support.harness import find_key

    app = h.app
    with Store(stack.cfg.db_path, stack.cfg.device.device_id) as store:
        before = store.scalar("SELECT COUNT(*) FROM deposits")
    pf.who(h, "deposit", "BI.0001/2025", shot=h.screenshot)
    h.settle()
    amount = app.sm.get_screen("deposit_amount")
    h.type(amount.ids.keypad, "5000000")
    assert amount.help == "Rp 5.000.000"
    h.tap(find_key(amount.ids.keypad, "enter"), count=False)
    h.settle()
    h.screenshot("amount-refused")
    assert app.sm.current == "deposit_amount" and app.panel is not None
    assert app.panel.title == "Jumlah ini tidak dapat dikirim"
    assert app.panel.message == "Setoran maksimal Rp 1.000.000 per transaksi."
    with Store(stack.cfg.db_path, stack.cfg.device.device_id) as store:
        assert store.scalar("SELECT COUNT(*) FROM deposits") == before
    h.tap(pf.button(app.panel, "OK"), count=False)

    pf.choose_amount(h, 150_000, shot=h.screenshot)
    qr = app.sm.get_screen("pay_qr")
    assert not qr.offline and qr.pay_state == "waiting" and qr.status_line == "Menunggu pembayaran"
    shot = h.screenshot("deposit-qr-online")
    payload = decode_screen_qr(shot)  # the payer's phone scans the screen
    assert payload == qr.qr and qris.parse(payload).amount == 150_000
    ref = app.payment_form.reference
    sim_pay(stack, payload)
    h.wait(lambda: app.sm.current == "pay_done", timeout=20, what="the kiosk to see the settlement")
    done = app.sm.get_screen("pay_done")
    assert done.verdict == "LUNAS" and done.reference == ref
    assert done.note == "Pembayaran sudah dikonfirmasi."
    paper = receipt(stack, ref)
    h.settle()
    h.screenshot("deposit-lunas")
    assert "LUNAS" in paper and "MENUNGGU" not in paper and "Rp 150.000" in paper
    assert done.print_state == "printed"
    assert hq_status(stack, ref, "credited") == "credited"


def test_offline_deposit_pending_then_lunas_after_sync(h, stack):
    app = h.app
    stack.hq.stop()  # headquarters unreachable
    pf.deposit_to_qr(h, "BI.0002/2025", 200_000)
    qr = app.sm.get_screen("pay_qr")
    ref = app.payment_form.reference
    assert qr.offline and qr.pay_state == "waiting"
    parsed = qris.parse(qr.qr)
    assert parsed.reference == ref and parsed.amount == 200_000  # the kiosk's own dynamic QRIS
    paper = receipt(stack, ref)  # printed at once: the visitor keeps the reference
    h.settle()
    shot = h.screenshot("deposit-qr-offline")
    payload = decode_screen_qr(shot)
    assert payload == qr.qr
    assert "MENUNGGU KONFIRMASI" in paper and "LUNAS" not in paper
    h.tap(qr.ids.paid_button)  # "Selesai"
    done = app.sm.get_screen("pay_done")
    assert app.sm.current == "pay_done" and done.verdict == "MENUNGGU KONFIRMASI"
    h.screenshot("deposit-pending")
    h.tap(done.ids.finish)

    stack.hq = HQProcess(stack.db_url, port=stack.port, log_path=stack.tmp / "hq.log", env=stack.hq.env).start()
    sim_pay(stack, payload)  # the family pays the QR they scanned; HQ hears of it before the kiosk syncs
    deadline = time.monotonic() + 15
    while not waiting_settlement(stack, ref):
        assert time.monotonic() < deadline, "the gateway's settlement did not reach HQ"
        time.sleep(0.1)
    synced = run_sync(stack.cfg, "--once")  # the kiosk reconnects: HQ matches, reference data brings LUNAS
    assert synced.returncode == 0, synced.stderr
    assert hq_status(stack, ref, "credited", timeout=0) == "credited"
    status = pf.check_receipt(h, ref, shot=h.screenshot)
    assert status.verdict == "LUNAS" and status.status_line.startswith("Lunas dan sudah masuk")
    h.tap(status.ids.print_button)
    reprint = receipt(stack, ref)
    h.settle()
    h.screenshot("reprint-lunas")
    assert "LUNAS" in reprint and "MENUNGGU" not in reprint


def test_online_charge_expired_by_the_gateway(h, stack):
    app = h.app
    pf.deposit_to_qr(h, "BI.0003/2025", 50_000)
    qr = app.sm.get_screen("pay_qr")
    assert not qr.offline
    order_id = app.payment_form.record.event_id
    r = requests.post(f"{stack.sim_url}/sim/charges/{order_id}/expire", timeout=10)
    assert r.status_code == 200, r.text
    h.wait(lambda: qr.pay_state == "expired", timeout=20, what="the expiry to reach the screen")
    h.screenshot("deposit-expired")
    assert app.sm.current == "pay_qr" and qr.qr == ""  # nothing left to scan
    assert qr.ids.headline.text == "Waktu pembayaran habis"
    assert qr.ids.again.text == "Mulai lagi" and not qr.ids.again.hidden and qr.ids.paid_button.hidden
    with pytest.raises(SimError):
        stack.printer.wait_for("receipt ", 1.0)  # no receipt for an unpaid payment
    h.tap(qr.ids.again)
    assert app.sm.current == "home" and app.payment_form.record is None


def test_food_order_paid_then_prepared(h, stack, run_lapas):
    app = h.app
    pf.order_to_qr(h, "BI.0004/2025", {0: 2, 2: 1}, shot=h.screenshot)
    qr = app.sm.get_screen("pay_qr")
    ref, verify_qr = app.payment_form.reference, app.payment_form.record.verify_qr
    assert qris.parse(qr.qr).amount == 2 * 25_000 + 18_000
    sim_pay(stack, decode_screen_qr(h.screenshot("order-qr")))
    h.wait(lambda: app.sm.current == "pay_done", timeout=20, what="the order to be paid")
    assert app.sm.get_screen("pay_done").verdict == "LUNAS"
    paper = receipt(stack, ref)
    assert "PESANAN KANTIN" in paper and "LUNAS" in paper and "2 x Rp 25.000" in paper and "Mie Goreng" in paper
    h.screenshot("order-lunas")
    h.tap(app.sm.get_screen("pay_done").ids.finish)

    proc = run_lapas("hq", "payments", "order-status", ref, "prepared", "--db", stack.db_url)
    assert proc.returncode == 0, proc.stderr
    assert run_sync(stack.cfg, "--once").returncode == 0
    status = pf.check_receipt(h, ref, shot=h.screenshot)
    assert status.status_line.startswith("Sedang disiapkan kantin"), status.status_line
    assert status.verdict == "LUNAS"

    h.tap(status.ids.again)  # the receipt's verification QR under the kiosk's scanner finds it too
    app.reset_to_home()
    app.scanned(verify_qr.replace(f"|{2 * 25_000 + 18_000}|", "|1000|"))  # altered: not looked up
    h.settle()
    assert app.sm.current == "pay_status" and not status.found and ref in status.help
    app.scanned(verify_qr)
    h.settle()
    assert status.found and status.reference == ref and status.ids.code.value == ref
