"""One exception tree: every exception class the product defines derives from ``core.errors.LapasError``, through
one of the branches the root's docstring lists."""

from __future__ import annotations

import ast
from pathlib import Path

from core import errors

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "kiosk", "hardware", "sync", "hq", "lapas")


def _exception_classes() -> list[tuple[str, str]]:
    """(module, class name) of every class whose name or bases say it is an exception, found without importing
    (so Kivy or an extra not installed does not hide one)."""
    out = []
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            for node in tree.body:
                if isinstance(node, ast.ClassDef):
                    bases = [ast.unparse(b) for b in node.bases]
                    if any(b.endswith(("Error", "Exception", "Refusal", "Refused", "Unreachable", "Fault",
                                       "Missing", "Running", "Conflict", "Crashed", "OutOfOrder", "NeedMore"))
                           for b in bases) or node.name.endswith("Error"):
                        out.append((module, node.name))
    return out


def test_every_project_exception_derives_from_lapas_error():
    import importlib  # the test walks every module by name; the product never does

    found = _exception_classes()
    assert len(found) >= 40
    strays = []
    for module, name in found:
        cls = getattr(importlib.import_module(module), name)
        if not issubclass(cls, errors.LapasError):
            strays.append(f"{module}.{name}")
    assert not strays, "not under LapasError: " + ", ".join(strays)


def test_the_root_docstring_names_every_branch_and_class():
    doc = errors.__doc__ or ""
    for base in errors.BASES:
        assert base.__name__ in doc
    missing = [name for _module, name in _exception_classes()
               if name not in doc and name not in {b.__name__ for b in errors.BASES} and name != "LapasError"]
    assert not missing, "add them to core/errors.py's tree: " + ", ".join(missing)
