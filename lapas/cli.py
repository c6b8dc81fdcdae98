"""The ``lapas`` command: every part's commands under one group.

This package is the composition root, the one place that may import every other part. A kiosk or guard box
installs without the HQ server (``lapas-kiosk[kiosk]``) and HQ without Kivy (``lapas-kiosk[hq]``), so the HQ
commands are added only when the HQ extra is installed.
"""

from __future__ import annotations

from pathlib import Path

import click

import hardware.cli
import kiosk.cli
from core.cli_common import setup_logging
from kiosk.cli.common import load_config
from kiosk.cli.run import open_window
from lapas import qris_cmd

try:  # optional: the HQ server's commands, present only with the [hq] extra (FastAPI, SQLAlchemy, ...)
    import hq.cli as hq_cli
    from hq.payments.gateway_cli import gateway_group
    from lapas.demo import Demo
except ModuleNotFoundError as exc:  # only a missing third-party HQ dependency means "not installed"
    if exc.name in {"hq", "hq.cli"} or (exc.name or "").startswith(("hq.",)):
        raise
    hq_cli = gateway_group = Demo = None


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="lapas-kiosk")
def main() -> None:
    """lapas-kiosk: visitor kiosk, guard station, sync daemon and HQ server for a Lapas/Rutan."""


@click.command("demo")
@click.option("--data-dir", "data_dir", type=click.Path(file_okay=False), default="demo-data", show_default=True,
              help="Where the demo keeps HQ's database, the device, receipts and logs.")
@click.option("--guard", is_flag=True, help="The guard station instead of the visitor kiosk.")
@click.option("--fullscreen", is_flag=True, help="Full screen (default: a window).")
def demo_cmd(data_dir, guard, fullscreen):
    """The whole demo: HQ on loopback, enrolled device, demo data, simulators, sync daemon and the window.
    One Ctrl-C (or closing the window) stops everything."""
    setup_logging(False)
    demo = Demo(Path(data_dir), guard=guard, echo=click.echo)
    try:
        demo.start()
        click.echo("window:    opening (Ctrl-C here or close the window to stop everything)")
        cfg = load_config(str(demo.device_dir))
        open_window(cfg, guard=guard, windowed=not fullscreen)
    except KeyboardInterrupt:
        click.echo("stopping...")
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        demo.stop()
        click.echo("demo stopped")


def _register_all() -> None:
    kiosk.cli.register(main)
    hardware.cli.register(main)
    qris_cmd.register(main)
    if hq_cli is not None:
        hq_cli.register(main)
        hardware.cli.sim_group.add_command(gateway_group)
        main.add_command(demo_cmd)


_register_all()
