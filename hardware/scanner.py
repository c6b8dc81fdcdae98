"""QR scanner on a serial port: a line reader on a background thread, robust against bad input and unplugging.

::

    reader = ScannerReader("/dev/ttyACM0", 9600, "CR", on_line=handle)   # handle(str) runs on the reader thread
    reader.start()
    ...
    reader.stop()

Lines end with the configured terminator (``CR``, ``LF`` or ``CRLF``; a stray CR/LF around a line is
dropped, so a CRLF scanner still works with ``CR`` or ``LF``). The same code scanned again within
``dedupe_window_s`` (counted from its latest scan) is collapsed into one. Over-long lines, non-UTF-8
bytes and control characters are rejected with a warning in the log and never reach ``on_line``.
When the device disappears (USB unplug) the reader closes it and keeps trying to reopen the same
path every ``reconnect_s`` until it is back.
"""

from __future__ import annotations

import logging
import termios
import threading
import time
import unicodedata
from collections.abc import Callable

import serial

from hardware.serial_params import TERMINATORS

log = logging.getLogger(__name__)

_BAD_CATEGORIES = {"Cc", "Cs", "Co", "Cn"}


class TooLong(bytes):
    """The first bytes of a line that went over the length limit (the rest was dropped)."""


class LineFramer:
    """Splits a byte stream into lines; enforces the length limit while a line is still arriving."""

    def __init__(self, terminator: bytes, max_line: int):
        self.terminator = terminator
        self.max_line = max_line
        self.buf = bytearray()
        self.discarding = False  # inside an over-long line: drop bytes up to its terminator

    def feed(self, data: bytes) -> list[bytes]:
        """Complete lines in order; a :class:`TooLong` marks an over-long line that was dropped."""
        self.buf += data
        out: list[bytes] = []
        while True:
            idx = self.buf.find(self.terminator)
            if idx < 0:
                if len(self.buf) > self.max_line + 1:  # +1: a CR of a CRLF pair may still be waiting
                    if not self.discarding:
                        out.append(TooLong(self.buf[:40]))
                    self.discarding = True
                    self.buf.clear()
                return out
            line = bytes(self.buf[:idx])
            del self.buf[:idx + len(self.terminator)]
            if self.discarding:
                self.discarding = False
                continue
            if len(line) > self.max_line + 1:
                out.append(TooLong(line[:40]))
                continue
            out.append(line)

    def reset(self) -> None:
        self.buf.clear()
        self.discarding = False


def clean_line(raw: bytes, max_line: int) -> tuple[str | None, str]:
    """(text, "") for a good line, (None, reason) for a rejected one, (None, "") for an empty one."""
    raw = raw.strip(b"\r\n")
    if not raw:
        return None, ""
    if len(raw) > max_line:
        return None, f"longer than {max_line} bytes"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, "not valid UTF-8"
    text = text.strip()
    if not text:
        return None, ""
    bad = next((ch for ch in text if unicodedata.category(ch) in _BAD_CATEGORIES), None)
    if bad is not None:
        return None, f"control or unassigned character U+{ord(bad):04X}"
    return text, ""


