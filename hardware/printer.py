"""The receipt printer: python-escpos ``Serial`` on a tty, real-time status, and the print service.

The kiosk UI calls :class:`PrintService` from a worker thread *after* the business write commits::

    svc = PrintService(cfg, store)
    try:
        result = svc.print("ticket", ticket_data, ref=visit_id)
    except PrinterError as exc:
        log.error(exc.message)                 # English, for the log
        show(translate(exc.msgid))             # Indonesian on screen; the job waits in the print log
    ...
    svc.reprint("last")                        # "SALINAN ke-1" on top

Every job is written to the print log first; its bytes go out in chunks, and between chunks the printer
is asked for its real-time status (``DLE EOT 1/2/4``), so paper out, cover open or an unplugged cable
in the middle of a receipt is reported with its reason and the job stays ``failed`` (nothing else is
lost). Printers that never answer status requests are printed to blind (logged once per job).
"""

from __future__ import annotations

import logging
import termios
import time
from dataclasses import asdict, dataclass

import serial
from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Serial as EscposSerial

from core.errors import HardwareFault
from core.i18n import N_, translate
from hardware.escpos_decode import split_safe

log = logging.getLogger(__name__)

DLE_EOT = b"\x10\x04"
CHUNK = 256  # bytes sent between two status checks

# code -> (English log text, msgid for the screen)
ERRORS = {
    "paper_out": ("printer is out of paper", N_("The printer is out of paper. Please call an officer.")),
    "cover_open": ("printer cover is open", N_("The printer cover is open. Please call an officer.")),
    "offline": ("printer is offline", N_("The printer is offline. Please call an officer.")),
    "unplugged": ("printer is not connected", N_("The printer is not connected. Please call an officer.")),
    "timeout": ("printer stopped responding", N_("The printer is not responding. Please call an officer.")),
    "not_configured": ("no printer port configured", N_("No printer is set up on this kiosk.")),
}


class PrinterError(HardwareFault):
    """Printing failed. ``code`` is stable, ``message`` English (log), ``msgid`` for the screen."""

    def __init__(self, code: str, detail: str = "", job_id: str | None = None):
        self.code = code
        base, self.msgid = ERRORS[code]
        self.message = f"{base}: {detail}" if detail else base
        self.job_id = job_id
        super().__init__(self.message)

    def screen_text(self, lang: str | None = None) -> str:
        return translate(self.msgid, lang=lang)


@dataclass
class PrinterStatus:
    """What the printer said about itself. ``responded`` False: no answer (unknown, not an error)."""

    port: str = ""
    connected: bool = False
    responded: bool = False
    online: bool = True
    paper_out: bool = False
    paper_near_end: bool = False
    cover_open: bool = False
    error: bool = False

    @property
    def problem(self) -> str | None:
        """The error code that stops printing, or None."""
        if not self.port:
            return "not_configured"
        if not self.connected:
            return "unplugged"
        if not self.responded:
            return None
        if self.paper_out:
            return "paper_out"
        if self.cover_open:
            return "cover_open"
        if not self.online or self.error:
            return "offline"
        return None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def as_dict(self) -> dict:
        return {**asdict(self), "problem": self.problem, "ok": self.ok}


@dataclass
class PrintResult:
    job_id: str
    kind: str
    ref: str
    bytes_sent: int
    copy_no: int
    seconds: float
    status: PrinterStatus  # after the job (paper_near_end is worth showing to an officer)


def _status_byte(b: bytes) -> int | None:
    """A real-time status byte has bit 1 and 4 set and bits 0 and 7 clear."""
    if len(b) == 1 and (b[0] & 0x93) == 0x12:
        return b[0]
    return None


