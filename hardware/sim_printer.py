"""Printer simulator: a real program on a real pty that behaves like an ESC/POS receipt printer.

``lapas sim printer --out DIR`` (or ``python -m hardware.sim_printer``) opens a pseudo-terminal and
prints the path to use as ``[printer] port`` on the FIRST line of stdout. It then decodes whatever
arrives, answers ``DLE EOT`` status requests, and writes each receipt (everything up to a cut) into
DIR as ``receipt-NNNN.txt`` (text picture), ``.png`` (image; the QR is a real, scannable QR code) and
``.bin`` (the raw bytes). Each saved receipt is also announced on stdout: ``receipt N PATH.txt``.

Faults, switchable at run time:
  * ``kill -USR1 PID`` toggles paper-out, ``kill -USR2 PID`` toggles offline;
  * ``--control FILE``: lines ``paper_out=1``, ``near_end=1``, ``cover_open=1``, ``offline=1``,
    ``status=0`` (stop answering status requests), re-read whenever the file changes;
  * ``--paper-out-after N`` / ``--unplug-after N``: paper runs out / the device vanishes (the
    simulator exits) after N bytes have been received.
While paper is out, the cover open or the printer offline, nothing is printed (real-time status
requests are still answered); what was printed of the current receipt is saved as
``receipt-NNNN-partial.*``.
"""

from __future__ import annotations

import logging
import os
import queue
import re
import select
import signal
import sys
import threading
import time
import tty
from dataclasses import dataclass
from pathlib import Path

import click

from hardware.escpos_decode import EscPosDecoder, Receipt, ReceiptDone, StatusRequest
from hardware.receipt_image import render_png


@dataclass
class SimState:
    paper_out: bool = False
    near_end: bool = False
    cover_open: bool = False
    offline: bool = False
    answer_status: bool = True

    @property
    def printing(self) -> bool:
        return not (self.paper_out or self.cover_open or self.offline)

    def status_byte(self, n: int) -> int:
        """The real-time status byte for ``DLE EOT n`` (Epson TM series bit layout)."""
        v = 0x12
        if n == 1 and not self.printing:
            v |= 0x08
        elif n == 2:
            v |= (0x04 if self.cover_open else 0) | (0x20 if self.paper_out else 0)
        elif n == 4:
            v |= (0x0C if self.near_end or self.paper_out else 0) | (0x60 if self.paper_out else 0)
        return v

    def describe(self) -> str:
        return (f"paper_out={int(self.paper_out)} near_end={int(self.near_end)} cover_open={int(self.cover_open)} "
                f"offline={int(self.offline)} status={int(self.answer_status)}")


def open_pty(link: str | None = None) -> tuple[int, int, str]:
    """A raw pty pair; returns (master, slave, path). ``link`` becomes a symlink to the slave."""
    master, slave = os.openpty()
    tty.setraw(slave)
    path = os.ttyname(slave)
    if link:
        tmp = f"{link}.tmp{os.getpid()}"
        os.symlink(path, tmp)
        os.replace(tmp, link)
        path = link
    return master, slave, path


def next_number(out_dir: Path) -> int:
    nums = [int(m.group(1)) for p in out_dir.glob("receipt-*.txt") if (m := re.match(r"receipt-(\d+)", p.name))]
    return max(nums, default=0) + 1


