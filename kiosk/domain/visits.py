"""Visit registration: every rule checked and the visit written in one ``BEGIN IMMEDIATE`` transaction.

Because the write lock is taken before the first count, two kiosks processes (or threads) racing for the
last place of a session cannot both get it. Queue numbers (``P-017``) come from a per-date, per-session
counter in the same transaction, so they are sequential and survive restarts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from core.events import VisitRegistered
from core.i18n import N_
from core.identity import DeviceKey
from core.ids import WIB, iso, today_wib, utcnow, uuid7, week_start
from core.receipts import TicketData
from kiosk.domain import nik as nikmod
from kiosk.domain import phone as phonemod
from kiosk.domain.reference import (
    Inmate,
    Reference,
    banned_hash,
    inmate_by_id,
    lookup_inmate,
    read_reference,
    visitor_hash_key,
)
from kiosk.domain.rules import HINT_ASK_OFFICER, HINT_OTHER_DAY, Msg, Refusal
from kiosk.domain.tickets import Ticket, encode_ticket

RELATIONSHIPS = ("spouse", "parent", "child", "sibling", "relative", "lawyer", "other_family")


@dataclass
class VisitRequest:
    visitor_nik: str
    visitor_name: str
    visitor_phone: str
    relationship: str
    inmate_query: str  # registration number or exact full name
    visit_date: date
    session: str
    followers: list[dict] = field(default_factory=list)  # {name, relationship, nik?, id_number?, child?}
    booking_code: str | None = None


@dataclass
class SessionInfo:
    session: str
    label: str
    start: str
    end: str
    walk_in_quota: int
    walk_in_remaining: int
    pre_registered_quota: int
    pre_registered_remaining: int
    inmate_codes: list[str]
    open: bool
    reason: str = ""  # msgid when not open


@dataclass
class Visit:
    visit_id: str
    event_id: str
    facility_id: str
    facility_name: str
    facility_address: str
    visit_date: date
    session: str
    session_label: str
    session_start: str
    session_end: str
    queue_no: str
    kind: str
    visitor_name: str
    nik_masked: str
    inmate_id: str
    inmate_name: str
    inmate_reg_no: str
    followers: list[dict]
    provisional: bool
    ticket: str
    created_at: datetime

    @property
    def people(self) -> int:
        return 1 + len(self.followers)

    def ticket_data(self):
        """The printer's ticket layout data (core.receipts.TicketData)."""

        return TicketData(
            facility_name=self.facility_name, queue_no=self.queue_no, visit_date=self.visit_date,
            session_label=f"{self.session_label} {self.session_start}-{self.session_end}",
            visitor_name=self.visitor_name, nik_masked=self.nik_masked, inmate_name=self.inmate_name,
            inmate_reg_no=self.inmate_reg_no, qr_payload=self.ticket, issued_at=self.created_at,
            visit_id=self.visit_id, followers=[f"{f['name']} ({f.get('relationship', '')})" for f in self.followers],
            provisional=self.provisional, facility_address=self.facility_address,
        )


def session_window(ref: Reference, day: date, code: str) -> tuple[datetime, datetime]:
    s = ref.session(code)
    start = datetime.combine(day, time.fromisoformat(s["start"]), tzinfo=WIB)
    end = datetime.combine(day, time.fromisoformat(s["end"]), tzinfo=WIB)
    return start, end


def _counts(conn, day: date, code: str) -> dict[str, int]:
    rows = conn.execute(
        "SELECT kind, count(*) FROM visits v WHERE visit_date = ? AND session = ? "
        "AND NOT EXISTS (SELECT 1 FROM ref_cancelled c WHERE c.visit_id = v.visit_id) GROUP BY kind",
        (day.isoformat(), code)).fetchall()
    return dict(rows)


def _closed_reason(ref: Reference, day: date, now: datetime) -> str:
    ec = ref.emergency_close or {}
    if ec.get("closed"):
        until = ec.get("until")
        if not until or day.isoformat() <= until:
            if day == today_wib(now):
                return N_("Visits are closed today by the facility (emergency).")
            return N_("Visits are closed by the facility (emergency) until further notice.")
    ex = ref.exception_for(day)
    if ex and ex.get("closed", True):
        return N_("There are no visits on this date (holiday or facility event).")
    return ""


def _sessions(conn, ref: Reference, day: date, now: datetime) -> list[SessionInfo]:
    closed = _closed_reason(ref, day, now)
    out = []
    for slot in ref.slots_for(day):
        s = ref.session(slot["session"])
        counts = _counts(conn, day, slot["session"])
        _, end = session_window(ref, day, slot["session"])
        reason = closed or (N_("This session is over.") if now >= end else "")
        out.append(SessionInfo(
            slot["session"], s["label"], s["start"], s["end"], slot["walk_in_quota"],
            max(0, slot["walk_in_quota"] - counts.get("walk_in", 0)), slot["pre_registered_quota"],
            max(0, slot["pre_registered_quota"] - counts.get("pre_registered", 0)), list(slot["inmate_codes"]),
            not reason, reason))
    return out


