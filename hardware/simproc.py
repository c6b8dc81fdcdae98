"""Start the simulators as real child processes and get their pty paths (for ``lapas demo`` and tests).

::

    with spawn_printer_sim(out_dir) as sim:        # python -m hardware.sim_printer --out out_dir
        cfg.printer.port = sim.path
        ...
        txt = sim.wait_for("receipt")            # "receipt 1 /.../receipt-0001.txt"
    with spawn_scanner_sim("TICKET-1", "TICKET-2") as sim:
        reader = ScannerReader(sim.path, ...)
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from core.errors import HardwareFault


class SimError(HardwareFault, RuntimeError):
    """A simulator did not start or did not say what was expected in time."""


class SimProcess:
    """A running simulator: ``path`` (its pty), ``proc`` and the lines it prints after the path."""

    def __init__(self, args: list[str], startup_timeout: float = 15.0, stdin: bool = False):
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.args = args
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                     stdin=subprocess.PIPE if stdin else subprocess.DEVNULL)
        self.lines: queue.Queue[str] = queue.Queue()
        self.stderr: list[str] = []
        first: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._pump, args=(first,), daemon=True)
        self._reader.start()
        threading.Thread(target=self._pump_err, daemon=True).start()
        try:
            self.path = first.get(timeout=startup_timeout)
        except queue.Empty:
            self.stop()
            raise SimError(f"{' '.join(args)} printed no pty path within {startup_timeout}s: "
                           f"{''.join(self.stderr)[-2000:]}") from None
        if not self.path:
            self.stop()
            raise SimError(f"{' '.join(args)} exited: {''.join(self.stderr)[-2000:]}")

    def _pump(self, first: queue.Queue) -> None:
        got_first = False
        for raw in self.proc.stdout:
            line = raw.rstrip("\n")
            if not got_first:
                first.put(line)
                got_first = True
            else:
                self.lines.put(line)
        if not got_first:
            first.put("")

    def _pump_err(self) -> None:
        for raw in self.proc.stderr:
            self.stderr.append(raw)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_for(self, prefix: str, timeout: float = 15.0) -> str:
        """The next stdout line starting with ``prefix`` (earlier other lines are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise SimError(f"no '{prefix}' line from {self.args[-1]} within {timeout}s; "
                               f"stderr: {''.join(self.stderr)[-2000:]}")
            try:
                line = self.lines.get(timeout=min(left, 0.5))
            except queue.Empty:
                continue
            if line.startswith(prefix):
                return line

    def send(self, line: str) -> None:
        """Write one line to the simulator's stdin (``lapas sim scanner --stdin``)."""
        assert self.proc.stdin is not None, "started without stdin=True"
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def kill(self) -> None:
        """Like pulling the cable: SIGKILL, no clean-up."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(5)

    def stop(self, timeout: float = 5.0) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        for stream in (self.proc.stdin,):
            if stream:
                try:
                    stream.close()
                except OSError:
                    pass
        return self.proc.returncode

    def __enter__(self) -> SimProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def spawn_printer_sim(out_dir: str | Path, *extra: str, width: int = 80, link: str | Path | None = None,
                      control: str | Path | None = None) -> SimProcess:
    args = [sys.executable, "-m", "hardware.sim_printer", "--out", str(out_dir), "--width", str(width), *extra]
    if link:
        args += ["--link", str(link)]
    if control:
        args += ["--control", str(control)]
    return SimProcess(args)


def spawn_scanner_sim(*lines: str, terminator: str = "CR", interval: float = 0.05, link: str | Path | None = None,
                      stdin: bool = False, extra: tuple[str, ...] = ()) -> SimProcess:
    args = [sys.executable, "-m", "hardware.sim_scanner", "--terminator", terminator, "--interval", str(interval),
            *extra]
    if link:
        args += ["--link", str(link)]
    if stdin:
        args.append("--stdin")
    args += ["--", *lines] if lines else []
    return SimProcess(args, stdin=stdin)
