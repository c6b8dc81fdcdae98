"""The payment screens' only way to the device: deposits, orders, HQ's charge API and the printer.

Every method may block (disk, network, serial), so screens call them through the app's worker lanes, never on
the UI thread: store work on ``db``, HQ calls on ``probe``, printing on ``printer``. Nothing here imports Kivy.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import dataclass

from core import identity
from kiosk.payments import deposits, online, orders, records, reference, verify
from kiosk.payments.refusals import PaymentRefusal
from kiosk.store import connect
from sync.client import HQClient

log = logging.getLogger("lapas.payments.ui")
HQ_TIMEOUT_S = 8.0  # a visitor waits for the charge: an unreachable HQ falls back to the offline QRIS quickly
KINDS = ("deposit", "order")


@dataclass(frozen=True)
class Lookup:
    """A payment found by receipt number: ``kind`` and the record (``Deposit`` or ``Order``)."""

    kind: str
    record: object


def record_id(kind: str, record) -> str:
    return record.deposit_id if kind == "deposit" else record.order_id


def paid(kind: str, record) -> bool:
    return record.settled if kind == "deposit" else record.paid


class PaymentService:
    """Payments for one kiosk (one per app)."""

    def __init__(self, services):
        self.services = services
        self.cfg = services.cfg
        self._client: online.PaymentsClient | None = None
        self._key = None
        self._lock = threading.Lock()
        self._read: sqlite3.Connection | None = None

    @property
    def store(self):
        return self.services.store

    # -- configuration ----------------------------------------------------------------------------

    def configured(self) -> dict[str, bool]:
        """Which services the reference data configures: ``{"deposit": bool, "order": bool}``.

        A cheap read on its own connection (the home screen asks when it draws its tiles)."""
        with self._lock:
            try:
                if self._read is None:
                    self._read = connect(self.cfg.db_path, readonly=True)
                rows = dict(self._read.execute(
                    "SELECT section, body FROM payment_reference WHERE section IN "
                    "('merchant', 'deposit_rules', 'menu')").fetchall())
            except sqlite3.Error as exc:  # no payments tables yet, or the file is busy: no tiles now
                log.debug("payments configuration not readable: %s", exc)
                return {"deposit": False, "order": False}
        has = {k for k, v in rows.items() if v not in (None, "", "null", "{}")}
        return {"deposit": {"merchant", "deposit_rules"} <= has, "order": {"merchant", "menu"} <= has}

    def rules(self) -> dict:
        with self.store.lock:
            return deposits.rules(self.store.conn)

    def menu_items(self) -> tuple[list[dict], dict]:
        """Available menu items (with ``left``) and the menu's settings (fee, max items)."""
        items = orders.available_items(self.store)
        with self.store.lock:
            m = orders.menu(self.store.conn)
        return items, {k: v for k, v in m.items() if k != "items"}

    # -- the steps ----------------------------------------------------------------------------------

    def find_inmate(self, reg_no: str) -> records.Inmate:
        with self.store.lock:
            return records.find_inmate(self.store.conn, reg_no)

    def quote(self, reg_no: str, amount: int) -> deposits.DepositQuote:
        deposits.expire_overdue(self.store)  # an abandoned QR past its time no longer counts against the caps
        return deposits.quote_deposit(self.store, reg_no, amount)

    def price(self, reg_no: str, cart: dict[str, int]) -> orders.PricedCart:
        orders.expire_overdue(self.store)
        return orders.price_cart(self.store, reg_no, cart)

    def create(self, kind: str, *, reg_no: str, nik: str, name: str, amount: int = 0,
               cart: dict[str, int] | None = None):
        """Write the deposit/order (one transaction) and put a payment QR on it: HQ's charge when HQ answers,
        else the locally built dynamic QRIS. Raises :class:`PaymentRefusal` (caps, HQ refused)."""
        client = self.client()
        mode = "online" if client is not None else "offline"
        key = self.key()
        if kind == "deposit":
            rec = deposits.create_deposit(self.store, self.cfg, key,
                                          deposits.DepositRequest(reg_no, nik, name, amount), mode=mode)
        else:
            rec = orders.create_order(self.store, self.cfg, key,
                                      orders.OrderRequest(reg_no, nik, name, dict(cart or {})), mode=mode)
        if mode == "offline":
            log.info("%s %s: no HQ configured, offline QRIS", kind, rec.reference)
            return rec
        return online.start_payment(self.store, self.cfg, client, kind, rec)

    def poll(self, kind: str, reference_: str, ask_hq: bool = True):
        """The record's status now: the countdown is applied locally and, for an online payment, HQ is asked."""
        mod = online.MODULES[kind]
        mod.expire_overdue(self.store)
        rec = self.get(kind, reference_)
        client = self.client() if ask_hq else None
        if client is not None and rec.status in ("awaiting_payment", "created") and rec.mode == "online":
            rec = online.refresh_status(self.store, client, kind, rec)
        return rec

    def get(self, kind: str, reference_: str):
        return deposits.get_deposit(self.store, reference_) if kind == "deposit" else \
            orders.get_order(self.store, reference_)

    def lookup(self, receipt_no: str) -> Lookup:
        """A deposit or order by its receipt number (``D...``/``M...``; spaces and case ignored)."""
        ref = "".join(receipt_no.split()).upper()
        kind = "order" if ref.startswith("M") else "deposit"
        if not ref or ref[0] not in "DM":
            raise PaymentRefusal("not_found", reference=receipt_no.strip() or "-")
        rec = self.get(kind, ref)
        return Lookup(kind, rec)

    def lookup_scanned(self, payload: str) -> Lookup:
        """A scanned receipt QR: only a genuine one (signed by a trusted key, this facility) is looked up."""

        with self.store.lock:
            check, _status = verify.check_receipt(self.store.conn, payload, self.cfg.device.facility_id,
                                                  own_key=self.key())
        if not check.ok:
            log.warning("scanned receipt refused: %s", check.code)
            raise PaymentRefusal("not_found", reference=check.reference or "-")
        found = self.lookup(check.reference)
        total = found.record.amount if found.kind == "deposit" else found.record.total
        if total != check.amount:  # signed for another amount than this kiosk recorded
            raise PaymentRefusal("not_found", reference=check.reference)
        return found

    def hq_status(self, reference_: str) -> dict | None:
        with self.store.lock:
            return reference.hq_status(self.store.conn, reference_)

    # -- paper ----------------------------------------------------------------------------------------

    def print_receipt(self, kind: str, reference_: str):
        """Print the receipt as the record stands now (LUNAS only when paid); raises ``PrinterError``."""
        facility = self.services.facility_name()
        if kind == "deposit":
            data = deposits.receipt_data(self.store, self.cfg, reference_, facility)
        else:
            data = orders.receipt_data(self.store, self.cfg, reference_, facility)
        return self.services.print_receipt(kind, data, ref=reference_)

    # -- HQ -------------------------------------------------------------------------------------------

    def key(self):
        if self._key is None:
            self._key = identity.load(self.cfg.keys_dir)
        return self._key

    def client(self) -> online.PaymentsClient | None:
        """HQ's payment API for this device, or None when the device has no HQ (offline QRIS only)."""
        if not self.cfg.hq.url:
            return None
        if self._client is None:

            timeout = min(self.cfg.hq.timeout_s or HQ_TIMEOUT_S, HQ_TIMEOUT_S)
            hq = HQClient(self.cfg.hq.url, self.cfg.device.device_id, self.key(), timeout=timeout)
            self._client = online.PaymentsClient(hq)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.hq.close()
        if self._read is not None:
            self._read.close()
            self._read = None
