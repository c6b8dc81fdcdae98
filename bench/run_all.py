"""``make bench``: every bench in turn, then one table of every figure, its goal and its ratio. Exits non-zero
when a bench failed or any goal was missed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = ("store", "visits", "printer", "payments", "sync", "ui")


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "figures.jsonl"
        failed = []
        for name in BENCHES:
            print(f"== bench/{name}.py", flush=True)
            env = {**os.environ, "LAPAS_BENCH_RESULTS": str(results)}
            rc = subprocess.call([sys.executable, str(HERE / f"{name}.py"), *sys.argv[1:]], env=env,
                                 cwd=HERE.parent)
            if rc != 0:
                failed.append(f"{name} (exit {rc})")
        figures = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines()] \
            if results.exists() else []
    print("\n| bench | figure | value | goal | ratio | ok |\n|---|---|---|---|---|---|")
    for f in figures:
        sign = ">=" if f["higher_is_better"] else "<="
        goal = f"{sign} {f['goal']:g} {f['unit']}" if f["goal"] else "-"
        ratio = f"{f['ratio']:.2f}x" if f["ratio"] is not None else "-"
        print(f"| {f['bench']} | {f['name']} | {f['value']:,.3f} {f['unit']} | {goal} | {ratio} | "
              f"{'yes' if f['ok'] else 'NO'} |")
    missed = [f for f in figures if not f["ok"]]
    if failed:
        print("benches that failed: " + ", ".join(failed))
    return 1 if failed or missed else 0


if __name__ == "__main__":
    sys.exit(main())
