"""Identifiers and time: time-ordered UUIDs made on the device, UTC in storage, WIB on screen and paper."""

from __future__ import annotations

import os
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

WIB = ZoneInfo("Asia/Jakarta")
_lock = threading.Lock()
_last_ms = 0
_counter = 0


def uuid7() -> str:
    """A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then a 12-bit counter and 62 random bits.

    Monotonic within a process: ids made in the same millisecond sort in creation order.
    (The stdlib gains ``uuid.uuid7`` only in Python 3.14.)
    """
    global _last_ms, _counter
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last_ms:
            _counter += 1
            if _counter > 0xFFF:
                _last_ms += 1
                _counter = 0
            ms = _last_ms
        else:
            _last_ms, _counter = ms, int.from_bytes(os.urandom(2), "big") & 0x3FF
        counter = _counter
    rand = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | rand
    return str(uuid.UUID(int=value))


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(dt: datetime) -> str:
    """UTC ISO-8601 with milliseconds and a trailing Z (the storage format)."""
    return dt.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now_iso() -> str:
    return iso(utcnow())


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def to_wib(dt: datetime) -> datetime:
    return dt.astimezone(WIB)


def today_wib(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(WIB).date()


def fmt_wib(dt: datetime, with_seconds: bool = False) -> str:
    """``29/11/2026 13:05 WIB`` — how times appear on screen and on paper."""
    fmt = "%d/%m/%Y %H:%M:%S" if with_seconds else "%d/%m/%Y %H:%M"
    return to_wib(dt).strftime(fmt) + " WIB"


def week_start(d: date) -> date:
    """Monday of the ISO week holding ``d`` (weekly visit limits count Monday to Sunday)."""
    return d - timedelta(days=d.weekday())
