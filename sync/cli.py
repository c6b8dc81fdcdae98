"""``lapas sync``: run the sync daemon for one device (until stopped, or one cycle with ``--once``)."""

from __future__ import annotations

import gc
import signal
import sys

import click

from kiosk.cli.common import data_dir_option, echo_json, load_config, setup_logging


@click.command("sync")
@data_dir_option
@click.option("--once", is_flag=True, help="Run one cycle (push everything pending, pull reference data) and exit.")
@click.option("--verbose", is_flag=True, help="Debug logging.")
def sync_cmd(data_dir, once, verbose):
    """Push this device's outbox to HQ and pull reference data; one daemon per data directory."""
    from sync.daemon import AlreadyRunning, Daemon, DaemonLock

    setup_logging(verbose)
    cfg = load_config(data_dir)
    lock = DaemonLock(cfg.run_dir)
    try:
        lock.acquire()
    except AlreadyRunning as exc:
        click.echo(f"lapas sync: {exc}", err=True)
        sys.exit(2)
    daemon = Daemon(cfg)
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


def register(main: click.Group) -> None:
    main.add_command(sync_cmd)
