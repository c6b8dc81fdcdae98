"""The kiosk's online payment path: ask HQ for a gateway charge, watch its status, fall back to offline.

HQ holds the gateway secrets; the kiosk only talks to HQ (signed requests, ``sync.client.HQClient``). When
HQ cannot be reached the payment continues offline with the locally built dynamic QRIS, so a visitor is
never stuck. A refusal from HQ (caps checked again there) ends the payment as ``failed`` with a reason.
"""

from __future__ import annotations

import json
import logging

from kiosk.payments import deposits, orders
from kiosk.payments.refusals import PaymentRefusal
from sync.client import Refused, SyncError, Unreachable

log = logging.getLogger("lapas.payments")
MODULES = {"deposit": deposits, "order": orders}


class PaymentsClient:
    """HQ's payment API as one device sees it (wraps :class:`sync.client.HQClient`)."""

    def __init__(self, hq_client):
        self.hq = hq_client

    def request_charge(self, event_type: str, event_id: str, payload: dict) -> dict:
        return self.hq.request_charge(event_type, event_id, payload)

    def status(self, reference: str) -> dict:
        return self.hq.payment_status(reference)


def _creating_event(store, kind: str, record) -> tuple[str, dict]:
    row = store.one("SELECT type, payload FROM outbox WHERE event_id = ?", (record.event_id,))
    if row is None:
        raise LookupError(f"creating event {record.event_id} of {record.reference} is not in the outbox")
    return row[0], json.loads(row[1])


def start_payment(store, cfg, client: PaymentsClient | None, kind: str, record):
    """Put a payment QR on a ``created`` deposit/order: HQ's charge when reachable, else the local QRIS.

    Returns the updated record. Raises :class:`PaymentRefusal` (code ``hq_refused``) when HQ refuses it; the
    record is then ``failed`` and nothing can be paid for it.
    """
    mod = MODULES[kind]
    record_id = record.deposit_id if kind == "deposit" else record.order_id
    if client is None:
        return mod.go_offline(store, cfg, record_id)
    event_type, payload = _creating_event(store, kind, record)
    try:
        answer = client.request_charge(event_type, record.event_id, payload)
    except Unreachable as exc:
        log.info("HQ unreachable for the charge of %s (%s); offline QRIS instead", record.reference, exc)
        return mod.go_offline(store, cfg, record_id)
    except Refused as exc:
        if exc.code == "payments_unavailable":  # no gateway configured at HQ: the static merchant still works
            log.info("HQ cannot charge %s (%s); offline QRIS instead", record.reference, exc.code)
            return mod.go_offline(store, cfg, record_id)
        log.warning("HQ refused the payment %s: %s", record.reference, exc)
        mod.observe_status(store, record_id, "failed")
        raise PaymentRefusal("hq_refused", reason=exc.code) from exc
    return mod.attach_charge(store, record_id, answer["qr_string"], answer["expires_at"], answer["order_id"])


def refresh_status(store, client: PaymentsClient, kind: str, record):
    """Ask HQ for the live status of an online payment and record it (countdown screen, every few seconds).
    HQ unreachable: the record is returned unchanged (its status arrives later through reference data)."""
    mod = MODULES[kind]
    record_id = record.deposit_id if kind == "deposit" else record.order_id
    try:
        answer = client.status(record.reference)
    except SyncError as exc:
        log.info("status of %s not available now: %s", record.reference, exc)
        return record
    total = record.amount if kind == "deposit" else record.total
    if answer.get("amount") != total:
        log.warning("HQ reports amount %s for %s, the kiosk has %s; ignored", answer.get("amount"),
                    record.reference, total)
        return record
    return mod.observe_status(store, record_id, answer["status"])
