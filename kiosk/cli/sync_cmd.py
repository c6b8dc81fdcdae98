"""``lapas sync`` (the sync daemon for one device, until stopped or one cycle with ``--once``) and ``lapas enroll``."""

from __future__ import annotations

import gc
import signal
import sys

import click

from core import identity
from kiosk import config as config_mod
from kiosk.cli.common import data_dir_option, echo_json, load_config, setup_logging
from kiosk.domain.reference import apply_reference
from sync.client import HQClient, SyncError
from sync.daemon import AlreadyRunning, Daemon, DaemonLock


@click.command("sync")
@data_dir_option
@click.option("--once", is_flag=True, help="Run one cycle (push everything pending, pull reference data) and exit.")
@click.option("--verbose", is_flag=True, help="Debug logging.")
def sync_cmd(data_dir, once, verbose):
    """Push this device's outbox to HQ and pull reference data; one daemon per data directory."""
    setup_logging(verbose)
    cfg = load_config(data_dir)
    lock = DaemonLock(cfg.run_dir)
    try:
        lock.acquire()
    except AlreadyRunning as exc:
        click.echo(f"lapas sync: {exc}", err=True)
        sys.exit(2)
    daemon = Daemon(cfg, apply_reference=apply_reference)
    gc.freeze()  # the start-up heap is never garbage: keep later collections from rescanning it every batch
    try:
        if once:
            ok = daemon.run_once()
            echo_json(daemon.status)
            sys.exit(0 if ok else 1)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: daemon.stop.set())
        click.echo(f"sync daemon for {cfg.device.device_id} -> {cfg.hq.url} (pid lock {lock.path})", err=True)
        daemon.run()
    finally:
        daemon.close()
        lock.release()


@click.command("enroll")
@click.option("--hq", "hq_url", required=True, help="HQ URL, e.g. https://hq.example.go.id.")
@click.option("--code", required=True, help="One-time code from `lapas hq enroll-code`.")
@data_dir_option
def enroll_cmd(hq_url, code, data_dir):
    """Register this device's key at HQ; stores the HQ URL and facility id in lapas.toml."""
    cfg = load_config(data_dir)
    key = identity.load(cfg.keys_dir)
    client = HQClient(hq_url, cfg.device.device_id, key, timeout=cfg.hq.timeout_s)
    try:
        out = client.enroll(code, cfg.device.role)
    except SyncError as exc:
        click.echo(f"enrolment failed: {exc}", err=True)
        sys.exit(1)
    finally:
        client.close()
    cfg.hq.url = hq_url.rstrip("/")
    cfg.device.facility_id = out["facility_id"]
    config_mod.save(cfg)
    click.echo(f"enrolled {cfg.device.device_id} ({cfg.device.role}) at facility {out['facility_id']}, "
               f"key {out['key_id']}; hq.url = {cfg.hq.url}")
