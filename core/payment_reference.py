"""The payments sections of the reference document (HQ -> device): their format and validation.

Sections (documented in docs/payments.md): ``merchant``, ``deposit_rules``, ``menu``, ``payment_updates``,
``balances``, ``order_status``. HQ validates them before it serves them; the device validates them again before it
applies them (``kiosk.payments.reference``).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from core import payment_states as states
from core import qris
from core.errors import DataError

SECTIONS = ("merchant", "deposit_rules", "menu", "payment_updates", "balances", "order_status")
UPDATE_STATUSES = {
    "deposit": set(states.DEPOSIT_NEXT),
    "order": set(states.ORDER_NEXT) | {"settled"},
}


class PaymentReferenceError(DataError, ValueError):
    """A payments section that does not follow the format; the message names the field."""


def _int(value: Any, path: str, *, minimum: int = 0) -> int:
    if type(value) is not int:
        raise PaymentReferenceError(f"{path} must be an integer (rupiah/units), got {value!r}")
    if value < minimum:
        raise PaymentReferenceError(f"{path} must be >= {minimum}, got {value}")
    return value


def _str(value: Any, path: str, *, pattern: str | None = None, empty: bool = False) -> str:
    if not isinstance(value, str) or (not empty and not value.strip()):
        raise PaymentReferenceError(f"{path} must be a non-empty string, got {value!r}")
    if pattern and not re.fullmatch(pattern, value):
        raise PaymentReferenceError(f"{path} has an invalid value {value!r}")
    return value


def _obj(value: Any, path: str) -> dict:
    if not isinstance(value, dict):
        raise PaymentReferenceError(f"{path} must be an object")
    return value


def _list(value: Any, path: str) -> list:
    if not isinstance(value, list):
        raise PaymentReferenceError(f"{path} must be a list")
    return value


def _fees(sec: dict, path: str) -> None:
    _int(sec.get("fee_flat", 0), f"{path}.fee_flat")
    bp = _int(sec.get("fee_bp", 0), f"{path}.fee_bp")
    if bp > 10_000:
        raise PaymentReferenceError(f"{path}.fee_bp must be at most 10000 (100%), got {bp}")
    _int(sec.get("payment_ttl_s", 900), f"{path}.payment_ttl_s", minimum=60)


def _validate_merchant(sec: Any) -> None:
    sec = _obj(sec, "merchant")
    payload = _str(sec.get("static_qris"), "merchant.static_qris")
    try:
        parsed = qris.parse(payload)
    except qris.QrisError as exc:
        raise PaymentReferenceError(f"merchant.static_qris is not a valid QRIS payload ({exc.code}: {exc})") from exc
    if parsed.is_dynamic:
        raise PaymentReferenceError("merchant.static_qris must be a static payload (tag 01 = 11)")
    if parsed.get("53") != "360":
        raise PaymentReferenceError("merchant.static_qris must be in rupiah (tag 53 = 360)")
    _str(sec.get("name"), "merchant.name")


def _validate_deposit_rules(sec: Any) -> None:
    sec = _obj(sec, "deposit_rules")
    lo = _int(sec.get("min"), "deposit_rules.min", minimum=1)
    hi = _int(sec.get("max"), "deposit_rules.max", minimum=1)
    if lo > hi:
        raise PaymentReferenceError(f"deposit_rules.min ({lo}) is above deposit_rules.max ({hi})")
    _int(sec.get("daily_cap_per_inmate"), "deposit_rules.daily_cap_per_inmate", minimum=1)
    _int(sec.get("balance_cap"), "deposit_rules.balance_cap", minimum=1)
    for i, p in enumerate(_list(sec.get("presets", []), "deposit_rules.presets")):
        _int(p, f"deposit_rules.presets[{i}]", minimum=1)
    _fees(sec, "deposit_rules")


def _validate_menu(sec: Any) -> None:
    sec = _obj(sec, "menu")
    _fees(sec, "menu")
    _int(sec.get("max_items_per_order", 20), "menu.max_items_per_order", minimum=1)
    seen = set()
    for i, item in enumerate(_list(sec.get("items"), "menu.items")):
        path = f"menu.items[{i}]"
        item = _obj(item, path)
        iid = _str(item.get("item_id"), f"{path}.item_id", pattern=r"[A-Za-z0-9._-]{1,64}")
        if iid in seen:
            raise PaymentReferenceError(f"{path}.item_id {iid!r} appears twice")
        seen.add(iid)
        _str(item.get("name"), f"{path}.name")
        _int(item.get("price"), f"{path}.price", minimum=1)
        _int(item.get("stock"), f"{path}.stock")
        _int(item.get("daily_limit_per_inmate"), f"{path}.daily_limit_per_inmate", minimum=1)
        if not isinstance(item.get("available", True), bool):
            raise PaymentReferenceError(f"{path}.available must be true or false")


def _validate_updates(sec: Any) -> None:
    for i, u in enumerate(_list(sec, "payment_updates")):
        path = f"payment_updates[{i}]"
        u = _obj(u, path)
        _str(u.get("reference"), f"{path}.reference")
        kind = u.get("kind")
        if kind not in UPDATE_STATUSES:
            raise PaymentReferenceError(f"{path}.kind must be deposit or order, got {kind!r}")
        if u.get("status") not in UPDATE_STATUSES[kind]:
            raise PaymentReferenceError(f"{path}.status {u.get('status')!r} is not a {kind} status")
        _int(u.get("amount"), f"{path}.amount", minimum=1)
        _str(u.get("at"), f"{path}.at")


def _validate_balances(sec: Any) -> None:
    sec = _obj(sec, "balances")
    if sec.get("date") is not None:
        try:
            date.fromisoformat(_str(sec["date"], "balances.date"))
        except ValueError as exc:
            raise PaymentReferenceError(f"balances.date is not a date: {sec['date']!r}") from exc
    for i, a in enumerate(_list(sec.get("accounts"), "balances.accounts")):
        path = f"balances.accounts[{i}]"
        a = _obj(a, path)
        _str(a.get("inmate_id"), f"{path}.inmate_id")
        _int(a.get("balance"), f"{path}.balance", minimum=-(10**15))
        _int(a.get("pending", 0), f"{path}.pending")
        _int(a.get("deposited_today", 0), f"{path}.deposited_today")
        for item, qty in _obj(a.get("items_today", {}), f"{path}.items_today").items():
            _int(qty, f"{path}.items_today.{item}")


def _validate_order_status(sec: Any) -> None:
    for i, u in enumerate(_list(sec, "order_status")):
        path = f"order_status[{i}]"
        u = _obj(u, path)
        _str(u.get("reference"), f"{path}.reference")
        if u.get("status") not in states.ORDER_NEXT:
            raise PaymentReferenceError(f"{path}.status {u.get('status')!r} is not an order status")
        _str(u.get("at"), f"{path}.at")


VALIDATORS = {
    "merchant": _validate_merchant, "deposit_rules": _validate_deposit_rules, "menu": _validate_menu,
    "payment_updates": _validate_updates, "balances": _validate_balances, "order_status": _validate_order_status,
}


OPTIONAL = ("merchant", "deposit_rules", "menu")  # null = not configured at this facility


def validate_payment_sections(doc: dict) -> None:
    """Validate every payments section present in ``doc`` (raises :class:`PaymentReferenceError`)."""
    for name in SECTIONS:
        if name in doc and not (doc[name] is None and name in OPTIONAL):
            VALIDATORS[name](doc[name])
