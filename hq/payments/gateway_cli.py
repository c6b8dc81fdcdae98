"""``lapas sim gateway``: the QRIS payment gateway simulator (Midtrans-style API) and the commands that drive it."""

from __future__ import annotations

import json
import sys

import click
import requests

from core.cli_common import echo_json
from core.demo_payments import demo_merchant_payload
from hq.payments.simulator import GatewaySimulator


@click.group("gateway", invoke_without_command=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback only).")
@click.option("--port", default=0, type=int, show_default=True, help="Port (0 = pick a free one).")
@click.option("--server-key", envvar="LAPAS_GATEWAY_SERVER_KEY", default="SB-Mid-server-LAPASDEMO",
              show_default=True, help="Server key that authenticates HQ and signs notifications.")
@click.option("--notify-url", default="", help="Where signed payment notifications are POSTed (HQ's webhook).")
@click.option("--merchant", "merchant_payload", default="", help="Static QRIS payload charges are built from "
              "(default: the demo merchant).")
@click.option("--state", "state_file", type=click.Path(dir_okay=False), default=None,
              help="JSON file keeping charges across restarts (default: in memory).")
@click.pass_context
def gateway_group(ctx, host, port, server_key, notify_url, merchant_payload, state_file) -> None:
    """Run the QRIS payment gateway simulator (Midtrans-style API) on loopback; or drive one.

    Without a subcommand it serves until stopped and prints its base URL as the first line of output.
    Subcommands (pay, expire, fail, pay-qris, list) drive a running simulator through its admin API.
    """
    if ctx.invoked_subcommand is not None:
        return
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise click.BadParameter("the simulator listens on loopback only", param_hint="--host")
    sim = GatewaySimulator(server_key=server_key, notify_url=notify_url or None,
                           merchant_payload=merchant_payload or demo_merchant_payload(),
                           state_file=state_file, host=host, port=port)
    sim.start()
    click.echo(sim.url, nl=True)
    sys.stdout.flush()
    try:
        sim.wait()
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()


def _admin(url: str, path: str, body: dict | None = None) -> dict:
    """POST ``body`` (or GET when ``body`` is None) to the simulator's admin API."""
    full = url.rstrip("/") + path
    try:
        resp = requests.get(full, timeout=10) if body is None else requests.post(full, json=body, timeout=10)
    except requests.RequestException as exc:
        raise click.ClickException(f"gateway simulator at {url} is not reachable: {exc}") from exc
    try:
        data = resp.json()
    except ValueError:
        data = {"status_code": str(resp.status_code), "text": resp.text}
    if resp.status_code >= 400:
        raise click.ClickException(json.dumps(data, ensure_ascii=False))
    return data


_url_option = click.option("--url", envvar="LAPAS_GATEWAY_URL", required=True,
                           help="Base URL of the running simulator (printed when it starts).")


def _action(name: str, doc: str):
    @gateway_group.command(name, help=doc)
    @click.argument("order_id")
    @_url_option
    def cmd(order_id: str, url: str) -> None:
        echo_json(_admin(url, f"/sim/charges/{order_id}/{name}", {}))

    return cmd


_action("pay", "Settle the charge ORDER_ID (the payer paid); a settlement notification is sent.")
_action("expire", "Expire the pending charge ORDER_ID; an expire notification is sent.")
_action("fail", "Deny the pending charge ORDER_ID (payment failed); a deny notification is sent.")
_action("resend", "Send the last notification of ORDER_ID again (duplicate delivery).")


@gateway_group.command("pay-qris")
@click.argument("payload")
@_url_option
def pay_qris_cmd(payload: str, url: str) -> None:
    """Pay a QRIS payload built offline by a kiosk, as a customer's e-wallet app would."""
    echo_json(_admin(url, "/sim/qris/pay", {"qris": payload.strip()}))


@gateway_group.command("list")
@_url_option
def list_cmd(url: str) -> None:
    """List the simulator's charges and their states as JSON."""
    echo_json(_admin(url, "/sim/charges"))
