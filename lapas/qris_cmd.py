"""``lapas qris parse|dynamic``: read and build QRIS payloads from the shell (support and operators)."""

from __future__ import annotations

import sys

import click

from core import qris
from core.cli_common import echo_json
from core.money import MoneyError, rupiah


@click.group("qris")
def qris_group() -> None:
    """Read and build QRIS payment payloads (EMVCo merchant-presented mode)."""


@qris_group.command("parse")
@click.argument("payload")
def parse_cmd(payload: str) -> None:
    """Print PAYLOAD as one JSON object: tags by number (templates nested) and crc_ok.

    Exit status 0 when the CRC matches, 3 when it does not (the JSON is printed either way);
    an unreadable payload prints {"error": CODE, "message": ...} and exits 2.
    """
    try:
        parsed = qris.parse(payload.strip(), verify_crc=False)
    except qris.QrisError as exc:
        echo_json({"error": exc.code, "message": str(exc), "tag": exc.tag})
        sys.exit(2)
    echo_json(parsed.to_json())
    if not parsed.crc_ok:
        sys.exit(3)


@qris_group.command("dynamic")
@click.option("--static", "static_payload", required=True, help="The facility's static merchant QRIS payload.")
@click.option("--amount", required=True, help="Amount in whole rupiah, e.g. 150000.")
@click.option("--ref", "reference", required=True, help="Payment reference (tag 62 bill number and reference label).")
@click.option("--terminal", default=None, help="Terminal label (tag 62/07), normally the device id.")
def dynamic_cmd(static_payload: str, amount: str, reference: str, terminal: str | None) -> None:
    """Print a dynamic QRIS payload for one payment of AMOUNT rupiah built from a static one."""
    try:
        value = rupiah(amount)
    except MoneyError as exc:
        raise click.BadParameter(f"{amount!r} is not a whole number of rupiah", param_hint="--amount") from exc
    try:
        click.echo(qris.make_dynamic(static_payload.strip(), value, reference, terminal=terminal))
    except qris.QrisError as exc:
        raise click.ClickException(f"{exc.code}: {exc}") from exc
