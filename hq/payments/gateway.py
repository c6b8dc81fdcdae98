"""HTTP adapter for a Midtrans-style QRIS core API (the shape Indonesian payment gateways share).

Wire facts (also spoken by :mod:`hq.payments.simulator`):

* Auth: HTTP Basic with the **server key** as user name and an empty password. The key lives only in HQ's
  configuration (``LAPAS_GATEWAY_SERVER_KEY``), never on a kiosk.
* ``POST /v2/charge`` ``{"payment_type": "qris", "transaction_details": {"order_id", "gross_amount"},
  "custom_expiry": {"expiry_duration": N, "unit": "second"|"minute"|"hour"|"day"}}`` -> ``status_code`` "201",
  ``transaction_status`` "pending", ``qr_string``, ``expiry_time`` (WIB ``YYYY-MM-DD HH:MM:SS``).
* ``GET /v2/{order_id}/status`` and ``POST /v2/{order_id}/cancel``.
* Status codes: 201 pending, 200 settlement/cancel, 202 deny, 407 expire, 404 unknown order, 406 duplicate.
* ``gross_amount`` travels as text with two decimals (``"150000.00"``); we read it into integer rupiah
  without floats and refuse a fraction.
* Notifications (webhooks) carry ``signature_key = SHA512(order_id + status_code + gross_amount + server_key)``
  (hex), compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import UTC, datetime, timedelta

import requests

from core.ids import WIB
from core.money import rupiah
from hq.payments.provider import (
    STATUSES,
    Charge,
    ChargeStatus,
    DuplicateOrder,
    Notification,
    NotificationError,
    PaymentProvider,
    ProviderAuthError,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
    SignatureError,
    UnknownOrder,
)

STATUS_CODES = {"pending": "201", "settlement": "200", "cancel": "200", "deny": "202", "expire": "407"}
ORDER_ID_RE = re.compile(r"^[A-Za-z0-9\-_.~]{1,50}$")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


# --- wire helpers shared with the simulator ----------------------------------------------------------


def format_gross_amount(amount: int) -> str:
    """Integer rupiah -> the gateway's text form ``"150000.00"``."""
    return f"{rupiah(amount)}.00"


def parse_gross_amount(value: object) -> int:
    """The gateway's ``gross_amount`` ("150000.00", "150000" or an int) -> integer rupiah. No float."""
    if isinstance(value, bool) or isinstance(value, float):
        raise NotificationError(f"gross_amount must be text or an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{1,15}(\.[0-9]{1,2})?", value):
        raise NotificationError(f"gross_amount is not an amount: {value!r}")
    whole, _, frac = value.partition(".")
    if frac.strip("0"):
        raise NotificationError(f"gross_amount {value!r} has a fraction of a rupiah")
    return int(whole)


def format_time(dt: datetime) -> str:
    """UTC datetime -> the gateway's WIB wall-clock text."""
    return dt.astimezone(WIB).strftime(TIME_FORMAT)


def parse_time(text: object) -> datetime | None:
    """The gateway's WIB wall-clock text -> aware UTC datetime (``None`` when absent)."""
    if not text:
        return None
    try:
        return datetime.strptime(str(text), TIME_FORMAT).replace(tzinfo=WIB).astimezone(UTC)
    except ValueError as exc:
        raise NotificationError(f"bad time {text!r}; expected {TIME_FORMAT} (WIB)") from exc


def signature_key(order_id: str, status_code: str, gross_amount: str, server_key: str) -> str:
    """``SHA512(order_id + status_code + gross_amount + server_key)`` as lower-case hex."""
    return hashlib.sha512((order_id + status_code + gross_amount + server_key).encode("utf-8")).hexdigest()


def verify_notification(body: object, server_key: str) -> Notification:
    """Check a notification's signature and read it. Raises :class:`SignatureError` when forged."""
    if not isinstance(body, dict):
        raise NotificationError("notification body must be a JSON object")
    try:
        order_id, status_code = str(body["order_id"]), str(body["status_code"])
        gross_text, given = body["gross_amount"], str(body["signature_key"])
        status = str(body["transaction_status"])
    except KeyError as exc:
        raise NotificationError(f"notification lacks field {exc.args[0]!r}") from exc
    if not isinstance(gross_text, str):
        raise NotificationError("gross_amount must be text in a notification")
    expected = signature_key(order_id, status_code, gross_text, server_key)
    if not hmac.compare_digest(expected, given.lower()):
        raise SignatureError(f"notification for order {order_id} has a bad signature_key")
    if status not in STATUSES:
        raise NotificationError(f"unknown transaction_status {status!r}")
    return Notification(
        order_id=order_id, status=status, status_code=status_code, amount=parse_gross_amount(gross_text),
        transaction_id=str(body.get("transaction_id", "")),
        transaction_time=parse_time(body.get("transaction_time")),
        settled_at=parse_time(body.get("settlement_time")),
        qris_reference=str(body.get("qris_reference", "") or ""),
        qris_terminal=str(body.get("qris_terminal", "") or ""),
        raw=dict(body),
    )


