"""A QRIS payment gateway simulator (``lapas sim gateway``): a real HTTP server on loopback speaking the
Midtrans-style API of :mod:`hq.payments.gateway`, plus an admin API to play the payer.

Gateway API (HTTP Basic auth with the server key): ``POST /v2/charge``, ``GET /v2/{order_id}/status``,
``POST /v2/{order_id}/cancel``.

Admin API (no auth; loopback only):

* ``POST /sim/charges/{order_id}/pay | expire | fail | resend`` -- settle / expire / deny a pending charge,
  or send its last notification again (a duplicate delivery);
* ``POST /sim/qris/pay {"qris": PAYLOAD}`` -- a customer's e-wallet paying a QR: a charge's own QR settles
  that charge; a kiosk's offline dynamic QRIS for our merchant creates a settled transaction carrying
  ``qris_reference`` (tag 62/05) and ``qris_terminal`` (62/07) so HQ can reconcile it;
* ``GET /sim/charges`` (all charges), ``GET /sim/health``.

Every status change POSTs a signed notification to ``notify_url`` (retried with backoff on failure, as
gateways do). Pending charges expire by themselves at their expiry time.
"""

from __future__ import annotations

import json
import logging
import queue
import re
import secrets
import threading
from base64 import b64decode
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from core import qris
from core.demo_payments import demo_merchant_payload
from hq.payments.gateway import (
    ORDER_ID_RE,
    STATUS_CODES,
    format_gross_amount,
    format_time,
    signature_key,
)

log = logging.getLogger("lapas.sim.gateway")
UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
MAX_EXPIRY_S = 7 * 86400
TICK_S = 0.2  # how often pending charges are checked for expiry
WAIT_POLL_S = 0.5
__all__ = ["GatewaySimulator", "demo_merchant_payload"]


def _now() -> datetime:
    return datetime.now(UTC)


