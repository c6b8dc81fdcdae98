"""``lapas demo``: HQ, an enrolled device, demo data, the simulators, the sync daemon and the window, on one machine."""

from __future__ import annotations

from pathlib import Path

import click

from core.cli_common import setup_logging
from kiosk.cli.common import load_config
from kiosk.cli.run import open_window
from lapas.demo import Demo


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

