"""The registration flow's calls into the visits core (``kiosk.domain``), run on the UI's db worker lane.

The screens never touch the domain directly: this module turns the form into the domain's request, and the
domain's answers (visits, sessions, refusals) into what the screens show. Blocking; never call on the UI thread.
"""

from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from kiosk.ui.visit_form import VisitForm


def _domain(name: str):
    return importlib.import_module(f"kiosk.domain.{name}")


def available() -> bool:
    """True when the visits core is built (the registration tiles and screens depend on it)."""
    import importlib.util

    try:  # found without importing it: the domain (and its crypto) loads on a worker lane on first use
        return importlib.util.find_spec("kiosk.domain.visits") is not None
    except ImportError:
        return False


def refusal_class():
    return _domain("rules").Refusal


@dataclass
class SessionChoice:
    code: str
    label: str
    start: str
    end: str
    remaining: int | None
    open: bool
    reason: str = ""  # msgid when closed


def nik_problem(nik: str) -> Any:
    """None when the NIK is structurally valid, else the domain's Refusal/ValueError explaining which part."""
    nikmod = _domain("nik")
    fn = getattr(nikmod, "validate_nik", None) or getattr(nikmod, "parse_nik", None) or nikmod.validate
    try:
        fn(nik)
    except Exception as exc:  # Refusal (code invalid_nik) or ValueError with a message
        return exc
    return None


def normalise_phone(text: str) -> str:
    """``+628...``; raises the domain's Refusal (``invalid_phone``) explaining what is wrong."""
    return _domain("phone").normalise_phone(text)


def find_inmate(store, query: str):
    ref = _domain("reference")
    fn = getattr(ref, "find_inmate", None) or ref.lookup_inmate
    return fn(store, query)


def _get(obj: Any, *names: str, default: Any = None) -> Any:
    for n in names:
        if isinstance(obj, dict) and n in obj:
            return obj[n]
        if hasattr(obj, n):
            return getattr(obj, n)
    return default


def sessions(store, day: date) -> list[SessionChoice]:
    out = []
    for s in _domain("visits").available_sessions(store, day):
        out.append(SessionChoice(
            code=_get(s, "session", "code"), label=_get(s, "label", default=""),
            start=_get(s, "start", default=""), end=_get(s, "end", default=""),
            remaining=_get(s, "walk_in_remaining", "remaining_walk_in", "remaining"),
            open=bool(_get(s, "open", "is_open", default=True)), reason=_get(s, "reason", default="") or ""))
    return out


def inmate_text(inmate: Any) -> tuple[str, str, str]:
    """(name, registration number, block/room) of an inmate record."""
    block = " / ".join(str(x) for x in (_get(inmate, "block"), _get(inmate, "room")) if x)
    return _get(inmate, "name", default=""), _get(inmate, "reg_no", default=""), block


def _request(form: VisitForm):
    visits = _domain("visits")
    cls = next(getattr(visits, n) for n in ("RegistrationRequest", "VisitRequest", "RegisterRequest")
               if hasattr(visits, n))
    values = {
        "nik": form.nik, "visitor_nik": form.nik, "name": form.name, "visitor_name": form.name,
        "phone": form.phone, "visitor_phone": form.phone, "relationship": form.relationship,
        "followers": [f.as_request() for f in form.followers],
        "inmate_reg_no": _get(form.inmate, "reg_no"), "inmate_id": _get(form.inmate, "id", "inmate_id"),
        "inmate_query": form.inmate_query, "date": form.visit_date, "visit_date": form.visit_date,
        "session": form.session,
    }
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in values.items() if k in names})


def register(services, form: VisitForm):
    from kiosk import identity

    key = identity.load(services.cfg.keys_dir)
    return _domain("visits").register_visit(services.store, services.cfg, key, _request(form))


def redeem(services, booking_code: str):
    from kiosk import identity

    key = identity.load(services.cfg.keys_dir)
    return _domain("visits").redeem_booking(services.store, services.cfg, key, booking_code.strip().upper())


def ticket_data(visit: Any):
    """What the printer's ticket layout needs, from the domain's Visit."""
    from hardware.layouts import TicketData

    to_ticket = getattr(visit, "ticket_data", None)
    if callable(to_ticket):
        return to_ticket()
    names = {f.name for f in dataclasses.fields(TicketData)}
    return TicketData(**{n: getattr(visit, n) for n in names if hasattr(visit, n)})


def week_schedule(store, start: date, days: int = 7) -> list[tuple[date, list[SessionChoice]]]:
    """Sessions (with remaining walk-in places) of the coming days, for the info screen."""
    from datetime import timedelta

    return [(start + timedelta(days=i), sessions(store, start + timedelta(days=i))) for i in range(days)]


def limits(store) -> dict[str, Any]:
    ref = _domain("reference")
    fn = getattr(ref, "limits", None) or getattr(ref, "get_limits", None)
    if fn is None:
        return {}
    value = fn(store)
    return value if isinstance(value, dict) else dataclasses.asdict(value)
