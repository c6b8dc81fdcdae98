"""The device's print service: render a receipt's data (``hardware.layouts``), record the job in the print log
(``kiosk.store.printlog``), send it to the printer (``hardware.printer``); and reprint a logged job as SALINAN."""

from __future__ import annotations

import logging
import threading
import time

from core.ids import utcnow
from hardware import layouts
from hardware.escpos_doc import PaperProfile
from hardware.printer import CHUNK, PrinterError, PrinterStatus, PrintResult, SerialPrinter, probe, send_job
from kiosk.store.printlog import PrintJob, PrintLog, data_json

log = logging.getLogger("hardware.printer")  # the same logger as the printer seam: one place to read print trouble


class PrintService:
    """Print jobs through the print log. Thread-safe: one job at a time."""

    def __init__(self, cfg, store, *, chunk: int = CHUNK):
        self.cfg = cfg
        self.store = store
        self.log = PrintLog(store)
        self.profile = PaperProfile.from_config(cfg.printer)
        self.chunk = chunk
        self._lock = threading.Lock()

    def _connection(self) -> SerialPrinter:
        pc = self.cfg.printer
        return SerialPrinter(pc.port, pc.baud, pc.status_timeout_s)

    def status(self) -> PrinterStatus:
        pc = self.cfg.printer
        with self._lock:
            return probe(pc.port, pc.baud, pc.status_timeout_s)

    def last_job(self, kind: str | None = None) -> PrintJob | None:
        return self.log.last(kind)

    def print(self, kind: str, data: object, ref: str) -> PrintResult:
        """Render, record, send. On failure the job stays in the log as ``failed`` and PrinterError is raised."""
        if kind not in layouts.LAYOUTS:
            raise ValueError(f"unknown print kind {kind!r}; expected one of {', '.join(layouts.LAYOUTS)}")
        expected = layouts.LAYOUTS[kind][0]
        if not isinstance(data, expected):
            raise TypeError(f"print kind {kind!r} needs {expected.__name__}, got {type(data).__name__}")
        payload = layouts.render(data, self.profile)
        job = self.log.record(kind, ref, payload, data_json(data))
        return self._send(job, copy_no=0)

    def reprint(self, job_id: str = "last") -> PrintResult:
        """Print a logged receipt again with ``SALINAN ke-N`` on top (N counts the copies of it)."""
        original = self.log.last() if job_id == "last" else self.log.get(job_id)
        if original is None:
            raise LookupError("no print job to reprint" if job_id == "last" else f"no print job {job_id}")
        if original.copy_of:
            original = self.log.get(original.copy_of)
        copy_no = self.log.next_copy_no(original.job_id)
        payload = layouts.as_copy(original.payload, copy_no, utcnow(), self.profile)
        job = self.log.record(original.kind, original.ref, payload, original.data, copy_of=original.job_id,
                              copy_no=copy_no)
        return self._send(job, copy_no=copy_no)

    def _send(self, job: PrintJob, copy_no: int) -> PrintResult:
        t0 = time.monotonic()
        with self._lock:
            sp = self._connection()
            try:
                sp.open()
                after = send_job(sp, job.payload, self.chunk)
            except PrinterError as exc:
                exc.job_id = job.job_id
                log.error("print job %s (%s %s) failed: %s", job.job_id, job.kind, job.ref, exc.message)
                self.log.mark_failed(job.job_id, exc.code, exc.message)
                raise
            finally:
                sp.close()
        self.log.mark_printed(job.job_id)
        seconds = time.monotonic() - t0
        log.info("printed %s %s (%d bytes, copy %d) in %.2fs", job.kind, job.ref, len(job.payload), copy_no, seconds)
        return PrintResult(job.job_id, job.kind, job.ref, len(job.payload), copy_no, seconds, after)
