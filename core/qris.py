"""QRIS payloads: EMVCo merchant-presented mode TLV with nested templates and a CRC-16/CCITT-FALSE trailer.

A payload is a run of ``ID(2 digits) LENGTH(2 digits) VALUE`` fields. Tags 26-51 (merchant account
information), 62 (additional data) and 64 (language template) hold nested TLV. Tag 63 is last: its value is
the CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection) in 4 upper-case hex digits, computed over
the UTF-8 bytes of everything before it *including* ``"6304"``. Lengths count characters.

:func:`parse` gives a :class:`Payload`: an ordered ``{tag: value}`` where a template's value is itself an
ordered ``{subtag: value}``. :func:`build` is its inverse (CRC recomputed), and :func:`make_dynamic` turns
the facility's static merchant payload into a one-payment dynamic payload.

Errors (all :class:`QrisError`, each with a stable ``code``):

* ``bad_format``  -- not TLV (non-digit tag/length, truncated field, empty value, bad character)
* ``bad_length``  -- a length runs past the end of its payload or template, or a value is too long to encode
* ``bad_crc``     -- the CRC field is malformed or does not match
* ``missing_tag`` -- a mandatory tag is absent (``.tag`` names it)
* ``bad_value``   -- a tag is present but its value is not allowed (format indicator, amount, ...)
"""

from __future__ import annotations

import binascii
import functools
import re
from collections.abc import Mapping

from core.errors import DataError
from core.money import rupiah

# Top-level tags whose value is itself TLV.
TEMPLATE_TAGS = frozenset({*(f"{n:02d}" for n in range(26, 52)), "62", "64"})
# Mandatory for a QRIS payload (EMVCo MPM + QRIS: point of initiation is always present).
MANDATORY_TAGS = ("00", "01", "52", "53", "58", "59", "60", "63")
STATIC, DYNAMIC = "11", "12"
MAX_SUBTAG_VALUE = 25  # EMVCo: tag 62 sub-fields are "ans ..25"
SUBTAG_RE = re.compile(r"[\x20-\x7e]{1,25}")
MAX_AMOUNT_CHARS = 13  # tag 54 is "ans ..13"
TIP_TAGS = ("55", "56", "57")

Value = str | dict[str, str]


class QrisError(DataError, ValueError):
    """A QRIS payload that cannot be read or built. ``code`` is stable; the message is English."""

    code = "bad_format"

    def __init__(self, message: str, *, tag: str | None = None, position: int | None = None):
        super().__init__(message)
        self.tag = tag
        self.position = position


class QrisFormatError(QrisError):
    code = "bad_format"


class QrisLengthError(QrisError):
    code = "bad_length"


class QrisCrcError(QrisError):
    code = "bad_crc"


class QrisMissingTagError(QrisError):
    code = "missing_tag"


class QrisValueError(QrisError):
    code = "bad_value"


# --- CRC ----------------------------------------------------------------------------------------------


def crc16_ccitt_false(data: bytes | str) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF): the standard library's ``binascii.crc_hqx`` with that
    initial value; ``crc16_ccitt_false(b"123456789") == 0x29B1``."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return binascii.crc_hqx(data, 0xFFFF)


def crc_hex(data: bytes | str) -> str:
    return f"{crc16_ccitt_false(data):04X}"


# --- TLV ----------------------------------------------------------------------------------------------


class Payload(dict):
    """Parsed tags in payload order. ``crc_ok`` tells whether tag 63 matched (always true after build)."""

    crc_ok: bool = True

    def to_json(self) -> dict:
        """``{"tags": {...}, "crc_ok": bool}`` -- what ``lapas qris parse`` prints."""
        return {"tags": {k: (dict(v) if isinstance(v, dict) else v) for k, v in self.items()},
                "crc_ok": self.crc_ok}

    @property
    def is_dynamic(self) -> bool:
        return self.get("01") == DYNAMIC

    @property
    def amount(self) -> int | None:
        """Tag 54 as integer rupiah (``None`` when absent)."""
        return parse_amount(self["54"]) if "54" in self else None

    def additional(self, subtag: str) -> str | None:
        tpl = self.get("62")
        return tpl.get(subtag) if isinstance(tpl, dict) else None

    @property
    def reference(self) -> str | None:
        """Tag 62 sub-field 05 (reference label): our payment reference."""
        return self.additional("05")

    @property
    def terminal(self) -> str | None:
        return self.additional("07")


def _check_chars(text: str, where: str, offset: int) -> None:
    for i, ch in enumerate(text):
        if ch < " " or ch == "\x7f":
            raise QrisFormatError(f"control character {ch!r} in {where} at position {offset + i}",
                                  position=offset + i)


