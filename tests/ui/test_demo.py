"""`make run` is `lapas demo`: HQ, gateway simulator, printer and scanner simulators, the sync daemon and the
kiosk window all start; one Ctrl-C stops every one of them, and none outlives a demo that is killed outright."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest
import requests

from tests.conftest import ROOT, lapas

pytestmark = [pytest.mark.ui, pytest.mark.slow]


def _start(data_dir, *extra: str):
    proc = subprocess.Popen([sys.executable, "-m", "lapas", "demo", "--data-dir", str(data_dir), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
                            start_new_session=True)
    lines, deadline = [], time.monotonic() + 120
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise AssertionError("demo exited early:\n" + "".join(lines))
        lines.append(line)
        if line.startswith("window:"):
            return proc, {ln.split(":", 1)[0].strip(): ln.split(":", 1)[1].strip() for ln in lines if ":" in ln}
    proc.kill()
    raise AssertionError("the demo did not open its window:\n" + "".join(lines))


def _tree(proc) -> list[psutil.Process]:
    """The demo and every process it started (HQ, gateway, printer and scanner simulators, sync daemon)."""
    me = psutil.Process(proc.pid)
    return [me, *me.children(recursive=True)]


def _alive(procs: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    deadline = time.monotonic() + timeout
    while True:
        left = []
        for p in procs:
            try:
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                    left.append(p)
            except psutil.Error:
                pass
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


@pytest.mark.parametrize("role", ["kiosk", "guard"])
def test_demo_starts_everything_and_one_ctrl_c_stops_it(tmp_path, role):
    data = tmp_path / "demo-data"
    proc, info = _start(data, *(["--guard"] if role == "guard" else []))
    try:
        hq = info["HQ"].split()[0]
        tree = _tree(proc)
        names = " ".join(" ".join(p.cmdline()) for p in tree)
        for part in ("hq serve", "sim gateway", "sim printer", "sim scanner", "lapas sync"):
            assert part in names, names
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the daemon reaches HQ: the device is seen there
            report = json.loads(lapas("doctor", "--data-dir", str(data / role), "--json").stdout)
            if report.get("last_sync"):
                break
            time.sleep(1)
        assert report.get("last_sync"), report
        page = requests.get(f"{hq}/dashboard/LPS-DEMO", timeout=10)
        assert page.status_code == 200 and f"{role}-demo" in page.text
        assert (data / "run" / "printer.tty").exists() and (data / "run" / "scanner.tty").exists()
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # what one Ctrl-C in the terminal sends
    assert proc.wait(30) == 0
    assert not _alive(tree, 10)


def test_nothing_outlives_a_killed_demo(tmp_path):
    data = tmp_path / "demo-data"
    proc, _info = _start(data)
    children = _tree(proc)[1:]
    assert len(children) >= 5
    proc.send_signal(signal.SIGKILL)  # the demo alone, as a crash or a lost X server would end it
    proc.wait(10)
    left = _alive(children, 15)
    names = [" ".join(p.cmdline()) for p in left]
    for p in left:
        p.kill()
    assert not left, names
