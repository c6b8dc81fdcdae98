"""The reference document (HQ -> device): its format, its validation, and the keys it is indexed by.

A document is ``full`` (every core section) or a ``delta`` (only the sections that changed, each complete, on top
of version ``since``). The format is in docs/architecture.md. HQ builds documents that pass
:func:`validate_reference`; a device validates every document again before it applies one
(``kiosk.domain.reference``). The payments sections are :mod:`core.payment_reference`.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date
from typing import Any

from core.errors import DataError
from core.identity import key_id, unb64u
from core.ids import parse_iso
from core.payment_reference import PaymentReferenceError, validate_payment_sections

FORMAT = "lapas-reference/1"
CORE_REQUIRED = ("facility", "inmates", "schedule", "limits")
CORE_OPTIONAL = ("exceptions", "emergency_close", "privacy", "banned_visitors", "pre_registrations", "trusted_keys",
                 "cancelled_tickets", "visits_today")
JSON_SECTIONS = ("facility", "schedule", "exceptions", "emergency_close", "limits", "privacy")
_HASH = re.compile(r"^[0-9a-f]{32}$")
DEFAULT_LIMITS = {
    "max_followers": 3, "max_children": 2, "visits_per_nik_per_week": 1, "visits_per_inmate_per_week": 2,
    "pre_registration_lead_days": 1, "max_days_ahead": 7, "ticket_grace_minutes": 30,
}
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ReferenceDataError(DataError, ValueError):
    """A reference document that does not follow the format; the message names the field."""


# --- validation -----------------------------------------------------------------------------------------


def _need(cond: bool, path: str, expected: str, value: Any = None) -> None:
    if not cond:
        shown = json.dumps(value, ensure_ascii=False)[:80] if value is not None else "missing"
        raise ReferenceDataError(f"reference {path}: expected {expected}, got {shown}")


def _str(obj: dict, key: str, path: str, *, empty: bool = False) -> str:
    v = obj.get(key)
    _need(isinstance(v, str) and (empty or v.strip() != ""), f"{path}.{key}" if path else key, "a non-empty string",
          v)
    return v


def _opt_str(obj: dict, *keys: str, path: str) -> None:
    """Optional text fields: absent, or a string (never null: the tables hold text)."""
    for key in keys:
        if key in obj:
            _need(isinstance(obj[key], str), f"{path}.{key}", "a string", obj[key])


def _int(obj: dict, key: str, path: str, minimum: int = 0) -> int:
    v = obj.get(key)
    _need(isinstance(v, int) and not isinstance(v, bool) and v >= minimum, f"{path}.{key}" if path else key,
          f"an integer >= {minimum}", v)
    return v


def _date(v: Any, path: str) -> None:
    _need(isinstance(v, str) and bool(_DATE.match(v)), path, "a date YYYY-MM-DD", v)
    try:
        date.fromisoformat(v)
    except ValueError:
        _need(False, path, "a real calendar date", v)


def _list(doc: dict, key: str) -> list:
    v = doc.get(key, [])
    _need(isinstance(v, list), key, "a list", v)
    return v


def norm_reg_no(text: str) -> str:
    """The lookup key of a registration number: letters, digits and '/' only, upper case, so ``bi 0001/2025``,
    ``BI0001/2025`` and ``BI.0001/2025`` find the same inmate. HQ keeps reg_no unique under this key."""
    return re.sub(r"[^0-9A-Z/]", "", unicodedata.normalize("NFKC", text or "").upper())


def norm_nik(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


def norm_name(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return " ".join(re.sub(r"[^\w\s'.-]", " ", text).split())


def _validate_schedule(s: Any) -> None:
    _need(isinstance(s, dict), "schedule", "an object", s)
    sessions = s.get("sessions")
    _need(isinstance(sessions, dict) and sessions, "schedule.sessions", "an object of sessions", sessions)
    for code, sess in sessions.items():
        p = f"schedule.sessions.{code}"
        _need(isinstance(code, str) and len(code) == 1 and code.isalpha() and code.isupper(), p,
              "a one-letter upper-case session code", code)
        _need(isinstance(sess, dict), p, "an object", sess)
        _str(sess, "label", p)
        for k in ("start", "end"):
            _need(isinstance(sess.get(k), str) and bool(_TIME.match(sess[k])), f"{p}.{k}", "a time HH:MM", sess.get(k))
        _need(sess["start"] < sess["end"], f"{p}.end", "a time after start", sess["end"])
    weekdays = s.get("weekdays")
    _need(isinstance(weekdays, dict), "schedule.weekdays", "an object keyed by ISO weekday 1-7", weekdays)
    for wd, slots in weekdays.items():
        p = f"schedule.weekdays.{wd}"
        _need(wd in {"1", "2", "3", "4", "5", "6", "7"}, p, "an ISO weekday key 1-7", wd)
        _need(isinstance(slots, list), p, "a list of sessions", slots)
        for i, slot in enumerate(slots):
            q = f"{p}[{i}]"
            _need(isinstance(slot, dict), q, "an object", slot)
            _need(slot.get("session") in sessions, f"{q}.session", "a session defined in schedule.sessions",
                  slot.get("session"))
            _int(slot, "walk_in_quota", q)
            _int(slot, "pre_registered_quota", q)
            codes = slot.get("inmate_codes")
            _need(isinstance(codes, list) and codes and all(c in ("A", "B") for c in codes), f"{q}.inmate_codes",
                  'a non-empty list of "A" / "B"', codes)


def validate_reference(doc: Any) -> None:
    """Check a whole reference document; raises :class:`ReferenceDataError` naming the first bad field."""
    _need(isinstance(doc, dict), "(document)", "a JSON object", doc)
    _need(doc.get("format") == FORMAT, "format", f'"{FORMAT}"', doc.get("format"))
    _str(doc, "facility_id", "")
    _int(doc, "version", "", minimum=1)
    _need(isinstance(doc.get("as_of"), str), "as_of", "a UTC ISO time", doc.get("as_of"))
    try:
        as_of = parse_iso(doc["as_of"])
    except ValueError:
        as_of = None
    _need(as_of is not None and as_of.tzinfo is not None, "as_of", "a UTC ISO time with its zone (...Z)",
          doc["as_of"])
    kind = doc.get("kind", "full")
    _need(kind in ("full", "delta"), "kind", '"full" or "delta"', kind)
    if kind == "full":
        for name in CORE_REQUIRED:
            _need(name in doc, name, "a section (required in a full snapshot)")
    else:
        since = doc.get("since")
        _need(isinstance(since, int) and not isinstance(since, bool), "since", "the version this delta applies on",
              since)
    if "facility" in doc:
        f = doc["facility"]
        _need(isinstance(f, dict), "facility", "an object", f)
        _str(f, "id", "facility")
        _need(f["id"] == doc["facility_id"], "facility.id", f'"{doc["facility_id"]}" (the document facility)', f["id"])
        _str(f, "name", "facility")
        _int(f, "room_capacity", "facility", minimum=1)
    if "inmates" in doc:
        seen_id, seen_reg = set(), set()
        for i, inm in enumerate(_list(doc, "inmates")):
            p = f"inmates[{i}]"
            _need(isinstance(inm, dict), p, "an object", inm)
            for k in ("id", "reg_no", "name"):
                _str(inm, k, p)
            _opt_str(inm, "block", "room", "status", path=p)
            _need(inm.get("code") in ("A", "B"), f"{p}.code", '"A" (tahanan) or "B" (narapidana)', inm.get("code"))
            _need(isinstance(inm.get("visitable", True), bool), f"{p}.visitable", "true or false", inm.get("visitable"))
            _need(inm["id"] not in seen_id, f"{p}.id", "a unique id", inm["id"])
            reg = norm_reg_no(inm["reg_no"])
            _need(reg not in seen_reg, f"{p}.reg_no", "a unique registration number", inm["reg_no"])
            seen_id.add(inm["id"])
            seen_reg.add(reg)
    if "schedule" in doc:
        _validate_schedule(doc["schedule"])
    for i, ex in enumerate(_list(doc, "exceptions")):
        _need(isinstance(ex, dict), f"exceptions[{i}]", "an object", ex)
        _date(ex.get("date"), f"exceptions[{i}].date")
        _need(isinstance(ex.get("closed", True), bool), f"exceptions[{i}].closed", "true or false", ex.get("closed"))
    if "emergency_close" in doc:
        ec = doc["emergency_close"]
        _need(isinstance(ec, dict) and isinstance(ec.get("closed"), bool), "emergency_close.closed", "true or false",
              ec)
    if "limits" in doc:
        lim = doc["limits"]
        _need(isinstance(lim, dict), "limits", "an object", lim)
        for k, v in lim.items():
            if k in DEFAULT_LIMITS:
                _need(isinstance(v, int) and not isinstance(v, bool) and v >= 0, f"limits.{k}", "an integer >= 0", v)
    for i, b in enumerate(_list(doc, "banned_visitors")):
        _need(isinstance(b, dict), f"banned_visitors[{i}]", "an object", b)
        if "nik_hash" in b:  # from HQ: the keyed hash of the NIK, never the NIK (core.privacy.keyed_hash)
            _need(isinstance(b["nik_hash"], str) and bool(_HASH.match(b["nik_hash"])),
                  f"banned_visitors[{i}].nik_hash", "32 lowercase hex characters", b["nik_hash"])
        else:  # a technician's hand-made file: hashed when it is applied, never stored in the clear
            _str(b, "nik", f"banned_visitors[{i}]")
        _opt_str(b, "reason", path=f"banned_visitors[{i}]")
        if b.get("until") is not None:
            _date(b["until"], f"banned_visitors[{i}].until")
    if doc.get("privacy") is not None:
        pv = doc["privacy"]
        _need(isinstance(pv, dict), "privacy", "an object", pv)
        try:
            raw_key = unb64u(pv.get("visitor_hash_key", ""))
        except (ValueError, TypeError):
            raw_key = b""
        _need(16 <= len(raw_key) <= 64, "privacy.visitor_hash_key", "a key of 16 to 64 bytes (base64url)",
              pv.get("visitor_hash_key"))
    for i, bk in enumerate(_list(doc, "pre_registrations")):
        p = f"pre_registrations[{i}]"
        _need(isinstance(bk, dict), p, "an object", bk)
        for k in ("booking_code", "inmate_id", "session"):
            _str(bk, k, p)
        _opt_str(bk, "status", path=p)
        _need(isinstance(bk.get("followers", []), list), f"{p}.followers", "a list", bk.get("followers"))
        _date(bk.get("date"), f"{p}.date")
        v = bk.get("visitor")
        _need(isinstance(v, dict), f"{p}.visitor", "an object", v)
        for k in ("nik", "name"):
            _str(v, k, f"{p}.visitor")
    for i, k in enumerate(_list(doc, "trusted_keys")):
        p = f"trusted_keys[{i}]"
        _need(isinstance(k, dict), p, "an object", k)
        for f_ in ("key_id", "device_id", "public_key"):
            _str(k, f_, p)
        try:
            raw = unb64u(k["public_key"])
        except (ValueError, TypeError):
            raw = b""
        _need(len(raw) == 32, f"{p}.public_key", "a raw Ed25519 public key (32 bytes, base64url)", k["public_key"])
        _need(k["key_id"] == key_id(raw), f"{p}.key_id", f'"{key_id(raw)}" (the id of public_key)', k["key_id"])
    for i, c in enumerate(_list(doc, "cancelled_tickets")):
        _need(isinstance(c, dict), f"cancelled_tickets[{i}]", "an object", c)
        _str(c, "visit_id", f"cancelled_tickets[{i}]")
        _opt_str(c, "code", "reason", path=f"cancelled_tickets[{i}]")
    for i, v in enumerate(_list(doc, "visits_today")):
        _need(isinstance(v, dict), f"visits_today[{i}]", "an object", v)
        _str(v, "visit_id", f"visits_today[{i}]")
    try:
        validate_payment_sections(doc)
    except PaymentReferenceError as exc:
        raise ReferenceDataError(f"reference {exc}") from exc