def available_sessions(store, day: date, now: datetime | None = None) -> list[SessionInfo]:
    """The sessions of ``day`` with their remaining walk-in and pre-registered places."""
    now = now or utcnow()
    with store.lock:
        return _sessions(store.conn, read_reference(store.conn), day, now)


def check_party_size(ref: Reference, cfg, followers: list[dict]) -> None:
    """Refuse (``too_many_followers``) more followers or children than the facility allows with one visitor."""
    children = sum(1 for f in followers if f.get("child"))
    max_f, max_c = ref.limit("max_followers"), ref.limit("max_children")
    counted = len(followers) if cfg.limits.children_count_as_followers else len(followers) - children
    if counted > max_f:
        raise Refusal("too_many_followers", N_("At most {max} followers may come with one visitor."),
                      N_("Remove a follower, or let them register as a visitor on another day."), max=max_f)
    if children > max_c:
        raise Refusal("too_many_followers", N_("At most {max} children may come with one visitor."),
                      N_("Remove a follower, or let them register as a visitor on another day."), max=max_c)


def check_visitable(inmate: Inmate) -> None:
    """Refuse (``inmate_not_visitable``) an inmate who may not receive visits now (flag, released, transferred)."""
    if not inmate.visitable or inmate.status != "active":
        raise Refusal("inmate_not_visitable", N_("{name} cannot receive visits at this time."), HINT_ASK_OFFICER,
                      name=inmate.name)


def _check_people(req: VisitRequest, ref: Reference, cfg, today: date) -> tuple[list[str], list[dict]]:
    """Validate visitor and followers; returns every NIK in the party (normalised, the visitor's first) and
    the followers as they are stored (NIKs normalised, empty fields dropped)."""
    niks = [nikmod.validate_nik(req.visitor_nik, today).nik]
    if not (req.visitor_name or "").strip():
        raise Refusal("name_required", N_("Please type the visitor's full name."))
    check_party_size(ref, cfg, req.followers)
    followers = []
    for f in req.followers:
        if not (f.get("name") or "").strip():
            raise Refusal("follower_name_required", N_("Please type the name of every follower."))
        f = {k: v for k, v in f.items() if v not in (None, "")}
        if f.get("nik"):
            f["nik"] = nikmod.validate_nik(f["nik"], today).nik
            niks.append(f["nik"])
        elif not f.get("child") and not (f.get("id_number") or "").strip():
            raise Refusal("follower_id_required", N_("An adult follower needs a NIK or another ID number."),
                          N_("Type the number on the follower's KTP, passport or other ID."))
        f["name"] = " ".join(f["name"].split())
        followers.append(f)
    if len(set(niks)) != len(niks):
        raise Refusal("duplicate_person", N_("The same NIK appears twice in this visit."), HINT_ASK_OFFICER)
    return niks, followers


def _check_banned(conn, niks: list[str], day: date) -> None:
    key = visitor_hash_key(conn)
    hashes = {banned_hash(key, n): n for n in niks}
    marks = ",".join("?" for _ in hashes)
    row = conn.execute(
        f"SELECT nik FROM ref_banned WHERE nik IN ({marks}) AND (until IS NULL OR until >= ?) LIMIT 1",
        (*hashes, day.isoformat())).fetchone()
    if row:
        raise Refusal("visitor_banned", N_("A person in this visit ({nik}) may not visit at this time."),
                      HINT_ASK_OFFICER, nik=nikmod.mask_nik(hashes[row[0]]))


def _check_slot(conn, ref: Reference, day: date, code: str, kind: str, inmate: Inmate, now: datetime,
                today: date) -> tuple[dict, dict]:
    if day < today:
        raise Refusal("date_past", N_("This date has already passed."), HINT_OTHER_DAY)
    closed = _closed_reason(ref, day, now)
    if closed:
        raise Refusal("closed", closed, HINT_OTHER_DAY)
    slot = next((s for s in ref.slots_for(day) if s["session"] == code), None)
    if slot is None:
        raise Refusal("session_closed", N_("There is no visiting session {session} on this day."), HINT_OTHER_DAY,
                      session=code)
    _, end = session_window(ref, day, code)
    if now >= end:
        raise Refusal("session_closed", N_("This session is over."), HINT_OTHER_DAY)
    check_visitable(inmate)
    if inmate.code not in slot["inmate_codes"]:
        which = Msg(N_("detainees (tahanan)") if inmate.code == "A" else N_("sentenced inmates (narapidana)"))
        raise Refusal("day_not_allowed_for_inmate_code", N_("This session is not for visiting {group}."),
                      N_("Look at the schedule for the days of this inmate's group."), group=which)
    quota = slot["walk_in_quota"] if kind == "walk_in" else slot["pre_registered_quota"]
    if _counts(conn, day, code).get(kind, 0) >= quota:
        raise Refusal("quota_full", N_("This session is full."), HINT_OTHER_DAY)
    return slot, ref.session(code)


