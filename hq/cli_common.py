"""The HQ commands' shared pieces: the ``--db`` and ``--facility`` options, and one operator change per transaction."""

from __future__ import annotations

from pathlib import Path

import click

from hq.db import HQDatabaseError, open_db
from hq.enrolment import EnrolmentError
from hq.operators import OperatorError

DB_HELP = "HQ database: a SQLite path or postgresql://user@host:port/db URL. Default: $LAPAS_HQ_DB or " \
          "~/.local/share/lapas/hq.db."


def default_db() -> str:
    return str(Path.home() / ".local" / "share" / "lapas" / "hq.db")


db_option = click.option("--db", "db_url", envvar="LAPAS_HQ_DB", default=None, help=DB_HELP)
facility_option = click.option("--facility", "facility_id", required=True, help="Facility id, e.g. LPS-MLG.")


def open_hq(db_url: str | None):
    url = db_url or default_db()
    if "://" not in url:
        Path(url).expanduser().parent.mkdir(parents=True, exist_ok=True)
    try:
        return open_db(url)
    except HQDatabaseError as exc:
        raise click.ClickException(str(exc)) from exc


def write(db_url, fn, *args, **kwargs):
    """Run one operator change in one transaction; operator errors become clear CLI errors."""
    db = open_hq(db_url)
    try:
        with db.write() as conn:
            return fn(conn, *args, **kwargs)
    except (OperatorError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    except EnrolmentError as exc:
        raise click.ClickException(exc.message) from exc
    finally:
        db.dispose()
