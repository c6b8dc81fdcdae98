"""``lapas hq ...`` (serve, facilities, enrolment codes, devices, operator data) and ``lapas enroll``."""

from __future__ import annotations

import json
import os

import click
import uvicorn
from sqlalchemy import select

from core.cli_common import echo_json, setup_logging
from hq import enrolment, operators, reference, retention
from hq.app import create_app, tune_gc
from hq.cli_common import db_option, default_db, facility_option, open_hq
from hq.cli_common import write as _write
from hq.payments.cli import payments_group
from hq.schema import facilities


@click.group("hq")
def hq_group():
    """Headquarters server: API for devices, dashboard, and operators' commands."""


@hq_group.command("serve")
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8765, show_default=True, type=int, help="TCP port to listen on.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Server processes (PostgreSQL only; SQLite has one writer, so keep 1).")
@click.option("--verbose", is_flag=True, help="Debug logging and an access log.")
def serve_cmd(db_url, host, port, workers, verbose):
    """Run the HQ server (FastAPI under uvicorn) until stopped; OpenAPI at /openapi.json."""



    setup_logging(verbose)
    db = open_hq(db_url)
    if workers > 1 and db.dialect == "sqlite":
        raise click.ClickException("--workers > 1 needs PostgreSQL (SQLite allows one writer process)")
    click.echo(f"HQ database {db.dialect} schema version {db.schema_version()}; listening on http://{host}:{port}"
               f" ({workers} worker(s))", err=True)
    opts = dict(host=host, port=port, log_level="debug" if verbose else "warning", access_log=verbose,
                timeout_keep_alive=30)
    if workers == 1:
        app = create_app(db)
        tune_gc()
        uvicorn.run(app, **opts)
    else:
        db.dispose()
        os.environ["LAPAS_HQ_DB"] = db.url_text
        uvicorn.run("hq.app:app_from_env", factory=True, workers=workers, **opts)


@hq_group.command("migrate")
@db_option
def migrate_cmd(db_url):
    """Create or upgrade the HQ schema and print its version."""
    db = open_hq(db_url)
    click.echo(f"schema version {db.schema_version()} ({db.dialect})")


@hq_group.group("facility")
def facility_group():
    """Facilities (Lapas/Rutan) served by this HQ."""


@facility_group.command("add")
@click.argument("facility_id")
@click.option("--name", required=True, help="Display name, e.g. 'Lapas Kelas IIA Malang'.")
@click.option("--address", default="", help="Street address.")
@click.option("--city", default="", help="City.")
@click.option("--capacity", "room_capacity", default=100, show_default=True, type=int,
              help="Visiting room capacity (people).")
@db_option
def facility_add_cmd(facility_id, name, address, city, room_capacity, db_url):
    """Add a facility."""

    _write(db_url, operators.add_facility, facility_id, name, address, city, room_capacity)
    click.echo(f"facility {facility_id} added")


@facility_group.command("list")
@db_option
def facility_list_cmd(db_url):
    """List facilities as JSON lines."""


    db = open_hq(db_url)
    with db.read() as conn:
        for r in conn.execute(select(facilities).order_by(facilities.c.id)):
            echo_json(dict(r._mapping))


@hq_group.command("enroll-code")
@facility_option
@click.option("--role", type=click.Choice(["kiosk", "guard"]), default=None, help="Only enrol this role.")
@click.option("--ttl-hours", default=24.0, show_default=True, type=float, help="Hours until the code expires.")
@db_option
def enroll_code_cmd(facility_id, role, ttl_hours, db_url):
    """Make a one-time, expiring enrolment code for a device of FACILITY."""

    code, expires = _write(db_url, enrolment.create_code, facility_id, role=role, ttl_hours=ttl_hours)
    click.echo(code)
    click.echo(f"one-time code for {facility_id}; expires {expires}", err=True)


@hq_group.group("device")
def device_group():
    """Enrolled devices."""


@device_group.command("list")
@click.option("--facility", "facility_id", default=None, help="Only this facility.")
@db_option
def device_list_cmd(facility_id, db_url):
    """List devices with last-seen, backlog and clock skew (JSON lines)."""

    db = open_hq(db_url)
    with db.read() as conn:
        for d in operators.list_devices(conn, facility_id):
            echo_json(d)


@device_group.command("revoke")
@click.argument("device_id")
@db_option
def device_revoke_cmd(device_id, db_url):
    """Revoke a device: its requests are refused and its key leaves the trusted keys."""

    at = _write(db_url, enrolment.revoke, device_id)
    click.echo(f"device {device_id} revoked at {at}")


@hq_group.group("inmates")
def inmates_group():
    """Inmate register of a facility."""


@inmates_group.command("import")
@facility_option
@click.argument("csv_file", type=click.File("r", encoding="utf-8"))
@click.option("--replace", is_flag=True, help="Remove inmates missing from the file.")
@db_option
def inmates_import_cmd(facility_id, csv_file, replace, db_url):
    """Import inmates from CSV (id,reg_no,name,code[,block,room,visitable,status]); code A or B."""

    out = _write(db_url, operators.import_inmates, facility_id, csv_file.read(), replace=replace)
    click.echo(f"inmates: {out['added']} added, {out['updated']} updated, {out['removed']} removed")


def _load_json(fh):
    try:
        return json.load(fh)
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"{fh.name}: not valid JSON ({exc})") from exc