class PrinterSim:
    def __init__(self, out_dir: Path, width_mm: int = 80, control: Path | None = None,
                 paper_out_after: int | None = None, unplug_after: int | None = None, baud: int = 0,
                 out=sys.stdout):
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.columns = 32 if width_mm == 58 else 48
        self.dots = 384 if width_mm == 58 else 576
        self.decoder = EscPosDecoder(self.columns)
        self.state = SimState()
        self.control = Path(control) if control else None
        self._control_mtime = None
        self.paper_out_after, self.unplug_after = paper_out_after, unplug_after
        self.baud = baud
        self.received = 0
        self.number = next_number(self.out_dir)
        self.out = out
        self.stopping = False
        self._raw_job = bytearray()
        self._toggle: str | None = None
        self._say_lock = threading.Lock()
        # Receipts are drawn and written on their own thread: a real printer answers real-time status
        # requests at once, even while it is busy printing, so the byte pump must never wait for a PNG.
        self._saves: queue.Queue = queue.Queue()
        self._saver = threading.Thread(target=self._save_loop, name="receipt-writer", daemon=True)
        self._saver.start()

    def say(self, text: str) -> None:
        with self._say_lock:
            self.out.write(text + "\n")
            self.out.flush()

    # -- state -----------------------------------------------------------------------------------

    def set_state(self, **changes: bool) -> None:
        was_printing = self.state.printing
        for k, v in changes.items():
            setattr(self.state, k, bool(v))
        if was_printing and not self.state.printing:
            partial = self.decoder.take_partial()
            if partial is not None:
                self.save(partial, bytes(self._raw_job))
                self._raw_job.clear()
        self.decoder.printing = self.state.printing
        self.say("state " + self.state.describe())

    def poll_control(self) -> None:
        if not self.control:
            return
        try:
            mtime = self.control.stat().st_mtime_ns
        except FileNotFoundError:
            return
        if mtime == self._control_mtime:
            return
        self._control_mtime = mtime
        changes = {}
        for raw in self.control.read_text().splitlines():
            key, _, value = raw.partition("=")
            key = {"status": "answer_status"}.get(key.strip(), key.strip())
            if key in ("paper_out", "near_end", "cover_open", "offline", "answer_status"):
                changes[key] = value.strip() not in ("0", "", "false", "no")
        self.set_state(**changes)

    # -- output ----------------------------------------------------------------------------------

    def save(self, receipt: Receipt, raw: bytes | None = None) -> Path:
        """Queue ``receipt`` for writing; returns the path its .txt will have."""
        stem = f"receipt-{self.number:04d}" + ("-partial" if receipt.partial else "")
        self.number += 1
        txt = self.out_dir / f"{stem}.txt"
        self._saves.put((receipt, raw, stem, txt))
        return txt

    def flush_saves(self) -> None:
        self._saves.join()

    def _save_loop(self) -> None:
        while True:
            item = self._saves.get()
            try:
                self._write(*item)
            except Exception as exc:  # noqa: BLE001 - a full disk must not kill the simulated printer
                print(f"receipt not saved: {exc!r}", file=sys.stderr, flush=True)
            finally:
                self._saves.task_done()

    def _write(self, receipt: Receipt, raw: bytes | None, stem: str, txt: Path) -> None:
        render_png(receipt, self.out_dir / f"{stem}.png", self.dots)
        if raw is not None:
            (self.out_dir / f"{stem}.bin").write_bytes(raw)
        tmp = txt.with_suffix(".tmp")
        tmp.write_text(receipt.as_text(), encoding="utf-8")
        os.replace(tmp, txt)  # the .txt appears last: once it exists, the PNG is complete
        self.say(("partial " if receipt.partial else "receipt ") + f"{int(stem.split('-')[1])} {txt}")

    # -- the byte pump ---------------------------------------------------------------------------

    def handle(self, master: int, data: bytes) -> bool:
        """Process received bytes; returns False when the simulated device was unplugged."""
        while data:
            part = data
            limit = None
            for threshold in (self.paper_out_after, self.unplug_after):
                if threshold is not None and self.received < threshold:
                    left = threshold - self.received
                    limit = left if limit is None else min(limit, left)
            if limit is not None and limit < len(part):
                part = part[:limit]
            data = data[len(part):]
            self.received += len(part)
            self._raw_job.extend(part)
            for event in self.decoder.feed(part):
                if isinstance(event, StatusRequest):
                    if self.state.answer_status:
                        os.write(master, bytes([self.state.status_byte(event.n)]))
                elif isinstance(event, ReceiptDone):
                    self.save(event.receipt, bytes(self._raw_job))
                    self._raw_job.clear()
            if self.unplug_after is not None and self.received >= self.unplug_after:
                self.say(f"unplugged after {self.received} bytes")
                return False
            if self.paper_out_after is not None and self.received >= self.paper_out_after and not self.state.paper_out:
                self.paper_out_after = None
                self.set_state(paper_out=True)
        return True

    def run(self, link: str | None = None) -> int:
        master, slave, path = open_pty(link)
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_w, False)

        def on_signal(signum, _frame):
            if signum == signal.SIGUSR1:
                self._toggle = "paper_out"
            elif signum == signal.SIGUSR2:
                self._toggle = "offline"
            else:
                self.stopping = True
            try:
                os.write(wake_w, b"x")
            except BlockingIOError:
                pass

        for sig in (signal.SIGUSR1, signal.SIGUSR2, signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, on_signal)
        self.say(path)
        self.poll_control()
        try:
            while not self.stopping:
                ready, _, _ = select.select([master, wake_r], [], [], 0.1)
                if wake_r in ready:
                    os.read(wake_r, 64)
                if self._toggle:
                    key, self._toggle = self._toggle, None
                    self.set_state(**{key: not getattr(self.state, key)})
                self.poll_control()
                if master in ready:
                    try:
                        data = os.read(master, 4096)
                    except OSError:
                        continue
                    if self.baud:  # emulate the wire: the host's writes block like on a real line
                        time.sleep(len(data) * 10 / self.baud)
                    if not self.handle(master, data):
                        return 3
        finally:
            os.close(master)
            os.close(slave)
            self.flush_saves()
            if link:
                try:
                    if os.path.islink(link):
                        os.unlink(link)
                except OSError:
                    pass
        return 0


# -- the command (`lapas sim ...`, `python -m hardware.sim_...`) ------------------------------


@click.command("printer")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="receipts", show_default=True,
              help="Directory for the printed receipts (.txt, .png, .bin).")
@click.option("--width", type=click.Choice(["58", "80"]), default="80", show_default=True, help="Paper width in mm.")
@click.option("--link", default=None, help="Also make this path a symlink to the pty (a stable port name).")
@click.option("--control", type=click.Path(dir_okay=False), default=None,
              help="File of key=value lines (paper_out, near_end, cover_open, offline, status) re-read on change.")
@click.option("--paper-out-after", type=int, default=None, help="Paper runs out after this many bytes.")
@click.option("--unplug-after", type=int, default=None, help="The device vanishes after this many bytes.")
@click.option("--baud", type=int, default=0, help="Emulate this line speed (0 = as fast as the pty goes).")
def sim_printer_cmd(out_dir, width, link, control, paper_out_after, unplug_after, baud):
    """Simulated ESC/POS printer: prints its pty path first, saves each receipt as text and PNG.

    SIGUSR1 toggles paper-out, SIGUSR2 toggles offline.
    """
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    sim = PrinterSim(Path(out_dir), int(width), Path(control) if control else None, paper_out_after, unplug_after,
                     baud)
    sys.exit(sim.run(link))



def main(argv: list[str] | None = None) -> None:
    """``python -m hardware.sim_printer`` = ``lapas sim printer``."""

    sim_printer_cmd.main(args=argv, prog_name="lapas sim printer")


if __name__ == "__main__":
    main()
