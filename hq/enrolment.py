"""Enrolment: one-time expiring codes made by an operator, redeemed by a device registering its key.

A code is 12 characters from an unambiguous alphabet, shown once; HQ stores only its SHA-256. Redeeming
marks it used in the same transaction that registers the device, so a code works exactly once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from core.errors import RejectedError
from core.identity import key_id
from core.ids import iso, now_iso
from core.protocol import unb64u
from hq import reference
from hq.schema import devices, enroll_codes, facilities

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ROLES = ("kiosk", "guard")


class EnrolmentError(RejectedError):
    def __init__(self, code: str, message: str, status: int = 403):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().replace("-", "").encode()).hexdigest()


def create_code(conn: Connection, facility_id: str, *, role: str | None = None, ttl_hours: float = 24,
                now: datetime | None = None) -> tuple[str, str]:
    """A new one-time code for ``facility_id``; returns (code as shown, expires_at)."""
    if conn.execute(select(facilities.c.id).where(facilities.c.id == facility_id)).first() is None:
        raise EnrolmentError("unknown_facility", f"no facility {facility_id!r} (add it with `lapas hq facility add`)")
    if role is not None and role not in ROLES:
        raise EnrolmentError("bad_role", f"role must be one of {', '.join(ROLES)}")
    raw = "".join(secrets.choice(ALPHABET) for _ in range(12))
    now = now or datetime.now(UTC)
    expires = iso(now + timedelta(hours=ttl_hours))
    conn.execute(insert(enroll_codes).values(code_hash=_hash(raw), facility_id=facility_id, role=role,
                                             created_at=iso(now), expires_at=expires))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}", expires


def redeem(conn: Connection, code: str, device_id: str, role: str, public_key: str) -> dict:
    """Register ``device_id`` with ``public_key`` using ``code``; returns what the device needs to know."""
    try:
        raw_key = unb64u(public_key)
    except ValueError as exc:
        raise EnrolmentError("bad_key", "public_key is not base64url", 400) from exc
    if len(raw_key) != 32:
        raise EnrolmentError("bad_key", "public_key must be a raw 32-byte Ed25519 key", 400)
    row = conn.execute(select(enroll_codes).where(enroll_codes.c.code_hash == _hash(code))).first()
    now = now_iso()
    if row is None:
        raise EnrolmentError("invalid_code", "unknown enrolment code")
    if row.used_at:
        raise EnrolmentError("code_used", f"this enrolment code was already used at {row.used_at}")
    if row.expires_at < now:
        raise EnrolmentError("code_expired", f"this enrolment code expired at {row.expires_at}")
    if row.role and row.role != role:
        raise EnrolmentError("wrong_role", f"this code enrols a {row.role}, not a {role}")
    existing = conn.execute(select(devices).where(devices.c.device_id == device_id)).first()
    if existing is not None and existing.revoked_at:
        raise EnrolmentError("revoked", f"device {device_id} was revoked; enrol it under a new device id")
    if existing is not None and existing.facility_id != row.facility_id:
        raise EnrolmentError("device_exists", f"device id {device_id} belongs to facility {existing.facility_id}",
                             409)
    kid = key_id(raw_key)
    values = dict(facility_id=row.facility_id, role=role, public_key=public_key, key_id=kid, enrolled_at=now)
    if existing is None:
        conn.execute(insert(devices).values(device_id=device_id, high_water_seq=0, **values))
    else:  # re-enrolment (new key after `lapas init --force`): the old key stops being trusted
        conn.execute(update(devices).where(devices.c.device_id == device_id).values(**values))
    conn.execute(update(enroll_codes).where(enroll_codes.c.code_hash == row.code_hash)
                 .values(used_at=now, used_by=device_id))
    version = reference.bump(conn, row.facility_id, "trusted_keys")
    return {"facility_id": row.facility_id, "device_id": device_id, "key_id": kid, "reference_version": version}


def revoke(conn: Connection, device_id: str) -> str:
    row = conn.execute(select(devices.c.facility_id, devices.c.revoked_at)
                       .where(devices.c.device_id == device_id)).first()
    if row is None:
        raise EnrolmentError("unknown_device", f"no device {device_id!r}", 404)
    if row.revoked_at:
        return row.revoked_at
    now = now_iso()
    conn.execute(update(devices).where(devices.c.device_id == device_id).values(revoked_at=now))
    reference.bump(conn, row.facility_id, "trusted_keys")
    return now
