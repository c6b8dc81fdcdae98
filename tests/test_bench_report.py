"""A bench that misses a goal exits non-zero, and `bench/run_all.py`'s table shows the figure as missed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = """
import sys
sys.path.insert(0, {root!r})
from bench.report import exit_code, figure
figure("p95", {value}, "ms", 10.0)
figure("rate", 6000, "events/s", 5000, higher_is_better=True)
sys.exit(exit_code())
"""


def _run(tmp_path, value):
    script = tmp_path / "fake_bench.py"
    script.write_text(SCRIPT.format(root=str(ROOT), value=value), encoding="utf-8")
    results = tmp_path / "figures.jsonl"
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60,
                          env={"LAPAS_BENCH_RESULTS": str(results), "PATH": "/usr/bin:/bin"})
    return proc, [json.loads(line) for line in results.read_text().splitlines()]


def test_a_missed_goal_fails_the_bench(tmp_path):
    proc, figures = _run(tmp_path, 12.5)
    assert proc.returncode == 1 and "MISSED: fake_bench p95 = 12.5 ms" in proc.stdout
    assert [f["ok"] for f in figures] == [False, True] and figures[0]["ratio"] == 1.25


def test_goals_met_pass(tmp_path):
    proc, figures = _run(tmp_path, 3.0)
    assert proc.returncode == 0 and all(f["ok"] for f in figures)
