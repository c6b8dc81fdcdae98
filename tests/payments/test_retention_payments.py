"""Retention on the kiosk covers payments too: payers' names and NIKs, and old receipts in the print log."""

from __future__ import annotations

from datetime import timedelta

from core.privacy import mask_id
from kiosk.domain.retention import purge
from kiosk.payments import deposits
from kiosk.payments.deposits import DepositRequest
from kiosk.store import outbox
from kiosk.store.printlog import PrintLog
from tests.payments.conftest import NIK, NOW

LATER = NOW + timedelta(days=200)


def _deposit(store, cfg, key):
    return deposits.create_deposit(store, cfg, key, DepositRequest(inmate_reg_no="BI.0001/2025", depositor_nik=NIK,
                                                                   depositor_name="Siti Aminah", amount=50_000),
                                   mode="offline", now=NOW)


def test_purge_scrubs_payers_once_hq_has_them_and_drops_old_receipts(kiosk):
    cfg, store, key = kiosk
    sent, pending = _deposit(store, cfg, key), _deposit(store, cfg, key)
    outbox.mark_results(store.conn, [{"event_id": sent.event_id, "status": "accepted"}])
    log = PrintLog(store)
    job = log.record("deposit", sent.reference, b"\x1b@RECEIPT Siti Aminah", '{"depositor_name": "Siti Aminah"}')
    with store.transaction() as tx:
        tx.execute("UPDATE print_jobs SET created_at = ? WHERE job_id = ?", ("2000-01-01T00:00:00.000Z", job.job_id))

    r = purge(store, cfg, now=LATER)

    rows = dict(store.query("SELECT reference, depositor_name || '|' || depositor_nik FROM deposits"))
    assert rows[sent.reference] == "|" + mask_id(NIK)  # HQ has it: name gone, NIK masked
    assert rows[pending.reference] == "Siti Aminah|" + NIK  # still pending: untouched until HQ has it
    assert r.payments_scrubbed == 1 and r.receipts_deleted == 1
    assert store.scalar("SELECT count(*) FROM print_jobs WHERE job_id = ?", (job.job_id,)) == 0
    assert store.scalar("SELECT amount FROM deposits WHERE reference = ?", (sent.reference,)) == 50_000


def test_every_identity_number_is_masked_nik_or_not():
    assert mask_id("3524011201900003") == "3524********0003"
    assert mask_id("C1234567") == "C*****67"  # a passport number is not printed whole
    assert mask_id("1234") == "****"
    assert mask_id("3524********0003") == "3524********0003"
    assert "1234567" not in mask_id("A12345678")