def _split(text: str, where: str, offset: int = 0) -> list[tuple[str, str, int]]:
    """Split a TLV run into (tag, value, position); duplicate tags are refused."""
    out: list[tuple[str, str, int]] = []
    seen: set[str] = set()
    i, n = 0, len(text)
    while i < n:
        if n - i < 4:
            raise QrisFormatError(f"truncated field in {where} at position {offset + i}: {text[i:]!r}",
                                  position=offset + i)
        tag, length = text[i:i + 2], text[i + 2:i + 4]
        if not (tag.isascii() and tag.isdigit()):
            raise QrisFormatError(f"tag at position {offset + i} in {where} is not two digits: {tag!r}",
                                  position=offset + i)
        if not (length.isascii() and length.isdigit()):
            raise QrisFormatError(f"length of tag {tag} in {where} is not two digits: {length!r}",
                                  tag=tag, position=offset + i + 2)
        size = int(length)
        if size == 0:
            raise QrisFormatError(f"tag {tag} in {where} has an empty value", tag=tag, position=offset + i)
        start = i + 4
        if start + size > n:
            raise QrisLengthError(
                f"tag {tag} in {where} declares length {size} but only {n - start} characters follow",
                tag=tag, position=offset + i + 2)
        if tag in seen:
            raise QrisFormatError(f"tag {tag} appears twice in {where}", tag=tag, position=offset + i)
        seen.add(tag)
        out.append((tag, text[start:start + size], offset + start))
        i = start + size
    return out


def parse(text: str, *, verify_crc: bool = True) -> Payload:
    """Parse a QRIS payload. With ``verify_crc=False`` a CRC mismatch is reported in ``crc_ok`` instead of
    raised (a *malformed* CRC field still raises)."""
    if not isinstance(text, str):
        raise QrisFormatError(f"payload must be text, got {type(text).__name__}")
    if not text:
        raise QrisFormatError("payload is empty")
    _check_chars(text, "payload", 0)
    fields = _split(text, "payload")
    tags = [t for t, _, _ in fields]
    for tag in MANDATORY_TAGS:
        if tag not in tags:
            raise QrisMissingTagError(f"mandatory tag {tag} ({TAG_NAMES[tag]}) is missing", tag=tag)
    if tags[0] != "00":
        raise QrisFormatError(f"tag 00 must come first, found {tags[0]}", tag="00")
    if tags[-1] != "63":
        raise QrisFormatError(f"tag 63 (CRC) must come last, found {tags[-1]} after it", tag="63")
    if not any("02" <= t <= "51" for t in tags):
        raise QrisMissingTagError("no merchant account information (tags 02-51)", tag="26")
    payload = Payload()
    for tag, value, pos in fields:
        if tag in TEMPLATE_TAGS:
            payload[tag] = {sub: v for sub, v, _ in _split(value, f"template {tag}", pos)}
        else:
            payload[tag] = value
    crc_value = payload["63"]
    if len(crc_value) != 4 or not re.fullmatch(r"[0-9A-Fa-f]{4}", crc_value):
        raise QrisCrcError(f"tag 63 must be 4 hex digits, got {crc_value!r}", tag="63")
    expected = crc_hex(text[:-4])
    payload.crc_ok = crc_value.upper() == expected
    if verify_crc and not payload.crc_ok:
        raise QrisCrcError(f"CRC mismatch: payload says {crc_value}, computed {expected}", tag="63")
    _check_values(payload)
    return payload


def _check_values(p: Mapping[str, Value]) -> None:
    if p["00"] != "01":
        raise QrisValueError(f"payload format indicator (tag 00) must be '01', got {p['00']!r}", tag="00")
    if p["01"] not in (STATIC, DYNAMIC):
        raise QrisValueError(f"point of initiation (tag 01) must be 11 or 12, got {p['01']!r}", tag="01")
    if "54" in p:
        parse_amount(p["54"])  # raises on a bad amount


def parse_amount(text: object) -> int:
    """Tag 54 to integer rupiah: digits, optionally ``.`` and a zero fraction (``"15000.00"``). No float."""
    if not isinstance(text, str) or not re.fullmatch(r"[0-9]{1,13}(\.[0-9]{1,2})?", text):
        raise QrisValueError(f"transaction amount (tag 54) must be digits, got {text!r}", tag="54")
    whole, _, frac = text.partition(".")
    if frac.strip("0"):
        raise QrisValueError(f"transaction amount {text!r} has a fraction of a rupiah", tag="54")
    return int(whole)


