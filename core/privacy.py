"""Personal data, shared rules (UU PDP 27/2022): how an identity number is masked on paper and screen, and the
keyed hash that stands in for it where a record must stay linkable without keeping the number.

See docs/privacy.md for every personal field, where it lives and when it is masked or deleted.
"""

from __future__ import annotations

import hashlib
import hmac


def mask_id(number: str) -> str:
    """Any identity number, masked: a NIK ``3524011201900003`` -> ``3524********0003``; a passport or SIM number
    ``C1234567`` -> ``C*****67``; up to 4 characters all ``*``. A number already masked is returned as is."""
    text = (number or "").strip()
    if "*" in text:
        return text
    n = len(text)
    if n >= 12:
        return text[:4] + "*" * (n - 8) + text[-4:]
    if n >= 5:
        return text[:1] + "*" * (n - 3) + text[-2:]
    return "*" * n


def keyed_hash(key: bytes, value: str, *, purpose: str) -> str:
    """HMAC-SHA256 of ``value`` (stripped, upper-cased) under ``key``, for one ``purpose`` (so a hash made for
    banned visitors cannot be matched against one made for pseudonyms); 32 hex characters."""
    msg = f"{purpose}\x00{(value or '').strip().upper()}".encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()[:32]
