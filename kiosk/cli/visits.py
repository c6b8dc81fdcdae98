"""Visit commands: reference data, NIK check, registration, ticket verdicts, check-in/out."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click

from core import identity
from core.demo_payments import demo_sections
from core.ids import today_wib, utcnow
from kiosk.cli.common import data_dir_option, echo_json, load_config
from kiosk.domain.demo_data import demo_reference
from kiosk.domain.gate import check_in, check_out, judge
from kiosk.domain.nik import validate_nik
from kiosk.domain.reference import ReferenceDataError, apply_reference, reference
from kiosk.domain.retention import purge
from kiosk.domain.rules import Refusal
from kiosk.domain.visits import VisitRequest, redeem_booking, register_visit
from kiosk.store import Store


def _store(cfg) -> Store:
    return Store(cfg.db_path, cfg.device.device_id)


@click.group("reference")
def reference_group():
    """Reference data from HQ: load a snapshot, show what is loaded, make the demo snapshot."""


@reference_group.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@data_dir_option
def reference_load_cmd(file, data_dir):
    """Apply a reference snapshot (full or delta) atomically; a bad file changes nothing."""

    cfg = load_config(data_dir)
    try:
        doc = json.loads(Path(file).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"{file} is not valid JSON: {exc}") from exc
    with _store(cfg) as store:
        try:
            version = apply_reference(store, doc, facility_id=cfg.device.facility_id)
        except ReferenceDataError as exc:
            raise click.ClickException(str(exc)) from exc
        inmates = store.scalar("SELECT count(*) FROM ref_inmates")
    click.echo(f"reference version {version} as of {doc['as_of']} loaded ({inmates} inmates)")


@reference_group.command("show")
@data_dir_option
def reference_show_cmd(data_dir):
    """Print the loaded reference version, age and counts as JSON."""

    cfg = load_config(data_dir)
    with _store(cfg) as store:
        try:
            ref = reference(store)
        except Refusal as exc:
            raise click.ClickException("no reference data loaded (lapas reference load FILE)") from exc
        counts = {t: store.scalar(f"SELECT count(*) FROM {t}") for t in (
            "ref_inmates", "ref_banned", "ref_bookings", "ref_trusted_keys", "ref_cancelled", "ref_visits_today")}
    echo_json({"version": ref.version, "as_of": ref.as_of, "age_s": round(ref.age(utcnow()).total_seconds()),
               "facility": ref.facility, "limits": ref.limits, "counts": counts})


@reference_group.command("demo")
@click.option("--out", "out", type=click.Path(dir_okay=False), required=True, help="Where to write the JSON.")
@click.option("--facility", default="LPS-DEMO", show_default=True, help="Facility id of the snapshot.")
@click.option("--version", "version", default=1, show_default=True, help="Version number of the snapshot.")
@click.option("--open-now", is_flag=True, help="Move the afternoon session so that it is running now (demos).")
def reference_demo_cmd(out, facility, version, open_now):
    """Write a fresh demo snapshot (fictional people; bookings for today and tomorrow)."""

    doc = demo_reference(facility, version=version, open_now=open_now)
    doc.update(demo_sections())
    Path(out).write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    click.echo(f"wrote {out}: {len(doc['inmates'])} inmates, bookings "
               + ", ".join(b["booking_code"] for b in doc["pre_registrations"]))


@click.command("nik")
@click.argument("nik")
def nik_cmd(nik):
    """Check a NIK's structure; prints province, birth date and sex, or which part is wrong."""

    try:
        info = validate_nik(nik)
    except Refusal as exc:
        echo_json({"ok": False, "code": exc.code, "part": getattr(exc, "part", ""), "message": exc.text("en"),
                   "pesan": exc.text("id")})
        sys.exit(1)
    echo_json({"ok": True, "province": info.province, "birth_date": info.birth_date, "sex": info.sex})


@click.group("visit")
def visit_group():
    """Register visits from the command line (operators and tests; visitors use the kiosk)."""


