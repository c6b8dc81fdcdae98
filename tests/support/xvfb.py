"""A private virtual X display (Xvfb) for tests, benchmarks and headless demos when no DISPLAY is set."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path


def _free_display() -> int:
    for n in range(90 + os.getpid() % 300, 1000):
        if not Path(f"/tmp/.X{n}-lock").exists() and not Path(f"/tmp/.X11-unix/X{n}").exists():
            return n
    raise RuntimeError("no free X display number")


def start(width: int = 1280, height: int = 800) -> subprocess.Popen | None:
    """Start Xvfb and set DISPLAY unless a display is already available; returns the process (or None)."""
    if os.environ.get("DISPLAY"):
        return None
    if not shutil.which("Xvfb"):
        raise RuntimeError("no DISPLAY and Xvfb is not installed (apt-get install xvfb)")
    for _attempt in range(5):
        n = _free_display()
        log = open(os.environ["LAPAS_XVFB_LOG"], "ab") if os.environ.get("LAPAS_XVFB_LOG") else subprocess.DEVNULL
        proc = subprocess.Popen(["Xvfb", f":{n}", "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp",
                                 "-noreset", "-terminate"], stdout=log, stderr=log)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if Path(f"/tmp/.X11-unix/X{n}").exists():
                os.environ["DISPLAY"] = f":{n}"
                return proc
            if proc.poll() is not None:
                break
            time.sleep(0.05)
        proc.kill()
    raise RuntimeError("could not start Xvfb")


def stop(proc: subprocess.Popen | None) -> None:
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
