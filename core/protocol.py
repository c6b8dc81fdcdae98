"""The device <-> HQ wire protocol: request signing shared by both ends, limits and error codes.

Every device request carries four headers and an Ed25519 signature over a canonical string::

    LAPAS1\\n METHOD \\n path?query \\n timestamp \\n nonce \\n sha256_hex(body)

The signature binds the device to the exact method, URL, body and moment; the nonce makes each request
single-use within the timestamp window (HQ remembers nonces for ``2 * SKEW_WINDOW_S``). See
``docs/protocol.md`` for the rationale.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from core.errors import RejectedError

PREFIX = b"LAPAS1"
H_DEVICE = "X-Lapas-Device"
H_TIMESTAMP = "X-Lapas-Timestamp"
H_NONCE = "X-Lapas-Nonce"
H_SIGNATURE = "X-Lapas-Signature"

SKEW_WINDOW_S = 300
NONCE_TTL_S = 2 * SKEW_WINDOW_S
MAX_EVENTS = 500
MAX_BODY_BYTES = 2 * 1024 * 1024

# Stable error codes in HQ's JSON error bodies ({"code": ..., "message": ...}).
E_MISSING_AUTH = "missing_auth"
E_BAD_SIGNATURE = "bad_signature"
E_UNKNOWN_DEVICE = "unknown_device"
E_CLOCK_SKEW = "clock_skew"
E_REPLAYED = "replayed"
E_REVOKED = "revoked"
E_DEVICE_MISMATCH = "device_mismatch"
E_BATCH_TOO_LARGE = "batch_too_large"
E_BAD_REQUEST = "bad_request"
E_OUT_OF_ORDER = "out_of_order"  # 409: a batch sent with after_seq arrived before the batch it follows

_NONCE_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_DEVICE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_nonce() -> str:
    return b64u(os.urandom(16))


def signing_string(method: str, path_qs: str, ts: int, nonce: str, body: bytes) -> bytes:
    """The exact bytes a device signs (and HQ verifies)."""
    return b"\n".join([
        PREFIX, method.upper().encode("ascii"), path_qs.encode("utf-8"), str(int(ts)).encode("ascii"),
        nonce.encode("ascii"), hashlib.sha256(body).hexdigest().encode("ascii"),
    ])


def sign_headers(key, device_id: str, method: str, path_qs: str, body: bytes, ts: int,
                 nonce: str | None = None) -> dict[str, str]:
    """Headers for one request signed by ``key`` (a :class:`core.identity.DeviceKey`)."""
    nonce = nonce or new_nonce()
    sig = key.sign(signing_string(method, path_qs, ts, nonce, body))
    return {H_DEVICE: device_id, H_TIMESTAMP: str(int(ts)), H_NONCE: nonce, H_SIGNATURE: b64u(sig)}


class AuthError(RejectedError):
    """A request whose signature headers are missing, malformed or do not verify."""

    def __init__(self, code: str, message: str, status: int = 401):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


@dataclass(frozen=True)
class SignedRequest:
    device_id: str
    ts: int
    nonce: str
    signature: bytes


def parse_headers(headers: Mapping[str, str]) -> SignedRequest:
    """Read the four headers; raises :class:`AuthError` naming what is missing or malformed."""
    missing = [h for h in (H_DEVICE, H_TIMESTAMP, H_NONCE, H_SIGNATURE) if not headers.get(h)]
    if missing:
        raise AuthError(E_MISSING_AUTH, "missing header(s): " + ", ".join(missing))
    device_id, ts_text, nonce = headers[H_DEVICE], headers[H_TIMESTAMP], headers[H_NONCE]
    if not _DEVICE_RE.match(device_id):
        raise AuthError(E_MISSING_AUTH, "malformed device id")
    if not ts_text.isdigit() or len(ts_text) > 12:
        raise AuthError(E_MISSING_AUTH, "malformed timestamp")
    if not _NONCE_RE.match(nonce):
        raise AuthError(E_MISSING_AUTH, "malformed nonce")
    try:
        sig = unb64u(headers[H_SIGNATURE])
    except (binascii.Error, ValueError) as exc:
        raise AuthError(E_BAD_SIGNATURE, "malformed signature") from exc
    if len(sig) != 64:
        raise AuthError(E_BAD_SIGNATURE, "malformed signature")
    return SignedRequest(device_id, int(ts_text), nonce, sig)


def verify_signature(public: Ed25519PublicKey, req: SignedRequest, method: str, path_qs: str,
                     body: bytes) -> None:
    try:
        public.verify(req.signature, signing_string(method, path_qs, req.ts, req.nonce, body))
    except InvalidSignature as exc:
        raise AuthError(E_BAD_SIGNATURE, "signature does not verify") from exc


def check_timestamp(ts: int, now: float) -> None:
    if abs(ts - now) > SKEW_WINDOW_S:
        raise AuthError(E_CLOCK_SKEW, f"timestamp {ts} is outside +-{SKEW_WINDOW_S}s of server time")
