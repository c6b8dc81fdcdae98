"""Scripted touch flows shared by the UI tests and bench/ui.py: demo data, one registration through the UI."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.harness import find_key, find_text, texts, walk


def prepare_demo(data_dir: Path, *, all_day: bool = True, walk_in_quota: int | None = None) -> dict:
    """Fresh demo reference data (the visits core's generator) loaded into the device. ``all_day`` stretches the
    afternoon session to 23:59 so today always has an open session whatever time the tests run."""
    # imported here: bench/ui.py's RSS run imports this module, and pytest is no part of the kiosk's memory
    from tests.conftest import lapas

    ref = data_dir / "reference.json"
    lapas("reference", "demo", "--out", str(ref), check=True)
    if all_day:
        doc = json.loads(ref.read_text(encoding="utf-8"))
        doc["schedule"]["sessions"]["S"]["end"] = "23:59"
        for b in doc.get("pre_registrations", []):
            b["session"] = "S"
        if walk_in_quota is not None:  # e.g. the benchmark's 100 registrations in one day
            for slots in doc["schedule"]["weekdays"].values():
                for slot in slots:
                    slot["walk_in_quota"] = walk_in_quota
        ref.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    lapas("reference", "load", str(ref), "--data-dir", str(data_dir), check=True)
    return json.loads(ref.read_text(encoding="utf-8"))


def demo_nik(i: int) -> str:
    """A structurally valid NIK (East Java, 15 Aug 1990, woman: day + 40) with serial i + 1."""
    return f"35071255089{(i + 1) % 100000:05d}"[:16] if i >= 10000 else f"350712550890{i + 1:04d}"


def visitable_inmates(doc: dict, session: str = "S") -> list[dict]:
    """Inmates who may be visited today in ``session`` (visitable, active, their code allowed today)."""
    from core.ids import today_wib

    slots = doc["schedule"]["weekdays"].get(str(today_wib().isoweekday()), [])
    codes = {c for slot in slots if slot["session"] == session for c in slot.get("inmate_codes", [])}
    return [m for m in doc.get("inmates", []) if m.get("visitable", True) and m.get("status", "active") == "active"
            and (not codes or m.get("code") in codes)]


def tile(h, key: str):
    return next(w for w in h.app.sm.get_screen("home").ids.tiles.children if w.tile_key == key)


def enabled_buttons(root):
    from kiosk.ui.widgets.base import BigButton

    return [w for w in walk(root) if isinstance(w, BigButton) and not w.disabled and not w.hidden]


def register_once(h, i: int, *, inmate_reg_no: str | None = None, followers: int = 0, shots: bool = False,
                  doc: dict | None = None, close_print_error: bool = True, day: int = 0,
                  until: str | None = None) -> tuple[str, str] | None:
    """Register one visit through the touch UI; returns (queue number shown, ticket QR payload shown).

    ``day`` picks the day button on the session screen (0 = today); ``until`` ("visit_inmate" after the search,
    "visit_session" with the day shown, "visit_confirm" before printing) stops there and returns None, as does a
    refusal while adding a follower."""
    app = h.app
    shot = h.screenshot if shots else (lambda _n: None)
    h.tap(tile(h, "visit"))
    nik_screen = app.sm.get_screen("visit_nik")
    shot("visit-nik-empty")
    h.type(nik_screen.ids.keypad, demo_nik(i))
    shot("visit-nik-typed")
    h.tap(find_key(nik_screen.ids.keypad, "enter"), count=False)
    assert app.sm.current == "visit_contact", nik_screen.help
    contact = app.sm.get_screen("visit_contact")
    h.type(contact.ids.keyboard, "SITI AMINAH")
    h.tap(find_key(contact.ids.keyboard, "enter"), count=False)
    h.type(contact.ids.keyboard, "081234567890")
    shot("visit-contact")
    h.tap(find_key(contact.ids.keyboard, "enter"), count=False)
    assert app.sm.current == "visit_relation", contact.help
    shot("visit-relation")
    relation = app.sm.get_screen("visit_relation")
    h.tap(relation.ids.choices.children[-1])  # the first choice: husband / wife
    assert app.sm.current == "visit_inmate"
    inmate_screen = app.sm.get_screen("visit_inmate")
    if inmate_reg_no is None:
        inmate_reg_no = visitable_inmates(doc)[i]["reg_no"]
    h.type(inmate_screen.ids.keyboard, inmate_reg_no)
    h.tap(find_key(inmate_screen.ids.keyboard, "enter"), count=False)
    h.settle()
    shot("visit-inmate-found")
    found = next((x for x in doc.get("inmates", []) if x["reg_no"] == inmate_reg_no), None) if doc else None
    if found and found.get("room"):  # the block and cell stay with the officers: never on the lobby's screen
        shown = " ".join(texts(inmate_screen))
        assert found["room"] not in shown and f"{found.get('block')} / " not in shown, shown
    if until == "visit_inmate":
        return None
    h.tap(inmate_screen.ids.confirm)
    assert app.sm.current == "visit_followers"
    fscreen = app.sm.get_screen("visit_followers")
    for n in range(followers):
        h.tap(fscreen.ids.add, count=False)
        add = app.sm.get_screen("visit_follower")
        h.type(add.ids.keyboard, f"ANAK {chr(65 + n)}")
        h.tap(add.ids.child, count=False)  # a child under 17 needs no ID
        h.tap(add.ids.choices.children[-3], count=False)  # son / daughter
        h.settle()
        if app.panel is not None:  # refused (e.g. too many followers): the caller looks at the panel
            return None
    shot("visit-followers")
    h.tap(fscreen.ids.next)
    h.settle()
    assert app.sm.current == "visit_session"
    shot("visit-session")
    session_screen = app.sm.get_screen("visit_session")

    def pick_day(d: int) -> None:  # the day strip is rebuilt on every pick
        h.tap(list(reversed(session_screen.ids.days.children))[d], count=False)
        h.settle()

    d = day
    if d:
        pick_day(d)
    if until == "visit_session":
        return None
    choice = next((b for b in reversed(session_screen.ids.sessions.children) if not b.disabled), None)
    while choice is None and d + 1 < len(session_screen.ids.days.children):  # today's sessions may be over
        d += 1
        pick_day(d)
        choice = next((b for b in reversed(session_screen.ids.sessions.children) if not b.disabled), None)
    assert choice is not None, "no open session in the coming days"
    h.tap(choice)
    assert app.sm.current == "visit_confirm"
    shot("visit-confirm")
    if until == "visit_confirm":
        return None
    h.tap(app.sm.get_screen("visit_confirm").ids.print_button)
    h.settle(timeout=20)
    assert app.sm.current == "visit_done", (app.panel and app.panel.message)
    done = app.sm.get_screen("visit_done")
    shot("visit-done")
    assert done.queue_no and find_text(app.root, done.queue_no, exact=True)
    queue_no, qr = done.queue_no, done.qr
    h.wait(lambda: done.print_state in ("printed", "failed"), timeout=30, what="the ticket print job")
    h.settle()
    if close_print_error and app.panel is not None and done.print_state == "failed":
        h.tap(find_text(app.panel, app_text(h, "Close"), exact=True), count=False)  # no printer here
    h.tap(find_text(app.root, app_text(h, "Finish"), exact=True), count=False)
    return queue_no, qr


def app_text(h, msgid: str) -> str:
    from core.i18n import _

    return _(msgid)


def assert_home_tiles_fit(h) -> None:
    """Every home tile's title and subtitle lie inside the tile, one under the other (nothing cut or overlapping)."""
    from kiosk.ui.screens.home import Tile

    tiles = [w for w in walk(h.app.root) if isinstance(w, Tile)]
    assert tiles
    for t in tiles:
        top = t.top - t.padding[1]
        for label in t.children[::-1]:
            if getattr(label, "text", ""):
                assert label.top <= top + 1 and label.y >= t.y, f"{t.title!r}: {label.text!r} does not fit"
                top = label.y
