"""The device commands' shared pieces: the ``--data-dir`` option and config loading with friendly errors.

JSON output and logging set-up are :mod:`core.cli_common` (re-used here by name)."""

from __future__ import annotations

import click

from core.cli_common import echo_json, setup_logging
from kiosk import config as config_mod

__all__ = ["data_dir_option", "echo_json", "load_config", "setup_logging"]

data_dir_option = click.option(
    "--data-dir",
    "data_dir",
    envvar="LAPAS_HOME",
    type=click.Path(file_okay=False),
    default=None,
    help="Device data directory (config, database, keys). Default: $LAPAS_HOME or ~/.local/share/lapas.",
)


def load_config(data_dir: str | None, required: bool = True) -> config_mod.Config:
    try:
        return config_mod.load(data_dir, required=required)
    except config_mod.ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
