"""The guard station checks payment receipts offline: the verification QR of a deposit receipt, typed by the
real scanner simulator over a pty, shows whether the receipt is genuine and what headquarters reported about
it (reference data loaded with `lapas reference load`)."""

from __future__ import annotations

import json

import pytest

from core import identity
from core.ids import now_iso
from hardware.scanner import ScannerReader
from hardware.simproc import spawn_scanner_sim
from kiosk import config
from kiosk.payments import deposits
from kiosk.store import Store
from tests.conftest import init_device, lapas
from tests.ui.flows import prepare_demo, visitable_inmates
from tests.ui.payments_flows import NIK

pytestmark = pytest.mark.ui
pytest.importorskip("kiosk.domain.gate", reason="the visits core (issue 3) is not built yet")


def test_guard_tells_paid_unconfirmed_and_fake_receipts_apart(start_app, kiosk_dir, tmp_path):
    doc = prepare_demo(kiosk_dir)
    kiosk_cfg = config.load(kiosk_dir)
    key = identity.load(kiosk_cfg.keys_dir)
    inmate = visitable_inmates(doc)[0]["reg_no"]
    with Store(kiosk_cfg.db_path, kiosk_cfg.device.device_id) as store:
        paid = deposits.create_deposit(store, kiosk_cfg, key, deposits.DepositRequest(inmate, NIK, "SITI", 150_000))
        unconfirmed = deposits.create_deposit(store, kiosk_cfg, key,
                                              deposits.DepositRequest(inmate, NIK, "SITI", 50_000))
    forged = paid.verify_qr.replace("|150000|", "|950000|")

    guard_dir = init_device(tmp_path / "guard", "--role", "guard")
    doc["trusted_keys"] = [{"key_id": key.key_id, "device_id": kiosk_cfg.device.device_id,
                            "public_key": key.public_b64, "revoked": False}]
    doc["payment_updates"] = [{"reference": paid.reference, "kind": "deposit", "status": "credited",
                               "amount": 150_000, "at": now_iso()}]
    ref = tmp_path / "guard-reference.json"
    ref.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    lapas("reference", "load", str(ref), "--data-dir", str(guard_dir), check=True)

    from kiosk.ui.guard.app import GuardApp

    sim = spawn_scanner_sim(paid.verify_qr, forged, unconfirmed.verify_qr, interval=1.5)
    try:
        h = start_app(guard_dir, cls=GuardApp)
        h.app.scanner = ScannerReader(sim.path, 9600, "CR", on_line=h.app._line_from_scanner).start()
        app = h.app
        h.wait(lambda: app.sm.current == "receipt_check", timeout=20, what="the first receipt verdict")
        h.settle()
        scr = app.sm.get_screen("receipt_check")
        assert scr.code == "ok" and scr.is_paid and scr.headline == "BUKTI ASLI"
        assert scr.paid_line.startswith("LUNAS: Lunas dan sudah masuk")
        assert ("Nomor bukti", paid.reference) in scr.details and ("Jumlah", "Rp 150.000") in scr.details
        h.screenshot("guard-receipt-paid")

        h.wait(lambda: scr.code == "forged", timeout=20, what="the altered receipt")
        h.settle()
        assert scr.headline == "BUKTI PALSU" and not scr.is_paid and scr.paid_line == ""
        h.screenshot("guard-receipt-forged")

        h.wait(lambda: scr.code == "ok" and not scr.is_paid, timeout=20, what="the unconfirmed receipt")
        h.settle()
        assert scr.headline == "BUKTI ASLI" and "MENUNGGU KONFIRMASI" in scr.paid_line
        assert ("Nomor bukti", unconfirmed.reference) in scr.details
        h.screenshot("guard-receipt-unconfirmed")
        assert app.scanned_lines == [paid.verify_qr, forged, unconfirmed.verify_qr]
        h.tap(scr.ids.close)
        assert app.sm.current == "gate"
    finally:
        sim.stop()
