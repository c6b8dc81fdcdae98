"""``lapas hq payments ...``: operators' payment commands at HQ (attached to ``hq.cli.hq_group``)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from core.cli_common import echo_json
from core.demo_payments import demo_sections
from core.ids import today_wib
from core.payment_reference import PaymentReferenceError
from hq.cli_common import db_option as _db_option
from hq.cli_common import facility_option as _facility_option
from hq.cli_common import write as _write
from hq.payments import ledger, settlement
from hq.payments.operations import report_csv, set_order_status
from hq.payments.settlement import process_refund


@click.group("payments")
def payments_group() -> None:
    """Payments at HQ: merchant, deposit rules and menu, refunds, order status, the daily report."""


@payments_group.command("set")
@_db_option
@_facility_option
@click.option("--section", type=click.Choice(["merchant", "deposit_rules", "menu"]), required=True,
              help="Which payments section FILE holds.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def set_cmd(db_url, facility_id, section, file):
    """Set a facility's payments section from a JSON FILE (format in docs/payments.md)."""

    try:
        body = json.loads(file.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise click.ClickException(f"{file} is not JSON: {exc}") from exc
    try:
        version = _write(db_url, settlement.set_doc, facility_id, section, body)
    except PaymentReferenceError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{section} set for {facility_id} (reference version {version})")


@payments_group.command("demo")
@_db_option
@_facility_option
def demo_cmd(db_url, facility_id):
    """Set the demo merchant, deposit rules and canteen menu for a facility."""

    sections = demo_sections()

    def apply(conn):
        for name in settlement.DOC_SECTIONS:
            settlement.set_doc(conn, facility_id, name, sections[name])

    _write(db_url, apply)
    click.echo(f"demo merchant, deposit rules and menu set for {facility_id}")


@payments_group.command("report")
@_db_option
@_facility_option
@click.option("--date", "day", default=None, help="WIB date YYYY-MM-DD (default: today).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the CSV here instead of standard output.")
def report_cmd(db_url, facility_id, day, out):
    """The daily settlement report of a facility as CSV (one row per payment and a TOTAL row)."""

    day = day or today_wib().isoformat()
    text = _write(db_url, report_csv, facility_id, day)
    if out:
        out.write_text(text, encoding="utf-8")
        click.echo(f"report for {facility_id} on {day} -> {out}")
    else:
        click.echo(text, nl=False)


@payments_group.command("refund")
@_db_option
@click.argument("reference")
@click.option("--operator", required=True, help="Who paid the money back (recorded with the refund).")
def refund_cmd(db_url, reference, operator):
    """Mark the refund of REFERENCE as paid back to the payer."""

    try:
        echo_json(_write(db_url, process_refund, reference, operator))
    except LookupError as exc:
        raise click.ClickException(str(exc)) from exc


@payments_group.command("order-status")
@_db_option
@click.argument("reference")
@click.argument("status", type=click.Choice(["prepared", "delivered", "cancelled"]))
def order_status_cmd(db_url, reference, status):
    """Move the canteen order REFERENCE to prepared, delivered or cancelled."""

    try:
        p = _write(db_url, set_order_status, reference, status)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"order {reference} is {p['status']}")


@payments_group.command("balance")
@_db_option
@_facility_option
@click.argument("inmate_id")
def balance_cmd(db_url, facility_id, inmate_id):
    """An inmate account's balance and ledger entries as JSON."""

    def read(conn):
        return {"inmate_id": inmate_id, "balance": ledger.balance(conn, facility_id, inmate_id),
                "entries": ledger.entries(conn, facility_id, inmate_id)}

    echo_json(_write(db_url, read))
