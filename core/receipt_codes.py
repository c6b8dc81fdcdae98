"""Payment references and the receipt verification QR (reference + Ed25519 signature of the device key).

A payment reference is made on the device: a kind letter (``D`` deposit, ``M`` makanan/canteen order) and 15
Crockford base32 characters = 48 bits of Unix milliseconds + 27 random bits. It is unique in practice across
devices, sorts by time, fits QRIS tag 62 (at most 25 characters) and is enforced ``UNIQUE`` locally and at HQ.

The verification QR on every receipt::

    LPV1|<kind D|M>|<facility_id>|<reference>|<amount>|<key_id>|<signature>

``signature`` is base64url(Ed25519 over the text up to and including the last ``|`` before it) by the issuing
device's key; ``amount`` is integer rupiah (the deposit amount or the order total, fee excluded). HQ checks it
with the enrolled device keys, the guard station with the ``trusted_keys`` of its reference data; whether the
payment is settled (LUNAS) is then looked up by reference -- the QR proves who issued the receipt and for what
amount, never that it was paid.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from core.identity import DeviceKey, b64u, public_from_b64, unb64u, verify_sig

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "LPV1"
KINDS = {"deposit": "D", "order": "M"}
REFERENCE_RE = re.compile(r"^[DM][0-9A-HJKMNP-TV-Z]{15}$")
_QR_RE = re.compile(r"^LPV1\|([DM])\|([A-Za-z0-9._-]{1,64})\|([DM][0-9A-HJKMNP-TV-Z]{15})\|([1-9][0-9]{0,12})\|"
                    r"([A-Za-z0-9_-]{11})\|([A-Za-z0-9_-]{86})$")


def new_reference(kind: str) -> str:
    """A fresh payment reference for ``kind`` (``deposit`` or ``order``)."""
    value = ((time.time_ns() // 1_000_000) << 27) | int.from_bytes(os.urandom(4), "big") & ((1 << 27) - 1)
    chars = []
    for _ in range(15):
        chars.append(CROCKFORD[value & 31])
        value >>= 5
    return KINDS[kind] + "".join(reversed(chars))


def _message(kind_letter: str, facility_id: str, reference: str, amount: int, key_id: str) -> str:
    return f"{PREFIX}|{kind_letter}|{facility_id}|{reference}|{amount}|{key_id}|"


def sign_receipt(key: DeviceKey, kind: str, facility_id: str, reference: str, amount: int) -> str:
    """The verification QR payload for a receipt."""
    if type(amount) is not int or amount <= 0:
        raise ValueError(f"amount must be positive integer rupiah, got {amount!r}")
    msg = _message(KINDS[kind], facility_id, reference, amount, key.key_id)
    return msg + b64u(key.sign(msg.encode("utf-8")))


@dataclass(frozen=True)
class ReceiptCheck:
    """The verdict on a scanned receipt QR. ``code``: ok | malformed | unknown_key | forged | wrong_facility."""

    ok: bool
    code: str
    kind: str = ""
    facility_id: str = ""
    reference: str = ""
    amount: int = 0
    key_id: str = ""


def verify_receipt(payload: str, keys: Mapping[str, str | Ed25519PublicKey], *,
                   facility_id: str | None = None) -> ReceiptCheck:
    """Check a receipt QR against trusted keys (``{key_id: public key or its base64url}``)."""
    m = _QR_RE.match(payload.strip()) if isinstance(payload, str) else None
    if not m:
        return ReceiptCheck(False, "malformed")
    letter, facility, reference, amount_text, key_id, sig = m.groups()
    kind = "deposit" if letter == "D" else "order"
    facts = dict(kind=kind, facility_id=facility, reference=reference, amount=int(amount_text), key_id=key_id)
    if reference[0] != letter:
        return ReceiptCheck(False, "malformed", **facts)
    public = keys.get(key_id)
    if public is None:
        return ReceiptCheck(False, "unknown_key", **facts)
    if isinstance(public, str):
        public = public_from_b64(public)
    try:
        signature = unb64u(sig)
    except ValueError:
        return ReceiptCheck(False, "malformed", **facts)
    if not verify_sig(public, signature, _message(letter, facility, reference, int(amount_text), key_id).encode()):
        return ReceiptCheck(False, "forged", **facts)
    if facility_id is not None and facility != facility_id:
        return ReceiptCheck(False, "wrong_facility", **facts)
    return ReceiptCheck(True, "ok", **facts)
