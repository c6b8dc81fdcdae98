"""Every refusal of visit registration through the touch screen (issue 6): for each rule the visitor sees the
Indonesian message and what to do next where the UI stops them, and nothing is written (no visit row, no
outbox event). invalid_nik and weekly_limit_nik are in test_registration.py.

``lead_time`` is reached by a walk-in registering at the kiosk for a later day. A booking code cannot hit it:
``redeem_booking`` refuses a booking for any day but today (``booking_wrong_day``) and checks the lead time only
for walk-ins (HQ applied it when the booking was made online).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from kivy.core.window import Window

from tests.conftest import lapas
from tests.support.harness import find_key, find_text, texts
from tests.ui.flows import demo_nik, prepare_demo, register_once, tile

pytestmark = pytest.mark.ui
pytest.importorskip("kiosk.domain.visits", reason="the visits core (issue 3) is not built yet")

SENTENCED, DETAINEE, ISOLATED = "BI.0001/2025", "AII.0002/2026", "BI.0003/2024"  # fixed demo inmates (code B,
# code A, not visitable): see kiosk.domain.demo_data.inmates
OTHER_DAY = "Please choose another day or session."
ASK_OFFICER = "Please ask the officer at the registration desk."


def t(msgid: str, **params) -> str:
    """The Indonesian text the app shows for ``msgid`` (the catalog must have it, never the English)."""
    from core.i18n import _

    text = _(msgid)
    assert text != msgid, f"no Indonesian translation for {msgid!r}"
    return text.format(**params)


def slots(doc: dict) -> list[dict]:
    return [slot for day in doc["schedule"]["weekdays"].values() for slot in day]


def limits(**kw) -> Callable[[dict], None]:
    return lambda doc: doc["limits"].update(kw)


def codes(*allowed: str) -> Callable[[dict], None]:
    return lambda doc: [slot.update(inmate_codes=list(allowed)) for slot in slots(doc)]


def today() -> str:
    from core.ids import today_wib

    return today_wib().isoformat()


def reload(data_dir: Path, doc: dict, *changes: Callable[[dict], None]) -> None:
    """Change the reference data the way HQ would and load it as a newer version (`lapas reference load`)."""
    for change in changes:
        change(doc)
    doc["version"] += 1
    ref = data_dir / "reference.json"
    ref.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    lapas("reference", "load", str(ref), "--data-dir", str(data_dir), check=True)


def earlier_visit(data_dir: Path, reg_no: str) -> None:
    """Another visitor's visit to ``reg_no`` today (through the visits core: not what this test is about)."""
    from core import identity
    from core.ids import today_wib
    from kiosk import config
    from kiosk.domain.visits import VisitRequest, register_visit
    from kiosk.store import Store

    cfg = config.load(data_dir)
    store = Store(cfg.db_path, cfg.device.device_id)
    try:
        register_visit(store, cfg, identity.load(cfg.keys_dir),
                       VisitRequest(demo_nik(9), "BUDI SANTOSO", "", "parent", reg_no, today_wib(), "S"))
    finally:
        store.close()


def written(h) -> tuple[int, int]:
    store = h.app.services.store
    return (store.scalar("SELECT count(*) FROM visits"),
            store.scalar("SELECT count(*) FROM outbox WHERE type = 'visit.registered'"))


@dataclass
class Case:
    id: str
    change: Callable[[dict], None]  # the rule, as HQ's reference data sets it
    expect: Callable[[], tuple[str, str]]  # (message, what to do next) in Indonesian
    stop: str = "visit_confirm"  # where the UI stops the visitor: inmate, follower or session screen, or the write
    back: str = "visit_confirm"  # the screen after touching OK on the refusal
    late: bool = False  # the rule changes while the visitor is on the confirmation screen (another kiosk, HQ)
    flow: dict = field(default_factory=dict)  # register_once arguments
    after: str = ""  # msgid shown on the screen the visitor is sent back to

    @property
    def code(self) -> str:
        return self.id.split("-")[0]


