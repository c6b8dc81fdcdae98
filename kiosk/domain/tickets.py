"""Signed visit tickets, compact enough for a low QR version (at most 200 characters).

Binary layout (version 1), big-endian::

    u8  version (1)                 u8  flags (bit 0: provisional, bit 1: facility hashed, bit 2: inmate hashed)
    u8  len + facility id (ASCII)   16  visit id (UUID bytes)
    u16 visit date (days since 2020-01-01, WIB)
    u8  session code (ASCII)        u16 queue number
    u8  len + inmate id (ASCII)     u8  followers
    u32 expiry (Unix minutes, UTC)  8   signing key id (SHA-256 of the raw public key, first 8 bytes)
    64  Ed25519 signature over everything before it

An id longer than :data:`INLINE_MAX` characters is carried as the first 8 bytes of its SHA-256 instead (its flag
bit set; decoded as ``#`` + 16 hex digits, see :func:`id_ref`), so every ticket fits 200 characters whatever
the ids. It is encoded with Base45 (RFC 9285), whose alphabet is exactly QR's alphanumeric set, behind the
prefix ``LK1:``. A typical ticket (facility ``LPS-DEMO``, inmate ``inm-0001``) is 118 bytes -> 181 characters,
which fits QR version 8 at error correction M (6 at L) in alphanumeric mode; the worst case, 199, still fits 8 at M.
"""

from __future__ import annotations

import hashlib
import struct
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from core.errors import DataError
from core.identity import DeviceKey

PREFIX = "LK1:"
MAX_LEN = 200
INLINE_MAX = 14  # ids up to this many ASCII characters are carried as they are
_HASHED_FACILITY, _HASHED_INMATE = 2, 4
EPOCH = date(2020, 1, 1)
_B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_B45_INDEX = {c: i for i, c in enumerate(_B45)}
_B45_TABLE = bytes(_B45_INDEX.get(chr(b), 255) for b in range(256))  # byte -> value, 255 = not Base45


class TicketFormatError(DataError, ValueError):
    """The text is not a ticket of this format (damaged, truncated, or something else)."""


def b45encode(data: bytes) -> str:
    out = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        n, c = divmod(n, 45)
        e, d = divmod(n, 45)
        out += [_B45[c], _B45[d], _B45[e]]
    if len(data) % 2:
        d, c = divmod(data[-1], 45)
        out += [_B45[c], _B45[d]]
    return "".join(out)


def b45decode(text: str) -> bytes:
    try:
        vals = text.encode("ascii").translate(_B45_TABLE)
    except UnicodeEncodeError:
        raise TicketFormatError("text is not Base45 (non-ASCII character)") from None
    if 255 in vals:
        raise TicketFormatError(f"character {text[vals.index(255)]!r} is not Base45")
    n = len(vals)
    if n % 3 == 1:
        raise TicketFormatError("Base45 text has an impossible length")
    full = n - n % 3
    triples = zip(vals[0:full:3], vals[1:full:3], vals[2:full:3], strict=True)
    words = [a + b * 45 + c * 2025 for a, b, c in triples]
    if words and max(words) > 0xFFFF:
        raise TicketFormatError("Base45 triple out of range")
    out = bytearray(struct.pack(f">{len(words)}H", *words))
    if n % 3:
        v = vals[-2] + vals[-1] * 45
        if v > 0xFF:
            raise TicketFormatError("Base45 pair out of range")
        out.append(v)
    return bytes(out)


@dataclass(frozen=True)
class Ticket:
    facility_id: str
    visit_id: str
    visit_date: date
    session: str
    queue_number: int
    inmate_id: str
    followers: int
    expires_at: datetime
    provisional: bool = False

    @property
    def people(self) -> int:
        return 1 + self.followers

    @property
    def queue_no(self) -> str:
        return f"{self.session}-{self.queue_number:03d}"


@dataclass(frozen=True)
class Decoded:
    ticket: Ticket
    key_id: bytes
    signed: bytes
    signature: bytes


def _inline(text: str) -> bool:
    return 0 < len(text) <= INLINE_MAX and text.isascii() and not text.startswith("#")


