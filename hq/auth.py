"""Device authentication at HQ: verify the Ed25519 request signature, the clock window and the nonce.

Order of checks: headers well-formed -> device enrolled -> signature -> not revoked -> timestamp within
+-300 s (answers ``clock_skew`` with ``server_time`` so the device can correct its offset) -> nonce unseen
(recorded in the caller's transaction, so a replay racing the original loses on ``PRIMARY KEY``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from core import protocol
from core.protocol import AuthError
from hq.schema import devices, nonces

_key_cache: dict[str, Ed25519PublicKey] = {}
_last_prune = 0.0


@dataclass(frozen=True)
class Device:
    device_id: str
    facility_id: str
    role: str
    key_id: str
    high_water_seq: int = 0


_DEVICE_ROW = select(devices.c.facility_id, devices.c.role, devices.c.public_key, devices.c.key_id,
                     devices.c.revoked_at, devices.c.high_water_seq).where(devices.c.device_id == bindparam("d"))


@dataclass(frozen=True)
class RawRequest:
    """What a signature covers: method, path with query, headers and the exact body bytes."""

    method: str
    path_qs: str
    headers: dict[str, str]
    body: bytes


def _public(b64: str) -> Ed25519PublicKey:
    key = _key_cache.get(b64)
    if key is None:
        key = Ed25519PublicKey.from_public_bytes(protocol.unb64u(b64))
        if len(_key_cache) > 10_000:
            _key_cache.clear()
        _key_cache[b64] = key
    return key


def authenticate(conn: Connection, raw: RawRequest, now: float | None = None) -> Device:
    """The device that signed ``raw``; raises :class:`AuthError` otherwise. Claims the nonce in ``conn``.

    On PostgreSQL the nonce is claimed in the same statement that reads the device row (one round trip instead
    of two); when a later check fails, the caller's transaction is rolled back with the claim in it."""
    now = time.time() if now is None else now
    req = protocol.parse_headers(raw.headers)
    pg = conn.dialect.name == "postgresql"
    params = {"d": req.device_id, "n": req.nonce, "t": int(now)}
    row = conn.execute(_DEVICE_ROW_CLAIMING if pg else _DEVICE_ROW, params).first()
    if row is None:
        raise AuthError(protocol.E_UNKNOWN_DEVICE, f"device {req.device_id} is not enrolled")
    protocol.verify_signature(_public(row.public_key), req, raw.method, raw.path_qs, raw.body)
    if row.revoked_at:
        raise AuthError(protocol.E_REVOKED, f"device {req.device_id} was revoked at {row.revoked_at}", status=403)
    protocol.check_timestamp(req.ts, now)
    if pg:
        if not row.claimed:
            raise AuthError(protocol.E_REPLAYED, REPLAYED)
        _prune(conn, int(now))
    else:
        claim_nonce(conn, req.device_id, req.nonce, int(now))
    return Device(req.device_id, row.facility_id, row.role, row.key_id, row.high_water_seq or 0)


_CLAIM = (pg_insert(nonces).values(device_id=bindparam("d"), nonce=bindparam("n"), seen_at=bindparam("t"))
          .on_conflict_do_nothing().returning(nonces.c.nonce).cte("claim"))
_DEVICE_ROW_CLAIMING = _DEVICE_ROW.add_columns(
    select(func.count()).select_from(_CLAIM).scalar_subquery().label("claimed"))
REPLAYED = "this request was already received (replayed nonce)"


def claim_nonce(conn: Connection, device_id: str, nonce: str, now: int) -> None:
    """Record the nonce; a nonce already recorded (a replay, or a concurrent copy) is refused."""
    ins = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(nonces)
    stmt = ins.values(device_id=device_id, nonce=nonce, seen_at=now).on_conflict_do_nothing().returning(nonces.c.nonce)
    if conn.execute(stmt).first() is None:
        raise AuthError(protocol.E_REPLAYED, REPLAYED)
    _prune(conn, now)


def _prune(conn: Connection, now: int) -> None:
    """Forget nonces older than their time-to-live, at most once a minute."""
    global _last_prune
    if now - _last_prune > 60:
        _last_prune = now
        conn.execute(delete(nonces).where(nonces.c.seen_at < now - protocol.NONCE_TTL_S))