def _check_weekly(conn, ref: Reference, niks: list[str], inmate: Inmate, day: date) -> None:
    ws, we = week_start(day).isoformat(), (week_start(day) + timedelta(days=6)).isoformat()
    per_nik = ref.limit("visits_per_nik_per_week")
    marks = ",".join("?" for _ in niks)
    row = conn.execute(
        f"SELECT nik, count(*) FROM visit_people p WHERE nik IN ({marks}) AND visit_date BETWEEN ? AND ? "
        "AND NOT EXISTS (SELECT 1 FROM ref_cancelled c WHERE c.visit_id = p.visit_id) "
        "GROUP BY nik ORDER BY count(*) DESC LIMIT 1", (*niks, ws, we)).fetchone()
    if row and row[1] >= per_nik:
        raise Refusal("weekly_limit_nik", N_("{nik} has already visited {count} time(s) this week."),
                      N_("Visits are allowed {max} time(s) a week. Please come next week."),
                      nik=nikmod.mask_nik(row[0]), count=row[1], max=per_nik)
    per_inmate = ref.limit("visits_per_inmate_per_week")
    n = conn.execute(
        "SELECT count(*) FROM visits v WHERE inmate_id = ? AND visit_date BETWEEN ? AND ? "
        "AND NOT EXISTS (SELECT 1 FROM ref_cancelled c WHERE c.visit_id = v.visit_id)",
        (inmate.id, ws, we)).fetchone()[0]
    if n >= per_inmate:
        raise Refusal("weekly_limit_inmate", N_("{name} has already had {count} visit(s) this week."),
                      N_("An inmate may receive {max} visit(s) a week. Please come next week."),
                      name=inmate.name, count=n, max=per_inmate)


def _next_queue(tx, day: date, code: str) -> int:
    row = tx.one(
        "INSERT INTO queue_counters(visit_date, session, last) VALUES (?, ?, 1) "
        "ON CONFLICT(visit_date, session) DO UPDATE SET last = last + 1 RETURNING last", (day.isoformat(), code))
    return row[0]


def _provisional(ref: Reference, cfg, now: datetime) -> bool:
    age = ref.age(now)
    return age is None or age > timedelta(hours=cfg.limits.reference_max_age_h)