def id_ref(text: str) -> str:
    """How a ticket names an id: the id itself when short, else ``#`` + the hex of its 8-byte SHA-256."""
    return text if _inline(text) else "#" + hashlib.sha256(text.encode("utf-8")).digest()[:8].hex()


def _id_field(text: str, what: str) -> tuple[bytes, bool]:
    if not text:
        raise ValueError(f"{what} is empty")
    if _inline(text):
        raw = text.encode("ascii")
        return bytes([len(raw)]) + raw, False
    return bytes([8]) + bytes.fromhex(id_ref(text)[1:]), True


def encode_ticket(t: Ticket, key: DeviceKey) -> str:
    facility, facility_hashed = _id_field(t.facility_id, "facility id")
    inmate, inmate_hashed = _id_field(t.inmate_id, "inmate id")
    flags = (1 if t.provisional else 0) | (_HASHED_FACILITY if facility_hashed else 0) | (
        _HASHED_INMATE if inmate_hashed else 0)
    body = bytearray([1, flags])
    body += facility
    body += uuid.UUID(t.visit_id).bytes
    body += struct.pack(">H", (t.visit_date - EPOCH).days)
    body += t.session.encode("ascii")[:1]
    body += struct.pack(">H", t.queue_number)
    body += inmate
    body += bytes([t.followers])
    body += struct.pack(">I", int(t.expires_at.timestamp() // 60))
    body += raw_key_id(key.public_raw)
    signed = bytes(body)
    text = PREFIX + b45encode(signed + key.sign(signed))
    if len(text) > MAX_LEN:
        raise ValueError(f"ticket is {len(text)} characters; the limit is {MAX_LEN}")
    return text


def raw_key_id(public_raw: bytes) -> bytes:
    """The 8-byte key id; ``core.identity.key_id`` is its base64url text form."""
    return hashlib.sha256(public_raw).digest()[:8]


def _read_id(raw: bytes, hashed: int) -> str:
    if hashed:
        if len(raw) != 8:
            raise ValueError("hashed id is not 8 bytes")
        return "#" + raw.hex()
    return raw.decode("ascii")


def decode_ticket(text: str) -> Decoded:
    """Parse without verifying; raises :class:`TicketFormatError` for anything that is not a ticket."""
    text = (text or "").strip()
    if not text.startswith(PREFIX) or len(text) > MAX_LEN:
        raise TicketFormatError("not a lapas ticket (prefix or length)")
    raw = b45decode(text[len(PREFIX):])
    try:
        version, flags = raw[0], raw[1]
        if version != 1:
            raise TicketFormatError(f"unknown ticket version {version}")
        pos = 2
        n = raw[pos]
        facility = _read_id(raw[pos + 1:pos + 1 + n], flags & _HASHED_FACILITY)
        pos += 1 + n
        visit_id = str(uuid.UUID(bytes=raw[pos:pos + 16]))
        pos += 16
        (days,) = struct.unpack(">H", raw[pos:pos + 2])
        session = raw[pos + 2:pos + 3].decode("ascii")
        (queue_number,) = struct.unpack(">H", raw[pos + 3:pos + 5])
        pos += 5
        n = raw[pos]
        inmate = _read_id(raw[pos + 1:pos + 1 + n], flags & _HASHED_INMATE)
        pos += 1 + n
        followers = raw[pos]
        (expiry_min,) = struct.unpack(">I", raw[pos + 1:pos + 5])
        pos += 5
        key_id = raw[pos:pos + 8]
        pos += 8
        signature = raw[pos:]
    except (IndexError, struct.error, UnicodeDecodeError, ValueError) as exc:
        raise TicketFormatError(f"damaged ticket ({exc})") from None
    if len(signature) != 64 or len(key_id) != 8 or not session.isalpha():
        raise TicketFormatError("damaged ticket (truncated)")
    try:
        expires = datetime.fromtimestamp(expiry_min * 60, tz=UTC)
    except (ValueError, OverflowError, OSError):
        raise TicketFormatError("damaged ticket (expiry out of range)") from None
    ticket = Ticket(facility, visit_id, EPOCH + timedelta(days=days), session, queue_number, inmate, followers,
                    expires, bool(flags & 1))
    return Decoded(ticket, key_id, raw[:pos], signature)
