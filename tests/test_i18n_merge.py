"""`lapas i18n update` merges with Babel's catalog update: new msgids are added, a msgid that left the source keeps
its translation as obsolete, and gets it back when it returns."""

from __future__ import annotations

from babel.messages.catalog import Catalog

from kiosk.cli.i18n_cmd import merge


def _template(*ids: str) -> Catalog:
    t = Catalog(project="lapas-kiosk")
    for i in ids:
        t.add(i, None, [("kiosk/x.py", 1)])
    return t


def test_a_msgid_that_leaves_and_returns_keeps_its_translation():
    cat = Catalog(locale="id")
    cat.add("Send money", "Titip uang")
    added, obsolete = merge(cat, _template("Send money", "Send food"))
    assert added == 1 and obsolete == [] and not cat.get("Send food").string

    added, obsolete = merge(cat, _template("Send food"))  # "Send money" left the source
    assert cat.get("Send money") is None and obsolete == ["Send money"]

    added, obsolete = merge(cat, _template("Send food", "Send money"))  # ... and came back
    assert added == 0 and obsolete == []
    assert cat.get("Send money").string == "Titip uang"