def _write(store, cfg, key: DeviceKey, req: VisitRequest, inmate_query_fn, kind: str,
           now: datetime | None) -> Visit:
    now = now or utcnow()
    today = today_wib(now)
    with store.transaction() as tx:  # BEGIN IMMEDIATE: the counts below cannot go stale before the insert
        conn = tx.conn
        ref = read_reference(conn)
        niks, followers = _check_people(req, ref, cfg, today)
        visitor_nik, visitor_name = niks[0], " ".join(req.visitor_name.split())
        if req.booking_code:  # checked under the write lock: two kiosks cannot redeem one booking
            used = conn.execute("SELECT queue_no FROM visits WHERE booking_code = ?", (req.booking_code,)).fetchone()
            if used:
                raise Refusal("booking_used", N_("Booking code {code} has already been used (queue {queue})."),
                              HINT_ASK_OFFICER, code=req.booking_code, queue=used[0])
        phone = phonemod.normalise_phone(req.visitor_phone) if (req.visitor_phone or "").strip() else ""
        inmate = inmate_query_fn(conn)
        if kind == "walk_in" and req.visit_date != today:
            ahead = (req.visit_date - today).days
            lead = ref.limit("pre_registration_lead_days")
            if 0 < ahead < lead:
                raise Refusal("lead_time", N_("Registration for another day must be made {days} day(s) ahead."),
                              HINT_OTHER_DAY, days=lead)
            if ahead > ref.limit("max_days_ahead"):
                raise Refusal("too_far_ahead", N_("Registration opens {days} days before the visit."),
                              HINT_OTHER_DAY, days=ref.limit("max_days_ahead"))
            if ahead > 0:
                kind = "pre_registered"
        _check_banned(conn, niks, req.visit_date)
        _, sess = _check_slot(conn, ref, req.visit_date, req.session, kind, inmate, now, today)
        _check_weekly(conn, ref, niks, inmate, req.visit_date)

        number = _next_queue(tx, req.visit_date, req.session)
        visit_id = uuid7()
        provisional = _provisional(ref, cfg, now)
        _, end = session_window(ref, req.visit_date, req.session)
        expires = end + timedelta(minutes=ref.limit("ticket_grace_minutes"))
        tk = Ticket(cfg.device.facility_id, visit_id, req.visit_date, req.session, number, inmate.id,
                    len(req.followers), expires, provisional)
        ticket = encode_ticket(tk, key)
        entry = tx.emit(VisitRegistered(
            visit_id=visit_id, facility_id=cfg.device.facility_id, visit_date=req.visit_date.isoformat(),
            session=req.session, queue_no=tk.queue_no, kind=kind, inmate_id=inmate.id,
            visitor_nik=visitor_nik, visitor_name=visitor_name,
            visitor_phone=phone, relationship=req.relationship, followers=followers,
            booking_code=req.booking_code, provisional=provisional, reference_version=ref.version, ticket=ticket))
        tx.execute(
            "INSERT INTO visits(visit_id, event_id, facility_id, visit_date, session, queue_no, kind, inmate_id, "
            "visitor_nik, visitor_name, visitor_phone, relationship, followers, people, booking_code, provisional, "
            "ticket, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (visit_id, entry.event_id, cfg.device.facility_id, req.visit_date.isoformat(), req.session, tk.queue_no,
             kind, inmate.id, visitor_nik, visitor_name, phone, req.relationship,
             json.dumps(followers, ensure_ascii=False), 1 + len(followers), req.booking_code, int(provisional),
             ticket, iso(now)))
        tx.conn.executemany("INSERT INTO visit_people(visit_id, nik, visit_date) VALUES (?, ?, ?)",
                            [(visit_id, n, req.visit_date.isoformat()) for n in niks])
    return Visit(
        visit_id, entry.event_id, cfg.device.facility_id, ref.facility.get("name", ""),
        ref.facility.get("address", ""), req.visit_date, req.session, sess["label"], sess["start"], sess["end"],
        tk.queue_no, kind, visitor_name, nikmod.mask_nik(visitor_nik), inmate.id,
        inmate.name, inmate.reg_no, followers, provisional, ticket, now)


def register_visit(store, cfg, key: DeviceKey, request: VisitRequest, now: datetime | None = None) -> Visit:
    """Register a walk-in visit (or a kiosk pre-registration for a later day) under every rule."""
    return _write(store, cfg, key, request, lambda conn: lookup_inmate(conn, request.inmate_query), "walk_in", now)


def redeem_booking(store, cfg, key: DeviceKey, booking_code: str, now: datetime | None = None) -> Visit:
    """Turn a pre-registration (from HQ's reference data) into a visit and ticket, without re-typing."""
    code = (booking_code or "").strip().upper()
    now = now or utcnow()
    with store.lock:
        row = store.conn.execute("SELECT body, status FROM ref_bookings WHERE booking_code = ?", (code,)).fetchone()
        used = store.conn.execute("SELECT queue_no FROM visits WHERE booking_code = ?", (code,)).fetchone()
    if row is None or row[1] != "booked":
        raise Refusal("booking_not_found", N_("Booking code {code} was not found."),
                      N_("Check the code in your message, or register as a walk-in visitor."), code=code or "-")
    if used:
        raise Refusal("booking_used", N_("Booking code {code} has already been used (queue {queue})."),
                      HINT_ASK_OFFICER, code=code, queue=used[0])
    b = json.loads(row[0])
    day = date.fromisoformat(b["date"])
    if day != today_wib(now):
        raise Refusal("booking_wrong_day", N_("This booking is for {date}, not today."),
                      N_("Please come back on the day of your booking."), date=day.strftime("%d/%m/%Y"))
    v = b["visitor"]
    req = VisitRequest(v["nik"], v["name"], v.get("phone", ""), v.get("relationship", "other_family"),
                       b["inmate_id"], day, b["session"], list(b.get("followers", [])), booking_code=code)

    def by_id(conn) -> Inmate:
        inmate = inmate_by_id(conn, b["inmate_id"])
        if inmate is None:
            raise Refusal("inmate_not_found", N_("The inmate of booking {code} is no longer at this facility."),
                          HINT_ASK_OFFICER, code=code)
        return inmate

    return _write(store, cfg, key, req, by_id, "pre_registered", now)


def get_visit(store, visit_id: str) -> dict | None:
    row = store.one("SELECT * FROM visits WHERE visit_id = ?", (visit_id,))
    return dict(row) if row else None
