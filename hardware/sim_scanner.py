"""Scanner simulator: a real program on a real pty that types lines like a serial QR scanner.

``lapas sim scanner [LINES...] [--file F] [--stdin]`` (or ``python -m hardware.sim_scanner``) opens a
pseudo-terminal and prints the path to use as ``[scanner] port`` on the FIRST line of stdout. It waits
until a reader has opened the port (a real scanner's bytes would be lost otherwise; pyserial flushes
input on open), then types each line followed by the terminator, ``--interval`` seconds apart, and
announces ``typed N`` on stdout. If the reader goes away it waits for it to come back. Lines come from
the command line, then ``--file``, then stdin (``--stdin``, one line per scan, typed as they arrive; the
demo and the UI tests feed tickets this way). With ``--escapes``, ``\\xNN``, ``\\r``, ``\\n`` in a line
are turned into raw bytes (to test garbage). After the input is used up it keeps the port open until
killed, unless ``--exit-when-done``.
"""

from __future__ import annotations

import codecs
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator

import click

from hardware.serial_params import TERMINATORS
from hardware.sim_printer import open_pty


def reader_present(master: int) -> bool:
    """True while some process has the slave side open (the master reports POLLHUP otherwise)."""
    p = select.poll()
    p.register(master, select.POLLIN | select.POLLHUP)
    return not any(ev & select.POLLHUP for _fd, ev in p.poll(0))


def to_bytes(line: str, escapes: bool) -> bytes:
    if escapes:
        return codecs.escape_decode(line.encode("utf-8"))[0]
    return line.encode("utf-8")


def stdin_lines() -> Iterator[str]:
    for raw in sys.stdin:
        yield raw.rstrip("\r\n")


class ScannerSim:
    def __init__(self, terminator: str = "CR", interval: float = 0.2, settle: float = 0.5, escapes: bool = False,
                 out=sys.stdout):
        self.terminator = TERMINATORS[terminator]
        self.interval, self.settle, self.escapes = interval, settle, escapes
        self.out = out
        self.stopping = threading.Event()
        self.typed = 0
        self._lock = threading.Lock()
        self._since: float | None = None  # when the current reader opened the port

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def _reader_settled(self, master: int) -> bool:
        """True once a reader has held the port open for ``settle`` seconds (pyserial flushes its input
        right after opening, so bytes typed at that moment would be lost)."""
        with self._lock:
            if not reader_present(master):
                self._since = None
                return False
            now = time.monotonic()
            if self._since is None:
                self._since = now
            return now - self._since >= self.settle

    def wait_reader(self, master: int) -> bool:
        """Block until a reader has the port open and settled. False when stopping."""
        while not self.stopping.is_set():
            if self._reader_settled(master):
                return True
            self.stopping.wait(0.02)
        return False

    def type_lines(self, master: int, lines: Iterable[str]) -> None:
        for line in lines:
            data = to_bytes(line, self.escapes) + self.terminator
            if not self.wait_reader(master):
                return
            try:
                os.write(master, data)
            except OSError:
                continue
            self.typed += 1
            self.say(f"typed {self.typed}")
            if self.stopping.wait(self.interval):
                return

    def run(self, lines: Iterable[str], link: str | None = None, exit_when_done: bool = False) -> int:
        master, slave, path = open_pty(link)
        os.close(slave)  # only a reader holds the slave open, so its presence is visible (POLLHUP)

        def on_signal(_signum, _frame):
            self.stopping.set()

        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, on_signal)
        self.say(path)
        try:
            worker = threading.Thread(target=self.type_lines, args=(master, lines), daemon=True)
            worker.start()
            while worker.is_alive() and not self.stopping.is_set():
                self._drain(master)
                self._reader_settled(master)  # notice a reader coming and going while idle
                worker.join(0.02)
            if not self.stopping.is_set():
                self.say("done")
            while not exit_when_done and not self.stopping.is_set():
                self._drain(master)
                self.stopping.wait(0.1)
            if exit_when_done:
                time.sleep(self.interval)  # give the reader a moment to take the last line
        finally:
            os.close(master)
            if link and os.path.islink(link):
                try:
                    os.unlink(link)
                except OSError:
                    pass
        return 0

    @staticmethod
    def _drain(master: int) -> None:
        """Throw away whatever the reader writes (a scanner ignores it)."""
        try:
            ready, _, _ = select.select([master], [], [], 0)
            if ready:
                os.read(master, 4096)
        except OSError:
            pass


# -- the command (`lapas sim ...`, `python -m hardware.sim_...`) ------------------------------


@click.command("scanner")
@click.argument("lines", nargs=-1)
@click.option("--file", "file_", type=click.File("r", encoding="utf-8"), default=None, help="Type each line of this file.")
@click.option("--stdin", "use_stdin", is_flag=True, help="Type each line read from standard input, as it arrives.")
@click.option("--terminator", type=click.Choice(list(TERMINATORS)), default="CR", show_default=True,
              help="What ends each typed line.")
@click.option("--interval", type=float, default=0.2, show_default=True, help="Seconds between two lines.")
@click.option("--escapes", is_flag=True, help=r"Interpret \xNN, \r, \n in lines as raw bytes.")
@click.option("--link", default=None, help="Also make this path a symlink to the pty (a stable port name).")
@click.option("--exit-when-done", is_flag=True, help="Exit after the last line instead of waiting to be killed.")
def sim_scanner_cmd(lines, file_, use_stdin, terminator, interval, escapes, link, exit_when_done):
    """Simulated QR scanner: prints its pty path first, then types lines once a reader opens it."""
    def source():
        yield from lines
        if file_ is not None:
            for raw in file_:
                yield raw.rstrip("\r\n")
        if use_stdin:
            yield from stdin_lines()

    sim = ScannerSim(terminator, interval, escapes=escapes)
    sys.exit(sim.run(source(), link, exit_when_done))



def main(argv: list[str] | None = None) -> None:
    """``python -m hardware.sim_scanner`` = ``lapas sim scanner``."""

    sim_scanner_cmd.main(args=argv, prog_name="lapas sim scanner")


if __name__ == "__main__":
    main()