CASES = [  # a full session cannot be touched ("Penuh"): the refusal is met when the last place goes meanwhile
    Case("quota_full", lambda doc: [slot.update(walk_in_quota=0) for slot in slots(doc)],
         lambda: (t("This session is full."), t(OTHER_DAY)), back="visit_session", late=True, after="Full"),
    Case("weekly_limit_inmate", limits(visits_per_inmate_per_week=1),
         lambda: (t("{name} has already had {count} visit(s) this week.", name="Ahmad Fauzi Hidayat", count=1),
                  t("An inmate may receive {max} visit(s) a week. Please come next week.", max=1))),
    Case("day_not_allowed_for_inmate_code", codes("B"),  # the session screen knows the inmate's group
         lambda: (t("This session is not for visiting {group}.", group=t("detainees (tahanan)")), t(OTHER_DAY)),
         stop="visit_session", flow={"inmate_reg_no": DETAINEE}),
    Case("visitor_banned",
         lambda doc: doc["banned_visitors"].append({"nik": demo_nik(0), "reason": "Razia", "until": None}),
         lambda: (t("A person in this visit ({nik}) may not visit at this time.",
                    nik=demo_nik(0)[:4] + "********" + demo_nik(0)[-4:]), t(ASK_OFFICER))),
    Case("too_many_followers", limits(max_followers=1),
         lambda: (t("At most {max} followers may come with one visitor.", max=1),
                  t("Remove a follower, or let them register as a visitor on another day.")),
         stop="visit_follower", back="visit_follower", flow={"followers": 2}),  # refused as it is added
    Case("closed-emergency", lambda doc: doc.update(emergency_close={"closed": True, "reason": "Razia", "until": None}),
         lambda: (t("Visits are closed today by the facility (emergency)."), t(OTHER_DAY)), stop="visit_session"),
    Case("closed-exception",
         lambda doc: doc["exceptions"].append({"date": today(), "closed": True, "reason": "Kegiatan lapas"}),
         lambda: (t("There are no visits on this date (holiday or facility event)."), t(OTHER_DAY)),
         stop="visit_session"),
    Case("inmate_not_visitable", lambda doc: None,
         lambda: (t("{name} cannot receive visits at this time.", name="Yosef Manurung"), t(ASK_OFFICER)),
         stop="visit_inmate", flow={"inmate_reg_no": ISOLATED}),  # refused when found
    Case("inmate_not_found", lambda doc: None,
         lambda: (t("No inmate was found for \u201c{query}\u201d.", query="BI.9999/2025"),
                  t("Type the full registration number (e.g. BI.1234/2025) or the full name exactly.")),
         stop="visit_inmate", flow={"inmate_reg_no": "BI.9999/2025"}),
    Case("inmate_not_found-booking", lambda doc: doc["pre_registrations"][0].update(inmate_id="inm-9999"),
         lambda: (t("The inmate of booking {code} is no longer at this facility.", code="BK01DEMO"), t(ASK_OFFICER)),
         stop="booking", back="booking"),
    Case("lead_time", limits(pre_registration_lead_days=2),
         lambda: (t("Registration for another day must be made {days} day(s) ahead.", days=2), t(OTHER_DAY)),
         stop="visit_session", flow={"day": 1}),  # tomorrow's sessions say so
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_refusal_is_explained_in_indonesian_and_nothing_is_written(start_app, kiosk_dir, case):
    doc = prepare_demo(kiosk_dir)
    reload(kiosk_dir, doc, codes("A", "B"), *(() if case.late else (case.change,)))
    if case.code == "weekly_limit_inmate":
        earlier_visit(kiosk_dir, SENTENCED)
    h = start_app(kiosk_dir)
    app = h.app
    before = written(h)
    message, hint = case.expect()
    if case.stop == "booking":
        h.tap(tile(h, "booking"))
        scr = app.sm.get_screen("booking")
        h.type(scr.ids.keyboard, doc["pre_registrations"][0]["booking_code"])
        h.tap(find_key(scr.ids.keyboard, "enter"), count=False)
    else:
        flow = {"inmate_reg_no": SENTENCED, **case.flow}
        register_once(h, 0, doc=doc, until=case.stop, **flow)
        if case.stop == "visit_confirm":
            if case.late:
                reload(kiosk_dir, doc, case.change)
            h.tap(app.sm.get_screen("visit_confirm").ids.print_button)
    h.settle(timeout=20)
    h.screenshot(f"refusal-{case.code}")
    shown = texts(Window)
    assert not any(case.code in s for s in shown), shown  # never the raw reason code

    if case.stop == "visit_inmate":  # the search explains itself; there is nobody to confirm
        scr = app.sm.get_screen("visit_inmate")
        assert app.sm.current == "visit_inmate" and app.panel is None
        assert scr.found is None and scr.ids.confirm.hidden
        assert scr.help == f"{message} {hint}" and find_text(scr, scr.help, exact=True)
    elif case.stop == "visit_session":  # every session of the day closed, with the reason; what to do above them
        scr = app.sm.get_screen("visit_session")
        assert app.sm.current == "visit_session" and app.panel is None
        buttons = scr.ids.sessions.children
        assert buttons and all(b.disabled for b in buttons), [b.text for b in buttons]  # (a past one is "over")
        assert any(b.text.endswith("\n" + message) for b in buttons), [b.text for b in buttons]
        assert find_text(scr, message) and scr.note == hint and find_text(scr, hint, exact=True)
    else:  # a refusal panel over the screen, then back to where the visitor can change something
        panel = app.panel
        assert panel is not None, shown
        title = t("Booking not accepted") if case.stop == "booking" else t("Registration not possible")
        assert (panel.title, panel.message, panel.hint) == (title, message, hint)
        for text in (title, message, hint):
            assert find_text(panel, text, exact=True), (text, shown)
        h.tap(find_text(panel, panel.primary_text, exact=True), count=False)
        assert app.panel is None and app.sm.current == case.back
        if case.after:
            h.settle()
            h.screenshot(f"refusal-{case.code}-back")
            scr = app.sm.get_screen(case.back)
            label = find_text(scr, "\n" + t(case.after))
            assert label is not None and label.disabled and find_text(scr, hint, exact=True), texts(app.root)
    assert written(h) == before, "a refused registration wrote something"
