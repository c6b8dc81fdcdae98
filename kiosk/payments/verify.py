"""Checking a scanned receipt on a device: its signature against the device's trusted keys, and HQ's word on
the payment. The codes themselves (references, the signed verification QR) are :mod:`core.receipt_codes`."""

from __future__ import annotations

from core.identity import DeviceKey
from core.receipt_codes import ReceiptCheck, verify_receipt
from kiosk.payments.reference import hq_status


def device_keys(conn, own_key: DeviceKey | None = None) -> dict[str, str]:
    """Trusted receipt keys on a device: the ``trusted_keys`` of its reference data (not revoked), plus its
    own key (a kiosk can always check the receipts it printed)."""
    keys = {r[0]: r[1] for r in conn.execute("SELECT key_id, public_key FROM ref_trusted_keys WHERE revoked = 0")}
    if own_key is not None:
        keys[own_key.key_id] = own_key.public_b64
    return keys


def check_receipt(conn, payload: str, facility_id: str, own_key: DeviceKey | None = None) -> tuple[ReceiptCheck,
                                                                                              dict | None]:
    """A guard station / kiosk checking a scanned receipt: the signature verdict and HQ's last word on the
    payment (``payment_updates``: status, amount) when the reference is known locally."""
    check = verify_receipt(payload, device_keys(conn, own_key), facility_id=facility_id)
    status = hq_status(conn, check.reference) if check.ok else None
    if status is not None and status["amount"] != check.amount:
        return ReceiptCheck(False, "forged", **{k: getattr(check, k) for k in
                                                ("kind", "facility_id", "reference", "amount", "key_id")}), status
    return check, status
