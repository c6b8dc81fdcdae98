"""The UI's only way to the device: the store, the domain, the printer and health probes.

Every method here may block (disk, serial, network), so screens call them through :class:`~kiosk.ui.worker.Worker`
lanes, never on the UI thread. Nothing here imports Kivy.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kiosk import doctor
from kiosk.config import Config
from kiosk.ids import fmt_wib, parse_iso, utcnow
from kiosk.store import Store, outbox

log = logging.getLogger(__name__)


@dataclass
class StatusSnapshot:
    connection: str  # online | offline | unknown
    data_as_of: str  # WIB text or ""
    stale: bool
    pending: int
    oldest_pending_at: str | None


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
        self.store = store or Store(cfg.db_path, cfg.device.device_id)
        self._printer = None

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
                              st["pending"], st["oldest_pending_at"])

    def health(self) -> dict[str, Any]:
        """Everything maintenance mode shows: doctor's report plus the printer's own status."""
        report = doctor.report(self.cfg, check_hq=True)
        report["printer_status"] = self.printer_status()
        return report

    # -- printer ----------------------------------------------------------------------------------

    @property
    def printer(self):
        """The hardware print service, or None when no printer is configured / the layer is missing."""
        if self._printer is None and self.cfg.printer.port:
            try:
                from hardware.printing import PrintService
            except ImportError:
                return None
            self._printer = PrintService(self.cfg, self.store)
        return self._printer

    def printer_status(self) -> dict[str, Any]:
        svc = self.printer
        if svc is None:
            return {"ok": False, "code": "not_configured"}
        try:
            st = svc.status()
        except Exception as exc:  # PrinterError carries .code
            return {"ok": False, "code": getattr(exc, "code", type(exc).__name__)}
        return st if isinstance(st, dict) else {"ok": bool(st), "code": "" if st else "unknown"}

    def close(self) -> None:
        try:
            self.store.close()
        except Exception:  # already closed
            pass