class GatewaySimulator:
    """The simulator: state, the HTTP server thread, the notifier thread and the expiry ticker."""

    def __init__(self, *, server_key: str, notify_url: str | None = None, merchant_payload: str | None = None,
                 state_file: str | Path | None = None, host: str = "127.0.0.1", port: int = 0,
                 notify_retries: int = 5, notify_backoff_s: float = 0.2):
        self.server_key = server_key
        self.notify_url = notify_url
        self.merchant_payload = merchant_payload or demo_merchant_payload()
        self.merchant = qris.parse(self.merchant_payload)
        self.state_file = Path(state_file) if state_file else None
        self.notify_retries = notify_retries
        self.notify_backoff_s = notify_backoff_s
        self.charges: dict[str, dict] = {}
        self.deliveries: list[dict] = []  # every notification attempt, for tests and the demo
        self.lock = threading.RLock()
        self._outgoing: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._load()
        self.httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self.httpd.daemon_threads = True
        self._threads: list[threading.Thread] = []

    # -- lifecycle --------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> GatewaySimulator:
        for target in (self._serve, self._notifier, self._ticker):
            t = threading.Thread(target=target, daemon=True, name=f"sim-gateway-{target.__name__}")
            t.start()
            self._threads.append(t)
        return self

    def _serve(self) -> None:
        self.httpd.serve_forever(poll_interval=0.05)

    def wait(self) -> None:
        while not self._stop.wait(WAIT_POLL_S):
            pass

    def stop(self) -> None:
        self._stop.set()
        self._outgoing.put(None)
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> GatewaySimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- state ------------------------------------------------------------------------------------

    def _load(self) -> None:
        if self.state_file and self.state_file.exists():
            self.charges = json.loads(self.state_file.read_text(encoding="utf-8"))

    def _save(self) -> None:
        if self.state_file:
            tmp = self.state_file.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.charges, ensure_ascii=False, indent=1), encoding="utf-8")
            tmp.replace(self.state_file)

    def _public(self, c: dict) -> dict:
        """A charge as the gateway API shows it."""
        out = {
            "status_code": STATUS_CODES[c["status"]],
            "status_message": f"Success, transaction is {c['status']}",
            "transaction_id": c["transaction_id"],
            "order_id": c["order_id"],
            "merchant_id": c["merchant_id"],
            "gross_amount": format_gross_amount(c["amount"]),
            "currency": "IDR",
            "payment_type": "qris",
            "transaction_time": c["transaction_time"],
            "transaction_status": c["status"],
            "fraud_status": "accept",
            "acquirer": "lapas-sim",
            "expiry_time": c["expiry_time"],
        }
        if c.get("settlement_time"):
            out["settlement_time"] = c["settlement_time"]
        if c.get("qris_reference"):
            out["qris_reference"] = c["qris_reference"]
            out["qris_terminal"] = c.get("qris_terminal", "")
        return out

    def notification(self, c: dict) -> dict:
        body = self._public(c)
        body["status_message"] = "midtrans payment notification"
        body["signature_key"] = signature_key(body["order_id"], body["status_code"], body["gross_amount"],
                                              self.server_key)
        return body

    def _transition(self, order_id: str, new: str) -> dict:
        with self.lock:
            c = self.charges.get(order_id)
            if c is None:
                raise LookupError(order_id)
            if c["status"] != "pending":
                raise ValueError(f"charge {order_id} is {c['status']}, not pending")
            c["status"] = new
            if new == "settlement":
                c["settlement_time"] = format_time(_now())
            self._save()
            body = self.notification(c)
            c["last_notification"] = body
        self._outgoing.put(body)
        return self._public(c)

    def create_charge(self, order_id: str, amount: int, expiry_s: int) -> dict:
        with self.lock:
            if order_id in self.charges:
                raise KeyError(order_id)
            now = _now()
            tx_id = secrets.token_hex(16)
            tx_id = f"{tx_id[:8]}-{tx_id[8:12]}-{tx_id[12:16]}-{tx_id[16:20]}-{tx_id[20:]}"
            label = "SIM" + tx_id[:8].upper()
            c = {
                "order_id": order_id, "transaction_id": tx_id, "amount": amount, "status": "pending",
                "merchant_id": "G" + str(self.merchant.get("51", {}).get("02", "SIM"))[-9:],
                "transaction_time": format_time(now), "expiry_time": format_time(now + timedelta(seconds=expiry_s)),
                "expires_at": int((now + timedelta(seconds=expiry_s)).timestamp()),
                "qr_label": label,
                "qr_string": qris.make_dynamic(self.merchant_payload, amount, label, terminal="GATEWAY"),
            }
            self.charges[order_id] = c
            self._save()
            out = self._public(c)
            out["status_code"], out["status_message"] = "201", "QRIS transaction is created"
            out["qr_string"] = c["qr_string"]
            out["actions"] = [{"name": "generate-qr-code", "method": "GET",
                               "url": f"{self.url}/v2/qris/{tx_id}/qr-code"}]
        return out

    def pay_qris(self, payload: str) -> dict:
        """A payer scans ``payload`` and pays it (the amount in tag 54, nothing else)."""
        p = qris.parse(payload)
        if not p.is_dynamic or p.amount is None:
            raise ValueError("only a dynamic QRIS with an amount can be paid here")
        if p.get("51") != self.merchant.get("51") or p.get("26") != self.merchant.get("26"):
            raise PermissionError("this QRIS is for a different merchant")
        label = p.reference or ""
        with self.lock:
            for c in self.charges.values():
                if c.get("qr_label") and c["qr_label"] == label:
                    if p.amount != c["amount"]:
                        raise ValueError("amount does not match the charge")
                    return self._transition(c["order_id"], "settlement")
            if not label:
                raise ValueError("QRIS has no reference label (tag 62/05)")
            if any(c.get("qris_reference") == label for c in self.charges.values()):
                raise KeyError(label)
            order_id = "QRIS-" + secrets.token_hex(8)
            now = _now()
            c = {
                "order_id": order_id, "transaction_id": secrets.token_hex(16), "amount": p.amount,
                "status": "pending", "merchant_id": "G" + str(self.merchant.get("51", {}).get("02", "SIM"))[-9:],
                "transaction_time": format_time(now), "expiry_time": format_time(now),
                "expires_at": None, "qris_reference": label, "qris_terminal": p.terminal or "",
            }
            self.charges[order_id] = c
        return self._transition(order_id, "settlement")

    def resend(self, order_id: str) -> dict:
        with self.lock:
            c = self.charges.get(order_id)
            if c is None:
                raise LookupError(order_id)
            body = c.get("last_notification")
            if not body:
                raise ValueError(f"charge {order_id} has sent no notification yet")
        self._outgoing.put(dict(body))
        return body

    # -- background work --------------------------------------------------------------------------

    def _ticker(self) -> None:
        while not self._stop.wait(TICK_S):
            now = _now().timestamp()
            with self.lock:
                due = [c["order_id"] for c in self.charges.values()
                       if c["status"] == "pending" and c.get("expires_at") and c["expires_at"] <= now]
            for order_id in due:
                try:
                    self._transition(order_id, "expire")
                except ValueError:
                    pass

    def _notifier(self) -> None:
        while True:
            body = self._outgoing.get()
            if body is None or self._stop.is_set():
                return
            if not self.notify_url:
                continue
            delay = self.notify_backoff_s
            for attempt in range(1, self.notify_retries + 1):
                record = {"order_id": body["order_id"], "status": body["transaction_status"], "attempt": attempt}
                try:
                    resp = requests.post(self.notify_url, json=body, timeout=5)
                    record["http_status"] = resp.status_code
                    ok = 200 <= resp.status_code < 300
                except requests.RequestException as exc:
                    record["error"] = str(exc)
                    ok = False
                with self.lock:
                    self.deliveries.append(record)
                if ok or self._stop.wait(delay):
                    break
                delay *= 2
            if not ok:
                log.warning("notification for %s not delivered after %d attempts", body["order_id"],
                            self.notify_retries)


