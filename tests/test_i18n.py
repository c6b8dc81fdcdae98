"""Every string a visitor or guard reads goes through the gettext catalog, in Indonesian and English.

* every msgid in the source (.py via Babel, .kv via our extractor) is in both catalogs;
* every msgid has an Indonesian translation, and the compiled .mo files match the .po files;
* no ``text:`` rule in a .kv file and no ``text=`` literal in kiosk/ui Python bypasses the catalog.
(The runtime check over every rendered screen is tests/ui/test_catalog_coverage.py.)
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

from kiosk.cli import i18n_cmd
from tests.conftest import ROOT, lapas

UI = ROOT / "kiosk" / "ui"
# a kv text value that is translated, data, or built from properties (no bare literal words)
KV_TEXT = re.compile(r"^\s*text:\s*(?P<expr>.+)$")


def test_every_source_msgid_is_in_both_catalogs_and_translated_and_compiled():
    proc = lapas("i18n", "check")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_catalog_extraction_finds_kv_and_python_strings():
    template = i18n_cmd.extract()
    ids = {m.id for m in template if m.id}
    assert "Welcome" in ids  # from home.kv via the kv extractor
    assert "Register a visit" in ids  # from tiles.py via N_()
    assert "Are you still there?" in ids  # from widgets.kv


def _string_tokens(expr: str) -> list[tuple[int, str]]:
    """(index, value) of each string literal token in a kv expression."""
    out = []
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(expr).readline))
    except (tokenize.TokenError, IndentationError):
        return out
    for i, tok in enumerate(toks):
        if tok.type == tokenize.STRING:
            out.append((i, toks, ast.literal_eval(tok.string)))
    return out


def _in_membership_tuple(toks, i: int) -> bool:
    """True for a string inside ``x in ("a", "b")``: compared against, never shown."""
    depth = 0
    for j in range(i - 1, -1, -1):
        t = toks[j].string
        if t == ")":
            depth += 1
        elif t == "(":
            if depth == 0:
                return j > 0 and toks[j - 1].string == "in"
            depth -= 1
    return False


def test_kv_text_rules_have_no_untranslated_literals():
    offenders = []
    for kv in UI.rglob("*.kv"):
        for n, line in enumerate(kv.read_text(encoding="utf-8").splitlines(), 1):
            m = KV_TEXT.match(line)
            if not m:
                continue
            for i, toks, value in _string_tokens(m.group("expr")):
                if not re.search(r"[A-Za-z]{2,}", value):
                    continue
                prev = toks[i - 1].string if i else ""
                nxt = toks[i + 1].string if i + 1 < len(toks) else ""
                if prev == "(" and i >= 2 and toks[i - 2].string in ("_", "language_label"):
                    continue  # tr._("...") / _("..."), or a language code shown as itself
                if nxt == ":" or prev in ("==", "!=", "in") or _in_membership_tuple(toks, i):
                    continue  # a dict key or a comparison, not shown text
                offenders.append(f"{kv.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_python_ui_code_passes_no_literal_text():
    offenders = []
    for py in UI.rglob("*.py"):
        tree = ast.parse(py.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, ast.Call):
                targets = [kw.value for kw in node.keywords if kw.arg in ("text", "title", "message", "hint")]
            elif isinstance(node, ast.Assign):
                targets = [node.value] if any(
                    isinstance(t, ast.Attribute) and t.attr in ("text", "title", "message", "hint")
                    for t in node.targets) else []
            for value in targets:
                if isinstance(value, ast.Constant) and isinstance(value.value, str) and \
                        re.search(r"[A-Za-z]{2,}", value.value):
                    offenders.append(f"{py.relative_to(ROOT)}:{value.lineno}: {value.value!r}")
    assert not offenders, "\n".join(offenders)


def test_indonesian_catalog_translates_what_the_home_screen_says():
    from core import i18n

    i18n.reload()
    assert i18n.translate("Welcome", "id") == "Selamat datang"
    assert i18n.translate("Welcome", "en") == "Welcome"
    po = Path(i18n_cmd.po_path("id")).read_text(encoding="utf-8")
    assert 'Language: id' in po
