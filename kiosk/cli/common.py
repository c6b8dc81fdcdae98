"""Shared CLI pieces: the ``--data-dir`` option, config loading with friendly errors, JSON output."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import click

from kiosk import config as config_mod

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


def echo_json(obj: Any) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, sort_keys=True, default=str))


def setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
