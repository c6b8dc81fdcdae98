"""The package layers hold (import-linter contracts in .importlinter), and no import hides inside a function
except an optional heavy dependency with its reason on the same line."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "kiosk", "hardware", "sync", "hq", "lapas")


def test_import_contracts_are_kept():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"
    proc = subprocess.run([exe, str(ROOT / ".importlinter")], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "BROKEN" not in proc.stdout


def _function_imports(path: Path) -> list[tuple[int, str]]:
    """Imports inside a function body whose line carries no ``#`` reason."""
    lines = path.read_text(encoding="utf-8").splitlines()
    out = []
    for node in ast.walk(ast.parse("\n".join(lines), str(path))):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            span = lines[inner.lineno - 1:inner.end_lineno] if hasattr(inner, "end_lineno") else []
            if isinstance(inner, ast.Import | ast.ImportFrom) and not any("#" in line for line in span):
                out.append((inner.lineno, lines[inner.lineno - 1].strip()))
    return out


def test_no_unexplained_function_level_imports():
    offenders = []
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            offenders += [f"{path.relative_to(ROOT)}:{n}: {text}" for n, text in _function_imports(path)]
    assert not offenders, f"{len(offenders)} function-level imports without a reason:\n" + "\n".join(offenders)


def test_no_dynamic_imports_in_the_product():
    hits = []
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            if "importlib" in text or "import_module" in text or "__import__(" in text:
                hits.append(str(path.relative_to(ROOT)))
    assert not hits, "dynamic imports: " + ", ".join(hits)
