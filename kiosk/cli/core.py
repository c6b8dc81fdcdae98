"""Foundation commands: ``init``, ``doctor``, ``audit verify``, ``outbox``."""

from __future__ import annotations

import secrets
import sys

import click

from core import identity
from core.events import DeviceInitialised
from kiosk import config as config_mod
from kiosk.cli.common import data_dir_option, echo_json, load_config
from kiosk.doctor import report
from kiosk.store import Store, outbox
from kiosk.store.audit import verify


@click.command("init")
@data_dir_option
@click.option("--facility", default=None, help="Facility id, e.g. LPS-MLG (default LPS-DEMO).")
@click.option("--role", type=click.Choice(config_mod.ROLES), default=None, help="kiosk (lobby) or guard (gate).")
@click.option("--device-id", default=None, help="Device id (default: <role>-<random>).")
@click.option("--hq", "hq_url", default=None, help="Headquarters URL (default http://127.0.0.1:8765).")
@click.option("--force", is_flag=True, help="Replace an existing device key (the old key stops being trusted).")
def init_cmd(data_dir, facility, role, device_id, hq_url, force):
    """Create this device's config, database and Ed25519 key pair. Safe to run again."""
    root = config_mod.resolve_data_dir(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    cfg_path = root / config_mod.CONFIG_NAME
    created_config = not cfg_path.exists()
    cfg = load_config(str(root), required=False)
    changes = {}
    if facility and facility != cfg.device.facility_id:
        changes["device.facility_id"] = facility
    if role and role != cfg.device.role:
        changes["device.role"] = role
    if device_id and device_id != cfg.device.device_id:
        changes["device.device_id"] = device_id
    if hq_url and hq_url != cfg.hq.url:
        changes["hq.url"] = hq_url
    if not created_config and changes and not force:
        raise click.ClickException(
            f"{cfg_path} already exists with other values ({', '.join(changes)}); "
            "edit it, or pass --force to re-initialise this device"
        )
    if created_config or force:
        cfg.device.facility_id = facility or cfg.device.facility_id
        cfg.device.role = role or cfg.device.role
        cfg.device.device_id = device_id or (
            f"{cfg.device.role}-{secrets.token_hex(3)}" if created_config or "device.role" in changes
            else cfg.device.device_id
        )
        cfg.hq.url = hq_url or cfg.hq.url
        try:
            config_mod._validate(cfg, cfg_path)
        except config_mod.ConfigError as exc:
            raise click.ClickException(str(exc)) from exc
        config_mod.save(cfg)

    if identity.exists(cfg.keys_dir) and not force:
        key = identity.load(cfg.keys_dir)
        key_state = "kept"
    else:
        key = identity.create(cfg.keys_dir, force=force)
        key_state = "created"

    with Store(cfg.db_path, cfg.device.device_id) as store:
        if store.get_meta("device_key_id") != key.key_id:
            with store.transaction() as tx:
                tx.emit(DeviceInitialised(cfg.device.device_id, cfg.device.facility_id, cfg.device.role,
                                          key.public_b64))
                store.set_meta("device_key_id", key.key_id, tx)
                store.set_meta("device_id", cfg.device.device_id, tx)
        version = store.schema_version()
    click.echo(f"data dir:   {root}")
    click.echo(f"config:     {cfg_path} ({'created' if created_config else 'kept'})")
    click.echo(f"device:     {cfg.device.device_id} ({cfg.device.role}) at facility {cfg.device.facility_id}")
    click.echo(f"key:        {cfg.keys_dir / identity.PRIVATE_NAME} ({key_state}, id {key.key_id})")
    click.echo(f"database:   {cfg.db_path} (schema version {version})")


@click.command("doctor")
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--no-hq", is_flag=True, help="Do not try to reach HQ.")
def doctor_cmd(data_dir, as_json, no_hq):
    """Report device health; exit code 1 when something needs attention."""

    cfg = load_config(data_dir)
    rep = report(cfg, check_hq=not no_hq)
    if as_json:
        echo_json(rep)
    else:
        click.echo(f"{'OK' if rep['ok'] else 'NOT OK'}: {rep['device_id']} ({rep['role']}) at {rep['facility_id']}")
        for key in ("schema_version", "pending_events", "oldest_pending_age_s", "dead_letters", "last_sync",
                    "sync_failures", "next_sync_attempt",
                    "reference_version", "reference_as_of", "disk_free_mb"):
            click.echo(f"  {key:22} {rep.get(key)}")
        for name, dev in rep["devices"].items():
            state = "reachable" if dev.get("reachable") else ("not configured" if not dev["port"] else "NOT reachable")
            click.echo(f"  {name:22} {dev['port'] or '-'} {state}")
        if "hq" in rep:
            click.echo(f"  {'hq':22} {rep['hq']['url']} {'reachable' if rep['hq']['reachable'] else 'NOT reachable'}")
        for p in rep["problems"]:
            click.echo(f"  problem: {p}")
        for w in rep["warnings"]:
            click.echo(f"  warning: {w}")
    sys.exit(0 if rep["ok"] else 1)


@click.group("audit")
def audit_group():
    """The tamper-evident audit chain over every outbox event."""


@audit_group.command("verify")
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def audit_verify_cmd(data_dir, as_json):
    """Check the chain; exit 0 when intact, 1 naming the first broken link."""
    cfg = load_config(data_dir)
    with Store(cfg.db_path, cfg.device.device_id, migrate=False) as store:
        res = verify(store.conn, cfg.device.device_id)
    if as_json:
        echo_json(res.as_dict())
    elif res.ok:
        click.echo(f"audit chain intact: {res.links} links")
    else:
        click.echo(f"audit chain BROKEN at seq {res.broken_seq}: {res.reason} ({res.links} links verified before it)")
    sys.exit(0 if res.ok else 1)


@click.group("outbox")
def outbox_group():
    """Inspect the outbox (events waiting for HQ, and dead letters)."""


@outbox_group.command("stats")
@data_dir_option
def outbox_stats_cmd(data_dir):
    """Counts of pending, sent and rejected events."""
    cfg = load_config(data_dir)
    with Store(cfg.db_path, cfg.device.device_id) as store:
        echo_json(outbox.stats(store.conn))


@outbox_group.command("dead-letters")
@data_dir_option
def outbox_dead_cmd(data_dir):
    """Events HQ rejected, with its code and message."""
    cfg = load_config(data_dir)
    with Store(cfg.db_path, cfg.device.device_id) as store:
        for row in outbox.dead_letters(store.conn, limit=10_000):
            echo_json(row)
