"""Every bench's figures in one shape: a line each on stdout and, when ``LAPAS_BENCH_RESULTS`` names a file, a
JSON line each there (``bench/run_all.py`` reads them for its table). A bench exits with :func:`exit_code`: 1 when
any figure missed its goal."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass

_FIGURES: list[Figure] = []


@dataclass
class Figure:
    bench: str
    name: str
    value: float
    unit: str
    goal: float | None  # None: reported for context, no goal
    higher_is_better: bool = False

    @property
    def ok(self) -> bool:
        if self.goal is None:
            return True
        return self.value >= self.goal if self.higher_is_better else self.value <= self.goal

    @property
    def ratio(self) -> float | None:
        """value / goal: under 1 is inside a 'lower is better' goal, over 1 inside a 'higher is better' one."""
        return None if not self.goal else self.value / self.goal


def figure(name: str, value: float, unit: str, goal: float | None = None, *, higher_is_better: bool = False,
           bench: str | None = None) -> Figure:
    f = Figure(bench or os.path.basename(sys.argv[0]).removesuffix(".py"), name, float(value), unit, goal,
               higher_is_better)
    _FIGURES.append(f)
    sign = ">=" if higher_is_better else "<="
    goal_text = f"goal {sign} {goal:g} {unit}: {f.ratio:.2f}x, {'OK' if f.ok else 'MISSED'}" if goal else "no goal"
    print(f"  figure  {name}: {value:,.3f} {unit}  ({goal_text})", flush=True)
    out = os.environ.get("LAPAS_BENCH_RESULTS")
    if out:
        with open(out, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({**asdict(f), "ok": f.ok, "ratio": f.ratio}) + "\n")
    return f


def exit_code() -> int:
    missed = [f for f in _FIGURES if not f.ok]
    for f in missed:
        print(f"MISSED: {f.bench} {f.name} = {f.value:g} {f.unit} (goal {f.goal:g})", flush=True)
    return 1 if missed else 0