def _field(tag: str, value: str, where: str) -> str:
    if not (len(tag) == 2 and tag.isascii() and tag.isdigit()):
        raise QrisFormatError(f"tag {tag!r} in {where} is not two digits", tag=tag)
    if not isinstance(value, str) or not value:
        raise QrisFormatError(f"tag {tag} in {where} needs a non-empty text value, got {value!r}", tag=tag)
    if len(value) > 99:
        raise QrisLengthError(f"tag {tag} in {where} is {len(value)} characters; at most 99 fit", tag=tag)
    _check_chars(value, f"tag {tag}", 0)
    return f"{tag}{len(value):02d}{value}"


def encode(tags: Mapping[str, Value]) -> str:
    """TLV-encode ``tags`` (tag 63, if given, is ignored) and append ``6304`` + the CRC."""
    parts = []
    for tag, value in tags.items():
        if tag == "63":
            continue
        if isinstance(value, Mapping):
            if tag not in TEMPLATE_TAGS:
                raise QrisFormatError(f"tag {tag} is not a template but was given sub-fields", tag=tag)
            value = "".join(_field(s, v, f"template {tag}") for s, v in value.items())
        elif tag in TEMPLATE_TAGS:
            raise QrisFormatError(f"tag {tag} is a template; give its sub-fields as a mapping", tag=tag)
        parts.append(_field(tag, value, "payload"))
    body = "".join(parts) + "6304"
    return body + crc_hex(body)


def build(tags: Mapping[str, Value]) -> str:
    """Encode and then check the result with :func:`parse` (mandatory tags, order, values)."""
    text = encode(tags)
    parse(text)
    return text


def _insert_in_order(tags: dict[str, Value], tag: str, value: Value) -> dict[str, Value]:
    """Set ``tag`` keeping ascending tag order around it (63 stays last)."""
    if tag in tags:
        out = dict(tags)
        out[tag] = value
        return out
    out: dict[str, Value] = {}
    placed = False
    for k, v in tags.items():
        if not placed and (k > tag or k == "63"):
            out[tag] = value
            placed = True
        out[k] = v
    if not placed:
        out[tag] = value
    return out


def make_dynamic(static_payload: str, amount: int, reference: str, *, terminal: str | None = None,
                 bill_number: str | None = None) -> str:
    """A one-payment dynamic payload from the facility's static merchant payload.

    Sets tag 01 = 12 and tag 54 = ``amount`` (integer rupiah), drops the tip tags 55-57 (a payer must not
    be able to change the amount), and in tag 62 sets 01 bill number (default: ``reference``), 05 reference
    label = ``reference`` and 07 terminal label = ``terminal`` (the device id), keeping other sub-fields.
    """
    base = _parsed_static(static_payload)
    amount = rupiah(amount)
    if amount <= 0:
        raise QrisValueError(f"amount must be a positive number of rupiah, got {amount}", tag="54")
    amount_text = str(amount)
    if len(amount_text) > MAX_AMOUNT_CHARS:
        raise QrisLengthError(f"amount {amount} does not fit tag 54 ({MAX_AMOUNT_CHARS} characters)", tag="54")
    subs = {"01": bill_number or reference, "05": reference}
    if terminal:
        subs["07"] = terminal
    for sub, value in subs.items():
        if not isinstance(value, str) or not re.fullmatch(SUBTAG_RE, value):
            raise QrisValueError(
                f"tag 62 sub-field {sub} must be 1-{MAX_SUBTAG_VALUE} printable ASCII characters, got {value!r}",
                tag="62")
    tags: dict[str, Value] = {k: (dict(v) if isinstance(v, dict) else v) for k, v in base if k not in TIP_TAGS}
    tags["01"] = DYNAMIC
    tags = _insert_in_order(tags, "54", amount_text)
    extra = dict(tags["62"]) if isinstance(tags.get("62"), dict) else {}
    for sub, value in subs.items():
        extra[sub] = value
    tags = _insert_in_order(tags, "62", dict(sorted(extra.items())))
    return encode(tags)  # valid by construction: a parsed payload plus checked values


@functools.lru_cache(maxsize=16)
def _parsed_static(text: str) -> tuple[tuple[str, Value], ...]:
    """The facility's static payload, parsed once (a kiosk builds every payment from the same one)."""
    return tuple((k, dict(v) if isinstance(v, dict) else v) for k, v in parse(text).items())


TAG_NAMES = {
    "00": "payload format indicator", "01": "point of initiation method", "52": "merchant category code",
    "53": "transaction currency", "54": "transaction amount", "55": "tip or convenience indicator",
    "58": "country code", "59": "merchant name", "60": "merchant city", "61": "postal code",
    "62": "additional data", "63": "CRC", "64": "merchant information - language template",
}
