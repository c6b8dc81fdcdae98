"""CLI pieces every part's commands share: JSON output and logging set-up."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import click


def echo_json(obj: Any) -> None:
    """One JSON object on one line (UTF-8, keys sorted)."""
    click.echo(json.dumps(obj, ensure_ascii=False, sort_keys=True, default=str))


def setup_logging(verbose: bool = False) -> None:
    """Our format on stderr. ``force``: some libraries (python-escpos) log while they are imported, which makes
    logging set itself up first with the default format and level; this replaces that."""
    logging.basicConfig(
        force=True,
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