class ScannerReader:
    """Reads scanned lines from ``port`` and calls ``on_line(text)`` on its own thread."""

    def __init__(self, port: str, baud: int = 9600, terminator: str | bytes = "CR",
                 on_line: Callable[[str], None] | None = None, dedupe_window_s: float = 3.0, max_line: int = 512,
                 *, reconnect_s: float = 0.5, on_state: Callable[[str], None] | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.port, self.baud = port, baud
        self.terminator = TERMINATORS[terminator] if isinstance(terminator, str) else terminator
        self.on_line = on_line or (lambda _text: None)
        self.on_state = on_state
        self.dedupe_window_s = dedupe_window_s
        self.max_line = max_line
        self.reconnect_s = reconnect_s
        self.clock = clock
        self.framer = LineFramer(self.terminator, max_line)
        self._seen: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._serial: serial.SerialBase | None = None
        self.connected = threading.Event()
        self.stats = {"delivered": 0, "duplicates": 0, "rejected": 0, "connects": 0, "disconnects": 0,
                      "failed_opens": 0}  # failed_opens: tries to reopen a missing port (it was unplugged)

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> ScannerReader:
        if self._thread and self._thread.is_alive():
            return self
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"scanner:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        s = self._serial
        if s is not None:
            try:
                s.cancel_read()
            except (AttributeError, OSError, serial.SerialException):
                pass
        if self._thread:
            self._thread.join(timeout)
        self._close()

    def __enter__(self) -> ScannerReader:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the thread ------------------------------------------------------------------------------

    def _set_state(self, state: str) -> None:
        if state == "connected":
            self.connected.set()
            self.stats["connects"] += 1
        else:
            self.connected.clear()
            self.stats["disconnects"] += 1
        log.info("scanner %s %s", self.port, state)
        if self.on_state:
            try:
                self.on_state(state)
            except Exception:  # noqa: BLE001 - a UI callback must not kill the reader
                log.exception("scanner on_state callback failed")

    def _open(self) -> bool:
        try:
            self._serial = serial.serial_for_url(self.port, baudrate=self.baud, timeout=0.2)
        except (OSError, ValueError, serial.SerialException, termios.error) as exc:
            log.debug("scanner %s not available: %s", self.port, exc)
            return False
        self.framer.reset()
        self._set_state("connected")
        return True

    def _close(self) -> None:
        s, self._serial = self._serial, None
        if s is not None:
            try:
                s.close()
            except (OSError, serial.SerialException):
                pass

    def _run(self) -> None:
        warned = False
        while not self._stop.is_set():
            if self._serial is None:
                if not self._open():
                    self.stats["failed_opens"] += 1
                    if not warned:
                        log.warning("scanner %s not available; retrying every %.1fs", self.port, self.reconnect_s)
                        warned = True
                    self._stop.wait(self.reconnect_s)
                    continue
                warned = False
            try:
                data = self._serial.read(self._serial.in_waiting or 1)
            except (OSError, serial.SerialException, termios.error, TypeError, AttributeError) as exc:
                if self._stop.is_set():
                    break
                log.warning("scanner %s disconnected: %s", self.port, exc)
                self._close()
                self._set_state("disconnected")
                self._stop.wait(self.reconnect_s)
                continue
            if data:
                self.feed(data)
        self._close()

    # -- lines -----------------------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Frame, check, de-duplicate and deliver (public so a test or a keyboard wedge can inject bytes)."""
        for raw in self.framer.feed(data):
            if isinstance(raw, TooLong):
                self._reject(raw, f"longer than {self.max_line} bytes")
                continue
            text, reason = clean_line(raw, self.max_line)
            if text is None:
                if reason:
                    self._reject(raw, reason)
                continue
            now = self.clock()
            last = self._seen.get(text)
            self._seen[text] = now
            if last is not None and now - last < self.dedupe_window_s:
                self.stats["duplicates"] += 1
                log.debug("scanner: duplicate scan collapsed")
                continue
            self._forget_old(now)
            self.stats["delivered"] += 1
            try:
                self.on_line(text)
            except Exception:  # noqa: BLE001 - one bad handler call must not stop the scanner
                log.exception("scanner on_line callback failed")

    def _reject(self, raw: bytes, reason: str) -> None:
        self.stats["rejected"] += 1
        shown = raw[:40]
        more = "..." if len(raw) > 40 or isinstance(raw, TooLong) else ""
        log.warning("scanner %s: rejected input (%s): %r%s", self.port, reason, shown, more)

    def _forget_old(self, now: float) -> None:
        if len(self._seen) > 256:
            self._seen = {k: t for k, t in self._seen.items() if now - t < self.dedupe_window_s}
