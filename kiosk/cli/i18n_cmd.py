"""``lapas i18n update``: extract msgids from .py and .kv with Babel, merge them into the id/en catalogs
(Babel's catalog update; a translation whose msgid left the source is kept as obsolete), and compile the ``.mo`` files; ``lapas i18n check``.
"""

from __future__ import annotations

import io
from pathlib import Path

import click
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from core import i18n

ROOT = Path(__file__).resolve().parent.parent.parent
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "translate": None}
HEADER = "Translations of lapas-kiosk: what visitors and guards read on the kiosk, guard station and paper."


def extract(root: Path = ROOT):
    """The template catalog (msgids found in the source tree, per babel.cfg)."""

    with open(root / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    template = Catalog(project="lapas-kiosk", msgid_bugs_address="", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
            str(root), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def po_path(lang: str, root: Path = ROOT) -> Path:
    return root / "assets" / "locale" / lang / "LC_MESSAGES" / "lapas.po"


def read_catalog(lang: str, root: Path = ROOT):

    path = po_path(lang, root)
    if not path.exists():
        return Catalog(locale=lang, project="lapas-kiosk", header_comment="# " + HEADER, charset="utf-8")
    with open(path, "rb") as f:
        return read_po(f, locale=lang)


def merge(catalog, template) -> tuple[int, list[str]]:
    """Babel's ``Catalog.update`` with the template (no fuzzy guesses: a wrong guess would reach paper). A msgid
    that left the source is kept as obsolete (``#~``) with its translation, and one that comes back gets its old
    translation again. Returns (added, obsolete msgids)."""
    before = {_key(m) for m in catalog if m.id}
    back = {k: m for k, m in catalog.obsolete.items() if template.get(m.id, m.context) is not None}
    for key, msg in back.items():  # Babel would treat a returning msgid as new: give it its translation back
        catalog[msg.id] = msg
        del catalog.obsolete[key]
    still_obsolete = {k: m for k, m in catalog.obsolete.items() if k not in back}
    catalog.update(template, no_fuzzy_matching=True, update_header_comment=False, keep_user_comments=True)
    for key, msg in still_obsolete.items():  # Babel keeps only what this update made obsolete
        catalog.obsolete.setdefault(key, msg)
    added = len({_key(m) for m in catalog if m.id} - before - {_key(m) for m in back.values()})
    return added, [_key(m) for m in catalog.obsolete.values()]


def _key(m) -> str:
    return m.id if isinstance(m.id, str) else m.id[0]


def compile_mo(catalog) -> bytes:

    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


def write(catalog, lang: str, root: Path = ROOT) -> None:

    path = po_path(lang, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    write_po(buf, catalog, width=110, sort_output=False, include_previous=False, ignore_obsolete=False)
    path.write_bytes(buf.getvalue())
    path.with_suffix(".mo").write_bytes(compile_mo(catalog))


def untranslated(catalog) -> list[str]:
    out = []
    for m in catalog:
        if not m.id:
            continue
        strings = m.string if isinstance(m.string, (tuple, list)) else (m.string,)
        if m.fuzzy or not all(strings):
            out.append(m.id if isinstance(m.id, str) else m.id[0])
    return out


@click.group("i18n")
def i18n_group():
    """Translation catalogs (assets/locale): extract, merge and compile with Babel."""


@i18n_group.command("update")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=ROOT, show_default=True,
              help="Project root holding babel.cfg and assets/locale.")
def update_cmd(root: Path):
    """Extract msgids from .py and .kv, merge into id and en catalogs, compile .mo files."""
    template = extract(root)
    for lang in ("id", "en"):
        catalog = read_catalog(lang, root)
        added, unused = merge(catalog, template)
        write(catalog, lang, root)
        missing = untranslated(catalog) if lang == "id" else []
        click.echo(f"{lang}: {len(template)} msgids in source, {added} new, {len(unused)} obsolete (kept), "
                   f"{len(missing)} untranslated -> {po_path(lang, root)}")
        for msgid in missing[:20]:
            click.echo(f"  untranslated: {msgid}")

    i18n.reload()


@i18n_group.command("check")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=ROOT, show_default=True,
              help="Project root holding babel.cfg and assets/locale.")
def check_cmd(root: Path):
    """Fail when a msgid is missing from a catalog, untranslated in Indonesian, or a .mo is stale."""
    template = extract(root)
    problems = []
    for lang in ("id", "en"):
        catalog = read_catalog(lang, root)
        for m in template:
            if m.id and catalog.get(m.id, m.context) is None:
                problems.append(f"{lang}: not in catalog: {m.id!r}")
        if lang == "id":
            problems += [f"id: untranslated: {x!r}" for x in untranslated(catalog)]
        mo = po_path(lang, root).with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != compile_mo(catalog):
            problems.append(f"{lang}: {mo} is missing or stale (run `lapas i18n update`)")
    for p in problems:
        click.echo(p)
    if problems:
        raise click.ClickException(f"{len(problems)} catalog problem(s)")
    click.echo("catalogs ok")
