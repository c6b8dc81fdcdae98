"""The UI's only way to the device: the store, the domain, the printer and health probes.

Every method here may block (disk, serial, network), so screens call them through :class:`~kiosk.ui.worker.Worker`
lanes, never on the UI thread. Nothing here imports Kivy.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from core.i18n import _
from core.ids import fmt_wib, parse_iso, today_wib, utcnow
from core.receipts import ZReportData
from hardware.escpos_doc import PaperProfile, ReceiptBuilder
from hardware.printer import PrinterError, SerialPrinter, send_job
from kiosk import doctor
from kiosk.config import Config
from kiosk.domain import reports
from kiosk.printing import PrintService
from kiosk.store import Store, outbox
from kiosk.store.printlog import PrintLog

if TYPE_CHECKING:
    from kiosk.store import Store

log = logging.getLogger(__name__)


@dataclass
class StatusSnapshot:
    connection: str  # online | offline | unknown
    data_as_of: str  # WIB text or ""
    stale: bool
    pending: int
    oldest_pending_at: str | None
    facility_name: str = ""


def connection_state(sync: dict[str, Any], interval_s: float, now: datetime | None = None) -> str:
    """online when the daemon's last success is recent and newer than its last error."""
    now = now or utcnow()
    last_ok = sync.get("last_success")
    if not sync:
        return "unknown"
    if not last_ok:
        return "offline"
    try:
        ok_at = parse_iso(last_ok)
    except ValueError:
        return "unknown"
    err_at = sync.get("last_error_at")
    if err_at:
        try:
            if parse_iso(err_at) > ok_at:
                return "offline"
        except ValueError:
            pass
    return "online" if (now - ok_at).total_seconds() <= max(60.0, 3 * interval_s) else "offline"


class Services:
    """Device services for one data directory. Open once per app; close on exit."""

    def __init__(self, cfg: Config, store: Store | None = None):
        self.cfg = cfg
        self._store = store
        self._store_lock = threading.Lock()
        self._printer = None

    @property
    def store(self):
        """The device database, opened (and migrated) on first use, on a worker lane, not at start-up."""
        if self._store is None:
            with self._store_lock:
                if self._store is None:

                    self._store = Store(self.cfg.db_path, self.cfg.device.device_id)
        return self._store

    # -- status -----------------------------------------------------------------------------------

    def status(self) -> StatusSnapshot:
        raw = self.store.get_meta("sync_status")
        try:
            sync = json.loads(raw) if raw else {}
        except ValueError:
            sync = {}
        as_of = self.store.get_meta("reference_as_of")
        text, stale = "", True
        if as_of:
            try:
                dt = parse_iso(as_of)
                text = fmt_wib(dt)
                stale = (utcnow() - dt).total_seconds() > self.cfg.limits.reference_max_age_h * 3600
            except ValueError:
                text = ""

        st = outbox.stats(self.store.conn)
        return StatusSnapshot(connection_state(sync, self.cfg.sync.interval_s), text, stale,
                              st["pending"], st["oldest_pending_at"], self.facility_name())

    def health(self) -> dict[str, Any]:
        """Everything maintenance mode shows: doctor's report plus the printer's own status."""

        report = doctor.report(self.cfg, check_hq=True)
        report["printer_status"] = self.printer_status()
        return report

    # -- printer ----------------------------------------------------------------------------------

    @property
    def printer(self):
        """The hardware print service (``hardware.printer.PrintService``)."""
        if self._printer is None:

            self._printer = PrintService(self.cfg, self.store)
        return self._printer

    def printer_status(self) -> dict[str, Any]:
        st = self.printer.status().as_dict()
        st["code"] = st.get("problem") or ""
        return st

    def print_receipt(self, kind: str, data: object, ref: str):
        """Print after the business write committed; raises ``PrinterError`` (the job stays in the log)."""

        if not self.cfg.printer.port:
            raise PrinterError("not_configured")
        return self.printer.print(kind, data, ref)

    def reprint_last(self):

        if not self.cfg.printer.port:
            raise PrinterError("not_configured")
        return self.printer.reprint("last")

    def printer_test(self):
        """A short test page straight through the printer seam (not a receipt, not logged)."""

        pc = self.cfg.printer
        if not pc.port:
            raise PrinterError("not_configured")
        b = ReceiptBuilder(PaperProfile.from_config(pc))
        b.center(self.facility_name().upper(), bold=True)
        b.rule()
        b.center(_("PRINTER TEST"), bold=True, size=(1, 2))
        b.row(_("Device"), self.cfg.device.device_id)
        b.row(_("Time"), fmt_wib(utcnow()))
        b.line(_("If you can read this, the printer works."))
        b.cut()
        sp = SerialPrinter(pc.port, pc.baud, pc.status_timeout_s)
        try:
            sp.open()
            return send_job(sp, b.output())
        finally:
            sp.close()

    def z_report_data(self, day=None):
        """Today's totals of this device (WIB business date) for the Z report."""

        day = day or today_wib()
        data = ZReportData(facility_name=self.facility_name(), device_id=self.cfg.device.device_id,
                           business_date=day, generated_at=utcnow())
        data.visits_by_session, data.visits_provisional = self._visit_counts(day)
        counts = PrintLog(self.store).counts()
        data.prints_count = counts["prints"]
        data.reprints_count = counts["reprints"]

        data.outbox_pending = outbox.stats(self.store.conn)["pending"]
        return data

    def _visit_counts(self, day) -> tuple[dict[str, int], int]:
        return reports.visit_counts(self.store, day)

    def print_z_report(self):

        if not self.cfg.printer.port:
            raise PrinterError("not_configured")
        data = self.z_report_data()
        return self.printer.print("zreport", data, ref=f"Z-{data.business_date.isoformat()}")

    def facility_name(self) -> str:
        return self.store.get_meta("facility_name") or self.cfg.device.facility_id

    def close(self) -> None:
        if self._store is not None:
            try:
                self._store.close()
            except Exception:  # already closed
                pass
