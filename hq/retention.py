"""Personal data at HQ (UU PDP 27/2022): pseudonymise what is older than ``pii_days``.

After the retention period every full identity number in HQ's tables (event payloads, projections) is replaced by
its masked form plus a keyed hash (``core.privacy.keyed_hash`` under HQ's secret), so repeat-visit statistics still
link one person's visits without the number; names and phone numbers are replaced by masked forms. Past
pre-registrations and expired bans are deleted. ``lapas hq retention run`` does it (a nightly systemd timer in
``deploy/``) and logs the counts. Idempotent: what is already masked is left as it is.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection

from core.ids import WIB, iso, utcnow
from core.privacy import keyed_hash, mask_id
from hq.payments.schema import payments
from hq.schema import banned_visitors, events, pre_registrations, visits

log = logging.getLogger("lapas.hq.retention")

DEFAULT_PII_DAYS = 90
NIK_KEYS = frozenset({"nik", "visitor_nik", "depositor_nik", "buyer_nik", "payer_nik", "id_number"})
NAME_KEYS = frozenset({"visitor_name", "depositor_name", "buyer_name", "payer_name", "complainant_name"})
PHONE_KEYS = frozenset({"phone", "visitor_phone", "complainant_phone", "payer_phone"})
PERSON_KEYS = frozenset({"visitor", "followers", "payer", "complainant"})  # whose ``name`` is a person's
BATCH = 500


def secret_path(db_url: str) -> Path:
    """Where HQ's secret lives: ``$LAPAS_HQ_SECRET_FILE``, else beside a SQLite database, else
    ``~/.local/share/lapas/hq.secret``. Every HQ host of one deployment needs the same file (0600)."""
    env = os.environ.get("LAPAS_HQ_SECRET_FILE")
    if env:
        return Path(env)
    if "://" not in db_url or db_url.startswith("sqlite"):
        return Path(db_url.split("///")[-1]).expanduser().resolve().parent / "hq.secret"
    return Path.home() / ".local" / "share" / "lapas" / "hq.secret"


def load_secret(path: Path, *, create: bool = True) -> bytes:
    """HQ's 32-byte secret for keyed hashes; made on first use with mode 0600."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        if not create:
            raise
        path.parent.mkdir(parents=True, exist_ok=True)
        data = secrets.token_bytes(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        log.info("created HQ secret %s", path)
    if len(data) < 32:
        raise ValueError(f"HQ secret {path} is too short ({len(data)} bytes; expected 32)")
    return data[:32]


def facility_hash_key(secret: bytes, facility_id: str) -> bytes:
    """The per-facility key for visitor hashes sent to that facility's devices (banned visitors)."""
    return bytes.fromhex(keyed_hash(secret, facility_id, purpose="facility-visitor-key"))


def mask_name(name: str) -> str:
    """``Siti Aminah`` -> ``S*** A*****``: the initials stay, for an operator reading an old record."""
    return " ".join(w[:1] + "*" * max(3, len(w) - 1) for w in (name or "").split()) if "*" not in (name or "") else name


def mask_phone(phone: str) -> str:
    text = (phone or "").strip()
    if "*" in text or len(text) < 6:
        return "*" * len(text) if "*" not in text else text
    return text[:4] + "*" * (len(text) - 7) + text[-3:]


def scrub(value: Any, secret: bytes, person: bool = False) -> Any:
    """A JSON value with its personal fields pseudonymised (a new value; the input is not changed)."""
    if isinstance(value, list):
        return [scrub(v, secret, person) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for k, v in value.items():
        if k in NIK_KEYS and isinstance(v, str) and v and "*" not in v:
            out[k] = mask_id(v)
            out[f"{k}_hash"] = keyed_hash(secret, v, purpose="nik")
        elif (k in NAME_KEYS or (person and k == "name")) and isinstance(v, str):
            out[k] = mask_name(v)
        elif k in PHONE_KEYS and isinstance(v, str):
            out[k] = mask_phone(v)
        else:
            out[k] = scrub(v, secret, person=k in PERSON_KEYS)
    return out


@dataclass
class RetentionResult:
    cutoff: str
    events: int = 0
    visits: int = 0
    payments: int = 0
    pre_registrations: int = 0
    bans: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def run(conn: Connection, secret: bytes, *, pii_days: int = DEFAULT_PII_DAYS,
        now: datetime | None = None) -> RetentionResult:
    """Pseudonymise everything older than ``pii_days`` (inside the caller's transaction)."""
    if pii_days < 1:
        raise ValueError("pii_days must be at least 1")
    cut = (now or utcnow()) - timedelta(days=pii_days)
    cut_at, cut_day = iso(cut), cut.astimezone(WIB).date().isoformat()
    res = RetentionResult(cut_at)
    last = ""
    while True:  # events, in batches by id so memory stays flat on a year of data
        rows = conn.execute(select(events.c.event_id, events.c.payload).where(
            events.c.received_at < cut_at, events.c.event_id > last).order_by(events.c.event_id).limit(BATCH)).all()
        if not rows:
            break
        last = rows[-1].event_id
        for r in rows:
            try:
                payload = json.loads(r.payload)
            except ValueError:
                continue
            new = scrub(payload, secret)
            if new != payload:
                conn.execute(update(events).where(events.c.event_id == r.event_id)
                             .values(payload=json.dumps(new, ensure_ascii=False, sort_keys=True)))
                res.events += 1
    for r in conn.execute(select(visits.c.visit_id, visits.c.visitor_name).where(
            visits.c.visit_date < cut_day, visits.c.visitor_name.is_not(None),
            visits.c.visitor_name.not_like("%*%"))).all():
        conn.execute(update(visits).where(visits.c.visit_id == r.visit_id)
                     .values(visitor_name=mask_name(r.visitor_name)))
        res.visits += 1
    for r in conn.execute(select(payments.c.reference, payments.c.payer_name).where(
            payments.c.created_at < cut_at, payments.c.payer_name != "",
            payments.c.payer_name.not_like("%*%"))).all():
        conn.execute(update(payments).where(payments.c.reference == r.reference)
                     .values(payer_name=mask_name(r.payer_name)))
        res.payments += 1
    res.pre_registrations = conn.execute(delete(pre_registrations).where(pre_registrations.c.date < cut_day)).rowcount
    res.bans = conn.execute(delete(banned_visitors).where(banned_visitors.c.until.is_not(None),
                                                          banned_visitors.c.until < cut_day)).rowcount
    log.info("pseudonymised data older than %s: %d events, %d visits, %d payments; deleted %d past "
             "pre-registrations and %d expired bans", cut_at, res.events, res.visits, res.payments,
             res.pre_registrations, res.bans)
    return res


__all__ = ["DEFAULT_PII_DAYS", "RetentionResult", "facility_hash_key", "load_secret", "mask_name", "run",
           "scrub", "secret_path"]