def expiry_fields(expiry: timedelta) -> dict:
    seconds = expiry // timedelta(seconds=1)
    if seconds <= 0:
        raise ValueError(f"expiry must be positive, got {expiry}")
    return {"expiry_duration": seconds, "unit": "second"}


# --- the adapter --------------------------------------------------------------------------------------


class MidtransGateway(PaymentProvider):
    """A :class:`PaymentProvider` over HTTP (the real gateway, or the simulator on loopback)."""

    name = "midtrans"

    def __init__(self, base_url: str, server_key: str, *, timeout: float = 10.0,
                 session: requests.Session | None = None):
        if not server_key:
            raise ValueError("a gateway server key is required (configure it at HQ only)")
        self.base_url = base_url.rstrip("/")
        self.server_key = server_key
        self.timeout = timeout
        self.session = session or requests.Session()
        self.session.auth = (server_key, "")
        self.session.headers.update({"Accept": "application/json"})

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        try:
            resp = self.session.request(method, self.base_url + path, json=body, timeout=self.timeout)
        except requests.RequestException as exc:
            raise ProviderUnavailable(f"gateway unreachable: {exc}") from exc
        try:
            data = resp.json()
        except ValueError as exc:
            if resp.status_code >= 500:
                raise ProviderUnavailable(f"gateway answered HTTP {resp.status_code}") from exc
            raise ProviderError(f"gateway answered HTTP {resp.status_code} without JSON") from exc
        code = str(data.get("status_code", resp.status_code))
        message = str(data.get("status_message", ""))
        if resp.status_code >= 500 or code.startswith("5"):
            raise ProviderUnavailable(f"gateway error {code}: {message}", status_code=code)
        if resp.status_code == 401 or code == "401":
            raise ProviderAuthError(f"gateway refused the server key: {message}", status_code=code)
        if code == "404" or resp.status_code == 404:
            raise UnknownOrder(f"gateway does not know this order: {message}", status_code=code)
        if code == "406":
            raise DuplicateOrder(f"order id already used at the gateway: {message}", status_code=code)
        if resp.status_code >= 400 or code.startswith("4") and code != "407":
            raise ProviderRejected(f"gateway refused the request ({code}): {message}", status_code=code)
        return data

    @staticmethod
    def _status(data: dict) -> ChargeStatus:
        status = str(data.get("transaction_status", ""))
        if status not in STATUSES:
            raise ProviderError(f"gateway sent unknown transaction_status {status!r}")
        return ChargeStatus(order_id=str(data["order_id"]), status=status,
                            amount=parse_gross_amount(data["gross_amount"]),
                            transaction_id=str(data.get("transaction_id", "")),
                            settled_at=parse_time(data.get("settlement_time")),
                            status_code=str(data.get("status_code", "")))

    def create_charge(self, amount: int, order_id: str, expiry: timedelta) -> Charge:
        amount = rupiah(amount)
        if amount <= 0:
            raise ValueError(f"charge amount must be positive, got {amount}")
        if not ORDER_ID_RE.match(order_id):
            raise ValueError(f"order id {order_id!r} is not 1-50 of A-Z a-z 0-9 - _ . ~")
        data = self._call("POST", "/v2/charge", {
            "payment_type": "qris",
            "transaction_details": {"order_id": order_id, "gross_amount": amount},
            "custom_expiry": expiry_fields(expiry),
        })
        if parse_gross_amount(data.get("gross_amount")) != amount or data.get("order_id") != order_id:
            raise ProviderError(f"gateway answered for a different charge: {data.get('order_id')} "
                                f"{data.get('gross_amount')}")
        qr = data.get("qr_string")
        expires = parse_time(data.get("expiry_time"))
        if not qr or expires is None:
            raise ProviderError("gateway answer lacks qr_string or expiry_time")
        return Charge(order_id=order_id, amount=amount, qr_string=str(qr), expires_at=expires,
                      transaction_id=str(data.get("transaction_id", "")),
                      status=str(data.get("transaction_status", "pending")))

    def status(self, order_id: str) -> ChargeStatus:
        return self._status(self._call("GET", f"/v2/{order_id}/status"))

    def cancel(self, order_id: str) -> ChargeStatus:
        return self._status(self._call("POST", f"/v2/{order_id}/cancel", {}))

    def verify_notification(self, body: dict) -> Notification:
        return verify_notification(body, self.server_key)
