"""``lapas run`` (visitor kiosk), ``lapas guard`` (guard station), ``lapas maintenance set-pin`` and
``lapas demo`` (the whole system on one machine: HQ, simulators, sync daemon and the window).
"""

from __future__ import annotations

import logging
import signal
import sys

import click

from kiosk import config as config_mod
from kiosk.cli.common import data_dir_option, load_config, setup_logging
from kiosk.pin import META_KEY, PinError, hash_pin
from kiosk.store import Store

log = logging.getLogger(__name__)

windowed_option = click.option("--windowed", is_flag=True, help="A normal window instead of full screen (development).")


def open_window(cfg: config_mod.Config, *, guard: bool, windowed: bool) -> None:
    """Start the Kivy app for ``cfg`` in this process and block until it closes."""
    from kiosk.ui import kivy_env  # Kivy: imported after kivy_env.prepare() has set its environment

    kivy_env.prepare(cfg.run_dir / "kivy", windowed=windowed)  # Kivy logs through our logging, once
    if guard:
        from kiosk.ui.guard.app import (
            GuardApp as AppCls,  # Kivy: imported after kivy_env.prepare() has set its environment
        )
    else:
        from kiosk.ui.app import (
            KioskApp as AppCls,  # Kivy: imported after kivy_env.prepare() has set its environment
        )
    app = AppCls(cfg)

    def request_stop(_signum, _frame):  # one Ctrl-C (or SIGTERM from systemd) closes the window cleanly
        from kivy.clock import (
            Clock,
        )  # Kivy: imported after kivy_env.prepare() has set its environment

        Clock.schedule_once(lambda _dt: app.stop(), 0)

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    app.run()


@click.command("run")
@data_dir_option
@windowed_option
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def run_cmd(data_dir, windowed, verbose):
    """Open the visitor kiosk (touchscreen; full screen unless --windowed)."""
    setup_logging(verbose)
    cfg = load_config(data_dir)
    open_window(cfg, guard=False, windowed=windowed)


@click.command("guard")
@data_dir_option
@windowed_option
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def guard_cmd(data_dir, windowed, verbose):
    """Open the guard station: scanner verdicts, check-in/out, room count, queue caller."""
    setup_logging(verbose)
    cfg = load_config(data_dir)
    open_window(cfg, guard=True, windowed=windowed)


@click.group("maintenance")
def maintenance_group():
    """Maintenance mode of the touchscreen (opened by 5 taps on the emblem plus the PIN)."""


@maintenance_group.command("set-pin")
@data_dir_option
@click.option("--pin-stdin", is_flag=True, help="Read the PIN from standard input instead of prompting.")
def set_pin_cmd(data_dir, pin_stdin):
    """Set the maintenance PIN (4-12 digits); only a salted scrypt hash is stored in lapas.toml."""

    cfg = load_config(data_dir)
    if pin_stdin:
        pin = sys.stdin.readline().strip()
    else:
        pin = click.prompt("New maintenance PIN", hide_input=True, confirmation_prompt=True)
    try:
        cfg.ui.maintenance_pin_hash = hash_pin(pin)
    except PinError as exc:
        raise click.ClickException(str(exc)) from exc
    config_mod.save(cfg)
    click.echo(f"maintenance PIN set in {cfg.path}")


@maintenance_group.command("unlock")
@data_dir_option
def unlock_cmd(data_dir):
    """Lift a maintenance lock-out caused by wrong PINs (needs shell access to the device)."""

    cfg = load_config(data_dir)
    with Store(cfg.db_path, cfg.device.device_id) as store:
        store.set_meta(META_KEY, '{"failures": 0, "locked_until": 0}')
    click.echo("maintenance lock-out cleared")