@visit_group.command("register")
@data_dir_option
@click.option("--nik", default="", help="Visitor's NIK (required unless --booking).")
@click.option("--name", default="", help="Visitor's full name (required unless --booking).")
@click.option("--phone", default="", help="Visitor's phone number.")
@click.option("--relationship", default="relative", show_default=True, help="Relationship to the inmate.")
@click.option("--inmate", default="", help="Inmate registration number or exact full name (required unless "
              "--booking).")
@click.option("--date", "day", default=None, help="Visit date YYYY-MM-DD (default today, WIB).")
@click.option("--session", default="", help="Session code, e.g. P or S (required unless --booking).")
@click.option("--follower", "followers", multiple=True,
              help="Follower as NAME:RELATIONSHIP:NIK (repeatable; a child without NIK: NAME:child).")
@click.option("--booking", default=None, help="Redeem this booking code instead (other options ignored).")
def visit_register_cmd(data_dir, nik, name, phone, relationship, inmate, day, session, followers, booking):
    """Register one visit under every rule; prints the visit (or the refusal) as JSON."""

    if not booking:
        missing = [opt for opt, value in (("--nik", nik), ("--name", name), ("--inmate", inmate),
                                          ("--session", session)) if not value.strip()]
        if missing:
            raise click.UsageError(f"missing option(s) {', '.join(missing)} (or give --booking CODE)")
    cfg = load_config(data_dir)
    try:
        key = identity.load(cfg.keys_dir)
    except identity.IdentityError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        visit_day = date.fromisoformat(day) if day else today_wib()
    except ValueError as exc:
        raise click.BadParameter(f"{day!r} is not a date YYYY-MM-DD", param_hint="--date") from exc
    fl = []
    for f in followers:
        parts = f.split(":")
        rel = parts[1] if len(parts) > 1 else ""
        fnik = parts[2] if len(parts) > 2 else ""
        fl.append({"name": parts[0], "relationship": rel, "nik": fnik, "child": rel == "child" and not fnik})
    with _store(cfg) as store:
        try:
            if booking:
                v = redeem_booking(store, cfg, key, booking)
            else:
                req = VisitRequest(nik, name, phone, relationship, inmate, visit_day, session.upper(), fl)
                v = register_visit(store, cfg, key, req)
        except Refusal as exc:
            echo_json({"ok": False, "code": exc.code, "message": exc.text("en"), "pesan": exc.text("id")})
            sys.exit(1)
    echo_json({"ok": True, "visit_id": v.visit_id, "queue_no": v.queue_no, "provisional": v.provisional,
               "kind": v.kind, "ticket": v.ticket})


@visit_group.command("purge")
@data_dir_option
def visit_purge_cmd(data_dir):
    """Remove personal data older than limits.retention_days once HQ has it (the audit chain stays verifiable)."""

    cfg = load_config(data_dir)
    with _store(cfg) as store:
        result = purge(store, cfg)
    echo_json(result.as_dict())


@click.group("ticket")
def ticket_group():
    """Signed visit tickets."""


@ticket_group.command("verify")
@click.argument("payload")
@data_dir_option
def ticket_verify_cmd(payload, data_dir):
    """Judge a ticket offline; prints one JSON object, exit 0 only for VALID."""

    cfg = load_config(data_dir)
    with _store(cfg) as store:
        v = judge(store, cfg, payload)
    echo_json(v.as_dict())
    sys.exit(0 if v.ok else 1)


@click.group("gate")
def gate_group():
    """Guard-station actions from the command line."""


@gate_group.command("check-in")
@click.argument("payload")
@data_dir_option
def gate_check_in_cmd(payload, data_dir):
    """Check a ticket's visitors in (only when the verdict is VALID)."""

    cfg = load_config(data_dir)
    with _store(cfg) as store:
        v = check_in(store, cfg, payload)
    echo_json(v.as_dict())
    sys.exit(0 if v.ok else 1)


@gate_group.command("check-out")
@click.argument("visit_id")
@data_dir_option
def gate_check_out_cmd(visit_id, data_dir):
    """Check a visit's people out."""

    cfg = load_config(data_dir)
    with _store(cfg) as store:
        try:
            n = check_out(store, cfg, visit_id)
        except Refusal as exc:
            raise click.ClickException(str(exc)) from exc
    echo_json({"ok": True, "visit_id": visit_id, "people": n})