class SerialPrinter:
    """One connection to an ESC/POS printer on a serial tty (python-escpos ``Serial`` underneath)."""

    def __init__(self, port: str, baud: int = 19200, status_timeout_s: float = 1.0):
        self.port, self.baud, self.status_timeout_s = port, baud, status_timeout_s
        self._p: EscposSerial | None = None

    def open(self) -> None:
        if not self.port:
            raise PrinterError("not_configured")
        p = EscposSerial(devfile=self.port, baudrate=self.baud, timeout=self.status_timeout_s, dsrdtr=False)
        try:
            p.open()
        except (DeviceNotFoundError, OSError, serial.SerialException, termios.error) as exc:
            raise PrinterError("unplugged", f"cannot open {self.port}: {exc}") from exc
        p.device.write_timeout = self._write_timeout(CHUNK)
        self._p = p

    def close(self) -> None:
        p, self._p = self._p, None
        if p is not None and p.device:
            try:
                p.device.close()
            except (OSError, serial.SerialException):
                pass
            p._device = False

    def __enter__(self) -> SerialPrinter:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write_timeout(self, nbytes: int) -> float:
        return 2.0 + 3 * nbytes * 10 / self.baud  # generous: a busy printer may hold the line a while

    def write(self, data: bytes) -> None:
        assert self._p is not None
        try:
            self._p._raw(data)
        except serial.SerialTimeoutException as exc:
            raise PrinterError("timeout", f"write to {self.port} timed out") from exc
        except (OSError, serial.SerialException, termios.error) as exc:
            raise PrinterError("unplugged", f"write to {self.port} failed: {exc}") from exc

    def query(self, n: int, after_bytes: int = 0) -> int | None:
        """Send ``DLE EOT n`` and return the status byte, or None when the printer does not answer.

        ``after_bytes`` still queued before the request on the wire lengthen the wait for the answer.
        """
        dev = self._p.device
        try:
            dev.reset_input_buffer()
            dev.timeout = self.status_timeout_s + after_bytes * 10 / self.baud
            self._p._raw(DLE_EOT + bytes([n]))
            deadline = time.monotonic() + dev.timeout
            while time.monotonic() < deadline:
                b = dev.read(1)
                if not b:
                    return None
                value = _status_byte(b)
                if value is not None:
                    return value  # anything else is line noise: keep reading until the deadline
            return None
        except serial.SerialTimeoutException as exc:
            raise PrinterError("timeout", f"status request to {self.port} timed out") from exc
        except (OSError, serial.SerialException, termios.error) as exc:
            raise PrinterError("unplugged", f"{self.port} disappeared: {exc}") from exc

    def status(self, after_bytes: int = 0) -> PrinterStatus:
        st = PrinterStatus(port=self.port, connected=True)
        s1 = self.query(1, after_bytes)
        if s1 is None:
            return st
        st.responded = True
        st.online = not s1 & 0x08
        s4 = self.query(4)
        if s4 is not None:
            st.paper_near_end = bool(s4 & 0x0C)
            st.paper_out = bool(s4 & 0x60)
        if not st.online or st.paper_out:
            s2 = self.query(2)
            if s2 is not None:
                st.cover_open = bool(s2 & 0x04)
                st.paper_out = st.paper_out or bool(s2 & 0x20)
                st.error = bool(s2 & 0x40)
        return st


def probe(port: str, baud: int = 19200, status_timeout_s: float = 1.0) -> PrinterStatus:
    """Open, ask for status, close. Never raises: an absent printer is ``connected=False``."""
    if not port:
        return PrinterStatus()
    sp = SerialPrinter(port, baud, status_timeout_s)
    try:
        sp.open()
        return sp.status()
    except PrinterError as exc:
        log.info("printer status on %s: %s", port, exc.message)
        return PrinterStatus(port=port, connected=exc.code not in ("unplugged", "not_configured"),
                             responded=False)
    finally:
        sp.close()


def send_job(sp: SerialPrinter, payload: bytes, chunk: int = CHUNK) -> PrinterStatus:
    """Send one receipt over an open connection, checking status before, between chunks and after.

    Raises :class:`PrinterError` with the reason as soon as the printer reports a fault.
    """
    before = sp.status()
    if before.problem:
        raise PrinterError(before.problem, "before the job")
    if not before.responded:
        log.warning("printer on %s does not answer status requests; printing without checks", sp.port)
    sent = 0
    for part in split_safe(payload, chunk):
        sp.write(part)
        sent += len(part)
        if before.responded:
            st = sp.status(after_bytes=len(part))
            if not st.responded:
                raise PrinterError("timeout", f"no status answer after {sent} of {len(payload)} bytes")
            if st.problem:
                raise PrinterError(st.problem, f"after {sent} of {len(payload)} bytes")
    return sp.status() if before.responded else before