@hq_group.command("schedule")
@facility_option
@click.argument("json_file", type=click.File("r", encoding="utf-8"))
@db_option
def schedule_cmd(facility_id, json_file, db_url):
    """Set the visiting schedule and quotas from a JSON file (the reference `schedule` section)."""

    v = _write(db_url, operators.set_schedule, facility_id, _load_json(json_file))
    click.echo(f"schedule set (reference version {v})")


@hq_group.command("limits")
@facility_option
@click.argument("settings", nargs=-1, required=True)
@db_option
def limits_cmd(facility_id, settings, db_url):
    """Set limits as KEY=VALUE, e.g. max_followers=3 visits_per_nik_per_week=1."""

    changes = {}
    for s in settings:
        key, sep, value = s.partition("=")
        if not sep or not value.strip().isdigit():
            raise click.ClickException(f"{s!r}: expected KEY=INTEGER")
        changes[key.strip()] = int(value)
    v = _write(db_url, operators.set_limits, facility_id, changes)
    click.echo(f"limits set (reference version {v})")


@hq_group.command("close-day")
@facility_option
@click.option("--date", "day", required=True, help="WIB date YYYY-MM-DD.")
@click.option("--reason", required=True, help="Shown to visitors, e.g. 'Hari Natal'.")
@click.option("--open", "reopen", is_flag=True, help="Mark the date open instead (an extra visiting day).")
@db_option
def close_day_cmd(facility_id, day, reason, reopen, db_url):
    """Close (or open) visiting on one date."""

    v = _write(db_url, operators.set_exception, facility_id, day, reason, closed=not reopen)
    click.echo(f"{day} {'open' if reopen else 'closed'} (reference version {v})")


@hq_group.command("emergency")
@facility_option
@click.option("--close/--open", "closed", required=True, help="Close visiting now, or reopen.")
@click.option("--reason", default="", help="Shown to visitors when closed.")
@click.option("--until", default=None, help="UTC ISO time the closure ends (optional).")
@db_option
def emergency_cmd(facility_id, closed, reason, until, db_url):
    """Emergency close (or reopen) of visiting at a facility."""

    v = _write(db_url, operators.set_emergency, facility_id, closed, reason, until)
    click.echo(f"emergency {'close' if closed else 'open'} set (reference version {v})")


@hq_group.command("ban")
@facility_option
@click.option("--nik", required=True, help="The visitor's 16-digit NIK.")
@click.option("--reason", required=True, help="Why (kept for operators; shown to guards).")
@click.option("--until", default=None, help="Last day of the ban, YYYY-MM-DD (optional).")
@click.option("--remove", is_flag=True, help="Lift the ban instead.")
@db_option
def ban_cmd(facility_id, nik, reason, until, remove, db_url):
    """Add a visitor to (or remove from) the banned list."""

    if remove:
        v = _write(db_url, operators.unban, facility_id, nik)
    else:
        v = _write(db_url, operators.ban, facility_id, nik, reason, until)
    click.echo(f"banned list updated (reference version {v})")


@hq_group.command("prereg")
@facility_option
@click.argument("json_file", type=click.File("r", encoding="utf-8"))
@db_option
def prereg_cmd(facility_id, json_file, db_url):
    """Import pre-registrations (a JSON list in the reference format)."""

    n = _write(db_url, operators.import_pre_registrations, facility_id, _load_json(json_file))
    click.echo(f"{n} pre-registration(s) imported")


@hq_group.command("dead-letters")
@click.option("--facility", "facility_id", default=None, help="Only this facility.")
@db_option
def dead_letters_cmd(facility_id, db_url):
    """Events HQ rejected (newest first), as JSON lines."""

    db = open_hq(db_url)
    with db.read() as conn:
        for d in operators.dead_letters(conn, facility_id):
            echo_json(d)


@hq_group.command("reference")
@facility_option
@click.option("--since", type=int, default=None, help="Delta after this version (default: full snapshot).")
@db_option
def reference_cmd(facility_id, since, db_url):
    """Print the facility's reference document (the file `lapas reference load` reads)."""

    try:
        doc = _write(db_url, reference.build, facility_id, since)
    except reference.UnknownFacility as exc:
        raise click.ClickException(f"no facility {exc}") from exc
    click.echo(json.dumps(doc, ensure_ascii=False, indent=2))


@hq_group.group("retention")
def retention_group():
    """Personal data at HQ: pseudonymise what is older than the retention period (run nightly)."""


@retention_group.command("run")
@db_option
@click.option("--pii-days", type=click.IntRange(min=1), envvar="LAPAS_HQ_PII_DAYS",
              default=retention.DEFAULT_PII_DAYS, show_default=True,
              help="Keep identity numbers, names and phones in the clear this many days (hq.retention.pii_days).")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
def retention_run_cmd(db_url, pii_days, as_json):
    """Replace old identity numbers by masked form + keyed hash, mask old names and phones, delete past
    pre-registrations and expired bans; prints the counts."""
    setup_logging()
    url = db_url or default_db()
    secret = retention.load_secret(retention.secret_path(url))
    result = _write(db_url, lambda conn: retention.run(conn, secret, pii_days=pii_days))
    if as_json:
        echo_json(result.as_dict())
    else:
        click.echo("pseudonymised before {cutoff}: {events} events, {visits} visits, {payments} payments; "
                   "deleted {pre_registrations} past pre-registrations, {bans} expired bans".format(**result.as_dict()))


hq_group.add_command(payments_group)
