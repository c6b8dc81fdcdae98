"""The registration flow's calls into the visits core (``kiosk.domain``), run on the UI's db worker lane.

The screens never touch the domain directly: this module turns the form into the domain's request, and the
domain's answers (visits, sessions, refusals) into what the screens show. Blocking; never call on the UI thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from core import identity
from kiosk.domain import nik as nik_rules
from kiosk.domain import phone, reference, rules, visits
from kiosk.ui.visit_form import VisitForm


def refusal_class():
    return rules.Refusal


@dataclass
class SessionChoice:
    code: str
    label: str
    start: str
    end: str
    remaining: int | None
    open: bool
    reason: str = ""  # msgid when closed
    inmate_codes: tuple[str, ...] = ()  # whose inmates may be visited in it (A tahanan, B narapidana)


def nik_problem(nik: str) -> Any:
    """None when the NIK is structurally valid, else the domain's Refusal saying which part is wrong."""
    try:
        nik_rules.validate_nik(nik)
    except rules.Refusal as exc:
        return exc
    return None


def normalise_phone(text: str) -> str:
    """``+628...``; raises the domain's Refusal (``invalid_phone``) explaining what is wrong."""
    return phone.normalise_phone(text)


def find_inmate(store, query: str):
    """The inmate by registration number or exact name, who may receive visits; raises the domain's Refusal
    (``inmate_not_found``, ``inmate_ambiguous``, ``inmate_not_visitable``) so the visitor learns it at once."""
    inmate = reference.find_inmate(store, query)
    visits.check_visitable(inmate)
    return inmate


def check_followers(services, followers: list[dict]) -> None:
    """Raises the domain's Refusal ``too_many_followers`` when this party is larger than the facility allows."""
    store = services.store
    with store.lock:
        ref = reference.read_reference(store.conn)
    visits.check_party_size(ref, services.cfg, followers)


def sessions(store, day: date) -> list[SessionChoice]:
    return [SessionChoice(code=s.session, label=s.label, start=s.start, end=s.end, remaining=s.walk_in_remaining,
                          open=s.open, reason=s.reason, inmate_codes=tuple(s.inmate_codes))
            for s in visits.available_sessions(store, day)]


def lead_days(store) -> int:
    """How many days ahead a visit for another day must be registered (0: any day)."""
    with store.lock:
        return reference.read_reference(store.conn).limit("pre_registration_lead_days")


def inmate_text(inmate: Any) -> tuple[str, str, str]:
    """(name, registration number) of an inmate record: what a visitor at the lobby may see. The block and cell
    stay with the officers (anyone at the lobby reads the screen)."""
    return inmate.name, inmate.reg_no


def _request(form: VisitForm):
    return visits.VisitRequest(
        visitor_nik=form.nik, visitor_name=form.name, visitor_phone=form.phone, relationship=form.relationship,
        inmate_query=form.inmate.reg_no if form.inmate is not None else form.inmate_query,
        visit_date=form.visit_date, session=form.session, followers=[f.as_request() for f in form.followers])


def register(services, form: VisitForm):
    key = identity.load(services.cfg.keys_dir)
    return visits.register_visit(services.store, services.cfg, key, _request(form))


def redeem(services, booking_code: str):
    key = identity.load(services.cfg.keys_dir)
    return visits.redeem_booking(services.store, services.cfg, key, booking_code.strip().upper())


def ticket_data(visit: Any):
    """What the printer's ticket layout needs, from the domain's Visit."""
    return visit.ticket_data()


def week_schedule(store, start: date, days: int = 7) -> list[tuple[date, list[SessionChoice]]]:
    """Sessions (with remaining walk-in places) of the coming days, for the info screen."""

    return [(start + timedelta(days=i), sessions(store, start + timedelta(days=i))) for i in range(days)]


def limits(store) -> dict[str, Any]:
    return reference.limits(store)
