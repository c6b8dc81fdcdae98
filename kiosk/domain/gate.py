"""The offline gate: judge a scanned ticket with local data only, check visitors in and out.

A verdict uses the trusted keys (reference data, plus this device's own key), the date and session window,
cancellations (reference data) and the local check-in log. Check-in and check-out are business writes.
"""

from __future__ import annotations

import functools
import json
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from cryptography.hazmat.primitives import serialization

from core import identity
from core.events import VisitCheckedIn, VisitCheckedOut
from core.i18n import N_
from core.ids import iso, today_wib, utcnow
from kiosk.domain.nik import mask_nik
from kiosk.domain.reference import inmate_by_id, read_reference
from kiosk.domain.rules import Refusal
from kiosk.domain.tickets import Decoded, TicketFormatError, decode_ticket, id_ref, raw_key_id

VERDICTS = ("VALID", "FORGED", "UNKNOWN_KEY", "WRONG_FACILITY", "EXPIRED", "WRONG_DAY", "CANCELLED",
            "ALREADY_INSIDE", "ALREADY_USED")
MESSAGES = {
    "VALID": N_("Valid ticket. The visitor may enter."),
    "FORGED": N_("Forged or damaged ticket: the signature does not match."),
    "UNKNOWN_KEY": N_("Ticket signed by a device this gate does not trust."),
    "WRONG_FACILITY": N_("Ticket for another facility."),
    "EXPIRED": N_("Ticket expired: its visiting session is over."),
    "WRONG_DAY": N_("Ticket for another day."),
    "CANCELLED": N_("Ticket cancelled by the facility."),
    "ALREADY_INSIDE": N_("This visitor is already inside (checked in)."),
    "ALREADY_USED": N_("Ticket already used: the visitor has checked out."),
}


_QUEUE_NO = re.compile(r"^([A-Z])\s*-?\s*(\d{1,5})$")


@dataclass
class Verdict:
    verdict: str
    reason: str  # stable reason code (e.g. bad_signature, revoked_key, quota_oversold)
    message: str  # msgid (MESSAGES) for the guard's screen
    visit_id: str = ""
    visit_date: str = ""
    session: str = ""
    session_label: str = ""  # e.g. "Pagi 08:00-11:00" from the schedule
    queue_no: str = ""
    people: int = 0
    inmate_id: str = ""
    inmate_name: str = ""
    inmate_reg_no: str = ""
    visitor_name: str = ""
    nik_masked: str = ""
    followers: list[str] = field(default_factory=list)
    provisional: bool = False
    detail: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.verdict == "VALID"

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


_own_keys: dict[str, tuple[int, str, object]] = {}  # keys dir -> (mtime of device.pub, key id, public key)


def _own_key(cfg):
    """(key id, public key) of this device, read once per key file (the gate judges its own kiosk's tickets)."""
    keys_dir = str(cfg.keys_dir)
    pub = os.path.join(keys_dir, identity.PUBLIC_NAME)
    try:
        mtime = os.stat(pub).st_mtime_ns
    except OSError:
        return None
    cached = _own_keys.get(keys_dir)
    if cached is None or cached[0] != mtime:
        with open(pub, encoding="ascii") as f:
            text = f.read().strip()
        cached = (mtime, identity.key_id(identity.unb64u(text)), identity.public_from_b64(text))
        _own_keys[keys_dir] = cached
    return cached[1], cached[2]


@functools.lru_cache(maxsize=256)
def _public(text: str):
    return identity.public_from_b64(text)


def _trusted_key(conn, cfg, key_id: str):
    """(public key, revoked) for ``key_id``, or None when unknown."""
    own = _own_key(cfg)
    if own is not None and own[0] == key_id:
        return own[1], False
    row = conn.execute("SELECT public_key, revoked FROM ref_trusted_keys WHERE key_id = ?", (key_id,)).fetchone()
    if row is None:
        return None
    return _public(row[0]), bool(row[1])


def _key_id_tampered(conn, cfg, d: Decoded) -> bool:
    """True when a trusted key signed this ticket but its key-id bytes were changed afterwards (a forgery,
    not a stranger's ticket): the signature verifies once the key id is put back."""
    keys = [_public(r[0]) for r in conn.execute("SELECT public_key FROM ref_trusted_keys LIMIT 64")]
    own = _own_key(cfg)
    if own is not None:
        keys.append(own[1])
    for public in keys:
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        if identity.verify_sig(public, d.signature, d.signed[:-8] + raw_key_id(raw)):
            return True
    return False


