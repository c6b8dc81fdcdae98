"""No float in any money path: a source scan of the payments packages plus runtime checks."""

from __future__ import annotations

import ast
import json
import re
import sqlite3
from pathlib import Path

import pytest

from core.money import MoneyError, rupiah
from kiosk.payments import deposits, orders
from kiosk.payments.deposits import DepositRequest
from kiosk.payments.orders import OrderRequest
from tests.payments.conftest import NIK, NOW

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = [ROOT / "kiosk" / "payments", ROOT / "hq" / "payments"]
# A float literal is allowed only as a duration (seconds) or a timeout, never near money.
TIME_NAME = re.compile(r"(_s|timeout|delay|interval)$", re.IGNORECASE)


def _float_problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    problems: list[str] = []
    allowed: set[int] = set()  # ids of float Constant nodes bound to a time-like name
    for node in ast.walk(tree):
        pairs: list[tuple[str, ast.AST]] = []
        if isinstance(node, ast.arguments):
            args = node.posonlyargs + node.args
            pairs += [(a.arg, d) for a, d in zip(args[len(args) - len(node.defaults):], node.defaults, strict=True)]
            pairs += [(a.arg, d) for a, d in zip(node.kwonlyargs, node.kw_defaults, strict=True) if d is not None]
        elif isinstance(node, ast.keyword) and node.arg:
            pairs.append((node.arg, node.value))
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                name = t.id if isinstance(t, ast.Name) else t.attr if isinstance(t, ast.Attribute) else ""
                if node.value is not None:
                    pairs.append((name, node.value))
        for name, value in pairs:
            if TIME_NAME.search(name):
                allowed.update(id(n) for n in ast.walk(value))
    for node in ast.walk(tree):
        where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Constant) and type(node.value) is float and id(node) not in allowed:
            problems.append(f"{where}: float literal {node.value!r}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "float":
            problems.append(f"{where}: float() call")
        elif isinstance(node, (ast.BinOp, ast.AugAssign)) and isinstance(node.op, ast.Div):
            problems.append(f"{where}: true division '/' (use // on integer rupiah)")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in (
                "total_seconds", "__truediv__"):
            problems.append(f"{where}: {node.func.attr}() returns a float")
    return problems


def test_payments_source_has_no_float_in_money_code():
    files = [p for pkg in PACKAGES for p in sorted(pkg.rglob("*.py"))]
    assert len(files) >= 10
    problems = [msg for f in files for msg in _float_problems(f)]
    assert not problems, "floats in payments code:\n" + "\n".join(problems)


def test_the_scanner_catches_floats(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("fee = amount * 0.007\ntotal = float(x)\nhalf = amount / 2\n"
                   "def f(timeout=1.5, rate=0.5):\n    pass\nn = d.total_seconds()\n")
    found = _float_problems_in(bad)
    assert len(found) == 5, found  # 0.007, float(), '/', rate=0.5, total_seconds() -- not timeout=1.5


def _float_problems_in(path: Path) -> list[str]:
    global ROOT
    saved, ROOT = ROOT, path.parent
    try:
        return _float_problems(path)
    finally:
        ROOT = saved


def test_rupiah_refuses_floats():
    for bad in (1.0, 0.5, float("nan"), True, "1.5", "12,000", None):
        with pytest.raises(MoneyError):
            rupiah(bad)
    assert rupiah("150000") == 150_000


def test_database_refuses_a_float_amount(kiosk):
    cfg, store, key = kiosk
    d = deposits.create_deposit(store, cfg, key, DepositRequest("BI.0001/2025", NIK, "Siti Aminah", 100_000),
                                now=NOW)
    with pytest.raises(sqlite3.IntegrityError):
        store.conn.execute("UPDATE deposits SET amount = 100000.5 WHERE deposit_id = ?", (d.deposit_id,))
    with pytest.raises(sqlite3.IntegrityError):
        store.conn.execute("UPDATE deposits SET fee = 0.5 WHERE deposit_id = ?", (d.deposit_id,))


def _no_float(text: str) -> object:
    def refuse(value: str):
        raise AssertionError(f"float {value} in {text[:80]}")
    return json.loads(text, parse_float=refuse)


def test_every_stored_payload_and_money_column_is_integer(kiosk):
    cfg, store, key = kiosk
    deposits.create_deposit(store, cfg, key, DepositRequest("BI.0001/2025", NIK, "Siti Aminah", 123_456), now=NOW)
    orders.create_order(store, cfg, key, OrderRequest("BI.0001/2025", NIK, "Siti Aminah",
                                                      {"nasi-ayam": 1, "teh-kotak": 2}), now=NOW)
    for (payload,) in store.query("SELECT payload FROM outbox"):
        _no_float(payload)
    for (body,) in store.query("SELECT body FROM payment_reference"):
        _no_float(body)
    checks = [("deposits", "amount"), ("deposits", "fee"), ("orders", "total"), ("orders", "fee"),
              ("order_items", "price"), ("order_items", "qty")]
    for table, col in checks:
        types = {t for (t,) in store.query(f"SELECT DISTINCT typeof({col}) FROM {table}")}
        assert types == {"integer"}, (table, col, types)