def _handler_for(sim: GatewaySimulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "lapas-sim-gateway/1"

        def log_message(self, fmt: str, *args: object) -> None:
            log.debug("%s " + fmt, self.address_string(), *args)

        def _send(self, status: int, body: dict) -> None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, http: int, code: str, message: str) -> None:
            self._send(http, {"status_code": code, "status_message": message})

        def _body(self) -> dict | None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > 1_000_000:
                return None
            try:
                data = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                return None
            return data if isinstance(data, dict) else None

        def _authorised(self) -> bool:
            auth = self.headers.get("Authorization", "")
            if not auth.startswith("Basic "):
                return False
            try:
                user = b64decode(auth[6:]).decode("utf-8").partition(":")[0]
            except (ValueError, UnicodeDecodeError):
                return False
            return secrets.compare_digest(user, sim.server_key)

        def do_GET(self) -> None:  # noqa: N802
            path = self.path.split("?")[0]
            if path == "/sim/health":
                return self._send(200, {"ok": True})
            if path == "/sim/charges":
                with sim.lock:
                    return self._send(200, {"charges": [
                        {**sim._public(c), "qr_label": c.get("qr_label", "")} for c in sim.charges.values()],
                        "deliveries": list(sim.deliveries)})
            m = re.fullmatch(r"/v2/([^/]+)/status", path)
            if m:
                if not self._authorised():
                    return self._error(401, "401", "Unknown Merchant server_key/id")
                with sim.lock:
                    c = sim.charges.get(m.group(1))
                    if c is None:
                        return self._error(404, "404", "Transaction doesn't exist.")
                    return self._send(200, sim._public(c))
            self._error(404, "404", "not found")

        def do_POST(self) -> None:  # noqa: N802
            path = self.path.split("?")[0]
            body = self._body()
            if body is None:
                return self._error(400, "400", "body must be a JSON object")
            if path == "/v2/charge":
                if not self._authorised():
                    return self._error(401, "401", "Unknown Merchant server_key/id")
                return self._charge(body)
            m = re.fullmatch(r"/v2/([^/]+)/cancel", path)
            if m:
                if not self._authorised():
                    return self._error(401, "401", "Unknown Merchant server_key/id")
                return self._admin(m.group(1), "cancel")
            m = re.fullmatch(r"/sim/charges/([^/]+)/(pay|expire|fail|resend)", path)
            if m:
                return self._admin(m.group(1), m.group(2))
            if path == "/sim/qris/pay":
                try:
                    return self._send(200, sim.pay_qris(str(body.get("qris", ""))))
                except qris.QrisError as exc:
                    return self._error(400, "400", f"{exc.code}: {exc}")
                except PermissionError as exc:
                    return self._error(403, "403", str(exc))
                except KeyError:
                    return self._error(409, "409", "this QRIS reference was already paid")
                except ValueError as exc:
                    return self._error(400, "400", str(exc))
            self._error(404, "404", "not found")

        def _charge(self, body: dict) -> None:
            if body.get("payment_type") != "qris":
                return self._error(400, "400", "payment_type must be qris")
            details = body.get("transaction_details")
            if not isinstance(details, dict):
                return self._error(400, "400", "transaction_details is required")
            order_id, amount = details.get("order_id"), details.get("gross_amount")
            if not isinstance(order_id, str) or not ORDER_ID_RE.match(order_id):
                return self._error(400, "400", "transaction_details.order_id is invalid")
            if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
                return self._error(400, "400", "transaction_details.gross_amount must be a positive integer")
            expiry = body.get("custom_expiry") or {"expiry_duration": 15, "unit": "minute"}
            try:
                seconds = int(expiry["expiry_duration"]) * UNITS[expiry.get("unit", "minute")]
            except (KeyError, TypeError, ValueError):
                return self._error(400, "400", "custom_expiry is invalid")
            if not 0 < seconds <= MAX_EXPIRY_S:
                return self._error(400, "400", "custom_expiry out of range")
            try:
                out = sim.create_charge(order_id, amount, seconds)
            except KeyError:
                return self._error(406, "406", "The request could not be completed due to a conflict with the "
                                               "current state of the target resource, please try again")
            self._send(201, out)

        def _admin(self, order_id: str, action: str) -> None:
            new = {"pay": "settlement", "expire": "expire", "fail": "deny", "cancel": "cancel"}.get(action)
            try:
                out = sim.resend(order_id) if action == "resend" else sim._transition(order_id, new)
            except LookupError:
                return self._error(404, "404", "Transaction doesn't exist.")
            except ValueError as exc:
                return self._error(412, "412", str(exc))
            self._send(200, out)

    return Handler

