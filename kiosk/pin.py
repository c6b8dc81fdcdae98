"""The maintenance PIN: stored as a salted scrypt hash in ``ui.maintenance_pin_hash``; 5 wrong tries lock
maintenance mode for a while, and the lock is kept in the device database so a restart does not lift it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from dataclasses import dataclass

from core.errors import ConfigurationError

MAX_TRIES = 5
LOCK_SECONDS = 300
_N, _R, _P = 2**14, 8, 1
META_KEY = "ui.maintenance_lock"


class PinError(ConfigurationError, ValueError):
    """A PIN that is not 4-12 digits, or a malformed stored hash."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def check_format(pin: str) -> None:
    if not (pin.isdigit() and 4 <= len(pin) <= 12):
        raise PinError("the maintenance PIN must be 4 to 12 digits")


def hash_pin(pin: str) -> str:
    """``scrypt$N$r$p$salt$hash`` (base64url) for the config file."""
    check_format(pin)
    salt = os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_pin(pin: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            raise ValueError(scheme)
        expected = _unb64(digest)
        got = hashlib.scrypt(pin.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected))
    except (ValueError, TypeError) as exc:
        raise PinError(f"malformed ui.maintenance_pin_hash: {exc}") from exc
    return hmac.compare_digest(got, expected)


@dataclass
class Attempt:
    ok: bool
    locked_until: float = 0.0  # wall-clock seconds; > now while locked
    tries_left: int = MAX_TRIES


class PinGate:
    """Checks PIN attempts against the hash and keeps the failure count / lock in the store's ``meta``."""

    def __init__(self, stored_hash: str, store, *, lock_seconds: float = LOCK_SECONDS, clock=time.time):
        self.stored_hash = stored_hash
        self.store = store
        self.lock_seconds = lock_seconds
        self.clock = clock

    @property
    def configured(self) -> bool:
        return bool(self.stored_hash)

    def _state(self) -> dict:
        raw = self.store.get_meta(META_KEY)
        try:
            return json.loads(raw) if raw else {"failures": 0, "locked_until": 0}
        except ValueError:
            return {"failures": 0, "locked_until": 0}

    def _save(self, state: dict) -> None:
        self.store.set_meta(META_KEY, json.dumps(state))

    def locked_until(self) -> float:
        until = float(self._state().get("locked_until", 0))
        return until if until > self.clock() else 0.0

    def try_pin(self, pin: str) -> Attempt:
        """One attempt. While locked, every attempt fails without being checked."""
        state = self._state()
        now = self.clock()
        if float(state.get("locked_until", 0)) > now:
            return Attempt(False, float(state["locked_until"]), 0)
        if self.configured and verify_pin(pin, self.stored_hash):
            self._save({"failures": 0, "locked_until": 0})
            return Attempt(True)
        failures = int(state.get("failures", 0)) + 1
        if failures >= MAX_TRIES:
            state = {"failures": 0, "locked_until": now + self.lock_seconds}
            self._save(state)
            return Attempt(False, state["locked_until"], 0)
        self._save({"failures": failures, "locked_until": 0})
        return Attempt(False, 0.0, MAX_TRIES - failures)