def _inmate_by_ref(conn, t):
    """The inmate of a ticket that carries a hashed inmate id (ids longer than the ticket's inline limit)."""
    row = conn.execute("SELECT inmate_id FROM visits WHERE visit_id = ?", (t.visit_id,)).fetchone()
    ids = [row[0]] if row else [r[0] for r in conn.execute("SELECT id FROM ref_inmates")]
    found = next((i for i in ids if id_ref(i) == t.inmate_id), None)
    return inmate_by_id(conn, found) if found else None


def _session_label(conn, code: str) -> str:
    row = conn.execute("SELECT body FROM ref_sections WHERE name = 'schedule'").fetchone()
    s = json.loads(row[0]).get("sessions", {}).get(code) if row else None
    return f"{s['label']} {s['start']}-{s['end']}" if s else ""


def _details(conn, d: Decoded) -> dict:
    t = d.ticket
    out = {"visit_id": t.visit_id, "visit_date": t.visit_date.isoformat(), "session": t.session,
           "queue_no": t.queue_no, "people": t.people, "inmate_id": t.inmate_id, "provisional": t.provisional}
    out["session_label"] = _session_label(conn, t.session)
    inmate = inmate_by_id(conn, t.inmate_id) if not t.inmate_id.startswith("#") else _inmate_by_ref(conn, t)
    if inmate:
        out.update(inmate_id=inmate.id, inmate_name=inmate.name, inmate_reg_no=inmate.reg_no)
    row = conn.execute("SELECT visitor_name, visitor_nik, followers FROM visits WHERE visit_id = ?",
                       (t.visit_id,)).fetchone()
    if row:
        out.update(visitor_name=row[0], nik_masked=mask_nik(row[1]),
                   followers=[f["name"] for f in json.loads(row[2])])
    else:
        row = conn.execute("SELECT body FROM ref_visits_today WHERE visit_id = ?", (t.visit_id,)).fetchone()
        if row:
            b = json.loads(row[0])
            out.update(visitor_name=b.get("visitor_name", ""), nik_masked=b.get("nik_masked", ""),
                       followers=list(b.get("followers", [])))
    return out


def judge_conn(conn, cfg, payload: str, now: datetime | None = None) -> Verdict:
    now = now or utcnow()
    try:
        d = decode_ticket(payload)
    except TicketFormatError as exc:
        return Verdict("FORGED", "unreadable", MESSAGES["FORGED"], detail={"error": str(exc)})
    key_id = identity.b64u(d.key_id)
    found = _trusted_key(conn, cfg, key_id)
    if found is None:
        if _key_id_tampered(conn, cfg, d):
            return Verdict("FORGED", "bad_signature", MESSAGES["FORGED"])
        if d.ticket.facility_id != id_ref(cfg.device.facility_id):  # a stranger's ticket: say where it belongs
            return Verdict("WRONG_FACILITY", "wrong_facility", MESSAGES["WRONG_FACILITY"],
                           detail={"facility_id": d.ticket.facility_id, "key_id": key_id, "signature_checked": False})
        return Verdict("UNKNOWN_KEY", "unknown_key", MESSAGES["UNKNOWN_KEY"], detail={"key_id": key_id})
    info = _details(conn, d)
    public, revoked = found
    if not identity.verify_sig(public, d.signature, d.signed):
        return Verdict("FORGED", "bad_signature", MESSAGES["FORGED"])
    if revoked:
        return Verdict("UNKNOWN_KEY", "revoked_key", MESSAGES["UNKNOWN_KEY"], **info, detail={"key_id": key_id})
    t = d.ticket
    if t.facility_id != id_ref(cfg.device.facility_id):
        return Verdict("WRONG_FACILITY", "wrong_facility", MESSAGES["WRONG_FACILITY"], **info,
                       detail={"facility_id": t.facility_id})
    cancelled = conn.execute("SELECT code FROM ref_cancelled WHERE visit_id = ?", (t.visit_id,)).fetchone()
    if cancelled:
        return Verdict("CANCELLED", cancelled[0], MESSAGES["CANCELLED"], **info)
    if now >= t.expires_at:
        return Verdict("EXPIRED", "expired", MESSAGES["EXPIRED"], **info)
    if t.visit_date != today_wib(now):
        return Verdict("WRONG_DAY", "wrong_day", MESSAGES["WRONG_DAY"], **info)
    row = conn.execute("SELECT state FROM presence WHERE visit_id = ?", (t.visit_id,)).fetchone()
    if row and row[0] == "inside":
        return Verdict("ALREADY_INSIDE", "already_inside", MESSAGES["ALREADY_INSIDE"], **info)
    if row:
        return Verdict("ALREADY_USED", "already_used", MESSAGES["ALREADY_USED"], **info)
    return Verdict("VALID", "ok", MESSAGES["VALID"], **info)


