"""The device's HTTP client for HQ: signed requests with explicit timeouts, and one exception tree.

Errors::

    SyncError              base; .code is stable, .retryable says whether backing off and retrying may help
    ├── Unreachable        connection refused/reset, timeout, 5xx, truncated or malformed answer (retryable)
    └── Refused            HQ said no: revoked, unknown device, bad signature, bad request (retryable only
                           after an operator acts; the daemon keeps backing off and shows the code)

A ``401 clock_skew`` answer is handled here: the client learns HQ's time, corrects its signing offset and
retries once. Event times are never rewritten.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import requests

from core import protocol
from core.errors import LapasError, RejectedError, RetryableError
from core.ids import iso, parse_iso

# urllib3 logs a full traceback for every malformed header a broken link delivers; our own line says it once
logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)

STATUSES = ("accepted", "duplicate", "rejected")


class SyncError(LapasError):
    code = "sync_error"
    retryable = True

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        if code:
            self.code = code


class Unreachable(SyncError, RetryableError):
    code = "unreachable"


class BatchOutOfOrder(Unreachable):
    """HQ refused a batch sent with ``after_seq`` because the batch before it has not arrived (409)."""

    code = "out_of_order"


class Refused(SyncError, RejectedError):
    code = "refused"
    retryable = False

    def __init__(self, message: str, code: str | None = None, status: int = 0):
        super().__init__(message, code)
        self.status = status


class HQClient:
    """Talks to one HQ as one device. ``clock`` returns Unix seconds (injectable for tests)."""

    def __init__(self, url: str, device_id: str, key, *, timeout: float = 10.0,
                 session: requests.Session | None = None, clock: Callable[[], float] = time.time):
        self.base = url.rstrip("/")
        self.device_id, self.key, self.timeout, self.clock = device_id, key, timeout, clock
        self.session = session or requests.Session()
        self.offset = 0.0  # HQ time minus our clock, learned from answers

    def sibling(self) -> HQClient:
        """Another client for the same device and HQ, on its own connection (for a second thread)."""
        twin = HQClient(self.base, self.device_id, self.key, timeout=self.timeout, clock=self.clock)
        twin.offset = self.offset
        return twin

    def close(self) -> None:
        self.session.close()

    # -- plumbing ------------------------------------------------------------------------------

    def _timeouts(self) -> tuple[float, float]:
        return (min(5.0, self.timeout), self.timeout)

    def _send(self, method: str, path_qs: str, body: bytes, extra: dict[str, str] | None = None,
              device_id: str | None = None) -> requests.Response:
        for attempt in (1, 2):
            ts = int(self.clock() + self.offset)
            headers = protocol.sign_headers(self.key, device_id or self.device_id, method, path_qs, body, ts)
            headers.update(extra or {})
            if body:
                headers["Content-Type"] = "application/json"
            try:
                resp = self.session.request(method, self.base + path_qs, data=body or None, headers=headers,
                                            timeout=self._timeouts())
            except requests.RequestException as exc:
                raise Unreachable(f"cannot reach HQ at {self.base}: {_reason(exc)}", "unreachable") from exc
            if resp.status_code == 401 and attempt == 1:
                err = _error_body(resp)
                if err.get("code") == protocol.E_CLOCK_SKEW and err.get("server_time"):
                    self._learn_time(err["server_time"])
                    continue
            return resp
        return resp

    def _learn_time(self, server_time: str) -> None:
        try:
            self.offset = parse_iso(server_time).timestamp() - self.clock()
        except (TypeError, ValueError):
            pass

    def _check(self, resp: requests.Response) -> dict[str, Any]:
        if resp.status_code >= 500 or resp.status_code in (408, 429):
            raise Unreachable(f"HQ answered HTTP {resp.status_code}", f"http_{resp.status_code}")
        if resp.status_code >= 400:
            err = _error_body(resp)
            code = err.get("code") or f"http_{resp.status_code}"
            if resp.status_code == 409 and code == protocol.E_OUT_OF_ORDER:
                raise BatchOutOfOrder(f"HQ refused: {code}: {err.get('message', '')}", code)
            raise Refused(f"HQ refused: {code}: {err.get('message', resp.text[:200])}", code, resp.status_code)
        try:
            data = resp.json()
        except ValueError as exc:
            declared = resp.headers.get("Content-Length")
            cut = declared is not None and declared.isdigit() and int(declared) != len(resp.content)
            why = "cut off on the way (network)" if cut or not resp.content else "not JSON"
            raise Unreachable(f"HQ's answer could not be read: {len(resp.content)} bytes, {why}",
                              "bad_answer") from exc
        if not isinstance(data, dict):
            raise Unreachable("malformed answer from HQ (not an object)", "bad_answer")
        if isinstance(data.get("server_time"), str):
            self._learn_time(data["server_time"])
        return data

    # -- the API -------------------------------------------------------------------------------

    def encode_events(self, events: list[dict[str, Any]], pending: int | None = None,
                      device_id: str | None = None) -> bytes:
        return encode_batch(device_id or self.device_id, iso_now(self.clock), events, pending)

    def encode_json_events(self, event_json: list[str], pending: int | None = None,
                           after_seq: int | None = None) -> bytes:
        """A batch body from events already encoded as JSON objects (see ``outbox.pending_batch_json``).
        ``after_seq``: HQ stores the batch only after the device's events up to that seq (hq/ordering.py)."""
        head = {"device_id": self.device_id, "device_time": iso_now(self.clock), "pending": pending}
        if after_seq is not None:
            head["after_seq"] = after_seq
        head = json.dumps(head, separators=(",", ":"))
        return (head[:-1] + ',"events":[' + ",".join(event_json) + "]}").encode("utf-8")

    def post_events(self, events: list[dict[str, Any]], pending: int | None = None,
                    device_id: str | None = None) -> dict[str, Any]:
        """Push one batch; returns HQ's answer with every sent event's result (validated)."""
        return self.post_encoded(self.encode_events(events, pending, device_id), device_id)

    def post_encoded(self, body: bytes, device_id: str | None = None) -> dict[str, Any]:
        """Push one encoded batch."""
        data = self._check(self._send("POST", "/v1/events", body, device_id=device_id))
        results = data.get("results")
        if not isinstance(results, list) or not all(
                isinstance(r, dict) and isinstance(r.get("event_id"), str) and r.get("status") in STATUSES
                for r in results):
            raise Unreachable("malformed answer from HQ (results)", "bad_answer")
        return data

    def get_reference(self, since: int | None, etag: str | None = None) -> tuple[dict[str, Any] | None, str | None]:
        """(document or None when unchanged, its ETag)."""
        path = "/v1/reference" + (f"?since={int(since)}" if since else "")
        resp = self._send("GET", path, b"", {"If-None-Match": etag} if etag else None)
        if resp.status_code == 304:
            return None, etag
        doc = self._check(resp)
        return doc, resp.headers.get("ETag")

    def enroll(self, code: str, role: str) -> dict[str, Any]:
        body = json.dumps({"code": code, "device_id": self.device_id, "role": role,
                           "public_key": self.key.public_b64}).encode()
        return self._check(self._send("POST", "/v1/enroll", body))

    def request_charge(self, event_type: str, event_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Ask HQ for a gateway charge for the payment created by event ``event_id`` (its outbox event)."""
        body = json.dumps({"type": event_type, "event_id": event_id, "payload": payload},
                          ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return self._check(self._send("POST", "/v1/payments/charges", body))

    def payment_status(self, reference: str) -> dict[str, Any]:
        """HQ's live status of one online payment (``status``, ``amount``, ...)."""
        return self._check(self._send("GET", f"/v1/payments/{reference}", b""))

    def health(self) -> dict[str, Any]:
        try:
            resp = self.session.get(self.base + "/v1/health", timeout=self._timeouts())
        except requests.RequestException as exc:
            raise Unreachable(f"cannot reach HQ at {self.base}: {_reason(exc)}") from exc
        return self._check(resp)


def iso_now(clock: Callable[[], float]) -> str:

    return iso(datetime.fromtimestamp(clock(), UTC))


def encode_batch(device_id: str, device_time: str, events: list[dict[str, Any]], pending: int | None) -> bytes:
    return json.dumps({"device_id": device_id, "device_time": device_time, "pending": pending, "events": events},
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _error_body(resp: requests.Response) -> dict[str, Any]:
    try:
        data = resp.json()
        return data if isinstance(data, dict) else {}
    except ValueError:
        return {}


def _reason(exc: requests.RequestException) -> str:
    """A short reason: 'ReadTimeout', 'ConnectionError (Connection refused)'."""
    text = str(exc)
    for marker in ("Connection refused", "Connection reset", "Read timed out", "timed out",
                   "Remote end closed", "IncompleteRead", "Name or service not known"):
        if marker in text:
            return f"{type(exc).__name__} ({marker})"
    detail = text.rsplit(":", 1)[-1].strip(" )'\"") if text else ""
    return f"{type(exc).__name__} ({detail[:120]})" if detail else type(exc).__name__