def judge(store, cfg, payload: str, now: datetime | None = None) -> Verdict:
    """The verdict on a scanned ticket, from local data only (no network)."""
    with store.lock:
        return judge_conn(store.conn, cfg, payload, now)


def check_in(store, cfg, payload: str, now: datetime | None = None) -> Verdict:
    """Judge again inside the write transaction and record the entry when VALID (a business write)."""
    now = now or utcnow()
    with store.transaction() as tx:
        v = judge_conn(tx.conn, cfg, payload, now)
        if v.ok:
            entry = tx.emit(VisitCheckedIn(v.visit_id, cfg.device.facility_id, v.people, iso(now)))
            tx.execute("INSERT INTO presence(visit_id, visit_date, state, people, checked_in_at, in_event_id) "
                       "VALUES (?, ?, 'inside', ?, ?, ?)", (v.visit_id, v.visit_date, v.people, iso(now), entry.event_id))
    return v


def check_out(store, cfg, visit_id: str, now: datetime | None = None) -> int:
    """Record that a visit's people left; returns how many. Refuses a visit that is not inside."""
    now = now or utcnow()
    with store.transaction() as tx:
        row = tx.one("SELECT people FROM presence WHERE visit_id = ? AND state = 'inside'", (visit_id,))
        if row is None:
            raise Refusal("not_inside", N_("This visit is not checked in."))
        entry = tx.emit(VisitCheckedOut(visit_id, cfg.device.facility_id, row[0], iso(now)))
        tx.execute("UPDATE presence SET state = 'left', checked_out_at = ?, out_event_id = ? WHERE visit_id = ?",
                   (iso(now), entry.event_id, visit_id))
    return row[0]


@dataclass
class Occupancy:
    count: int
    capacity: int

    @property
    def over(self) -> bool:
        return self.capacity > 0 and self.count > self.capacity


def inside_count(store, day: date | None = None) -> Occupancy:
    """People inside the visiting room now (visitors + followers) against the room capacity."""
    day = day or today_wib()
    with store.lock:
        n = store.conn.execute("SELECT coalesce(sum(people), 0) FROM presence WHERE state = 'inside' AND visit_date = ?",
                               (day.isoformat(),)).fetchone()[0]
        try:
            cap = int(read_reference(store.conn).facility.get("room_capacity", 0))
        except Refusal:
            cap = 0
    return Occupancy(n, cap)


def lookup(store, cfg, text: str, now: datetime | None = None) -> str:
    """Manual entry for a damaged QR: a queue number (``P-017``) of today, or the end (or start) of a visit id
    (>= 8 characters). Returns the ticket payload to judge; raises :class:`Refusal` ``ticket_not_found``."""
    q = (text or "").strip()
    today = today_wib(now or utcnow()).isoformat()
    with store.lock:
        conn = store.conn
        m = _QUEUE_NO.match(q.upper())
        if m:  # P-017, P017, p17, P-17
            qn = f"{m.group(1)}-{int(m.group(2)):03d}"
            rows = conn.execute("SELECT ticket FROM visits WHERE visit_date = ? AND queue_no = ?", (today, qn)).fetchall()
            if not rows:
                rows = [(json.loads(r[0]).get("ticket"),) for r in conn.execute(
                    "SELECT body FROM ref_visits_today WHERE visit_date = ? AND queue_no = ?", (today, qn))]
        elif len(q) >= 8 and re.fullmatch(r"[0-9a-f-]+", q.lower()):
            # the end of a visit id (its random part: ids made in the same minute share their start), else the start
            rows = conn.execute("SELECT ticket FROM visits WHERE visit_id LIKE ? LIMIT 2",
                                ("%" + q.lower(),)).fetchall()
            if len(rows) != 1:
                rows = conn.execute("SELECT ticket FROM visits WHERE visit_id >= ? AND visit_id < ? LIMIT 2",
                                    (q.lower(), q.lower() + "~")).fetchall()
        else:
            rows = []
    rows = [r for r in rows if r[0]]
    if len(rows) != 1:
        raise Refusal("ticket_not_found", N_("No ticket was found for {text}."),
                      N_("Type the queue number (e.g. P-017) or the last 8 characters of the visit id."), text=q or "-")
    return rows[0][0]
