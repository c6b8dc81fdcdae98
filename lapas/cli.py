"""The ``lapas`` command: every part's commands under one group.

This package is the composition root, the one place that may import every other part. Each command is imported
only when it runs: `lapas sync` must not pay for FastAPI, python-escpos' printer database or Kivy (a whole second
per start, in a daemon restarted by systemd and in every test that runs the CLI). A kiosk or guard box installs
without the HQ server (``lapas-kiosk[kiosk]``) and HQ without Kivy (``lapas-kiosk[hq]``): a command whose extra is
not installed says which one to install.
"""

from __future__ import annotations

from collections.abc import Callable

import click

# The loaders import inside their function: that is the point of a lazy command table (each reason is the
# same: a command's dependencies load only when that command runs).


def _core(name: str) -> click.Command:
    from kiosk.cli import core  # loaded on use (see the module docstring)

    return {"init": core.init_cmd, "doctor": core.doctor_cmd, "audit": core.audit_group,
            "outbox": core.outbox_group}[name]


def _visits(name: str) -> click.Command:
    from kiosk.cli import visits  # loaded on use (see the module docstring)

    return {"reference": visits.reference_group, "nik": visits.nik_cmd, "visit": visits.visit_group,
            "ticket": visits.ticket_group, "gate": visits.gate_group}[name]


def _run(name: str) -> click.Command:
    from kiosk.cli import run  # loaded on use (see the module docstring)

    return {"run": run.run_cmd, "guard": run.guard_cmd, "maintenance": run.maintenance_group}[name]


def _devices(name: str) -> click.Command:
    from kiosk.cli import devices  # loaded on use: python-escpos loads its printer database (~0.3 s)

    return {"printer": devices.printer_group, "scanner": devices.scanner_group}[name]


def _sync(name: str) -> click.Command:
    from kiosk.cli import sync_cmd  # loaded on use (see the module docstring)

    return {"sync": sync_cmd.sync_cmd, "enroll": sync_cmd.enroll_cmd}[name]


def _i18n(name: str) -> click.Command:
    from kiosk.cli import i18n_cmd  # loaded on use (see the module docstring)

    return i18n_cmd.i18n_group


def _qris(name: str) -> click.Command:
    from lapas import qris_cmd  # loaded on use (see the module docstring)

    return qris_cmd.qris_group


def _hq(name: str) -> click.Command:
    try:
        from hq import cli as hq_cli  # loaded on use: FastAPI, SQLAlchemy, psycopg (the [hq] extra)
    except ModuleNotFoundError as exc:
        raise _missing("hq", exc) from exc
    return hq_cli.hq_group


def _sim(name: str) -> click.Command:
    from hardware.cli import sim_group  # loaded on use (see the module docstring)

    try:
        from hq.payments.gateway_cli import gateway_group  # the gateway simulator runs beside HQ ([hq] extra)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] in ("hq", "lapas", "kiosk", "core", "hardware", "sync"):
            raise
    else:
        sim_group.add_command(gateway_group)
    return sim_group


def _demo(name: str) -> click.Command:
    try:
        from lapas.demo_cmd import demo_cmd  # loaded on use: the demo runs HQ too ([hq] and [kiosk] extras)
    except ModuleNotFoundError as exc:
        raise _missing("hq", exc) from exc
    return demo_cmd


def _missing(extra: str, exc: ModuleNotFoundError) -> click.ClickException:
    if (exc.name or "").split(".")[0] in ("hq", "lapas", "kiosk", "core", "hardware", "sync"):
        raise exc  # our own module missing is a bug, not an extra left out
    return click.ClickException(f"this command needs the [{extra}] extra, which is not installed here "
                                f"({exc.name} is missing): pip install 'lapas-kiosk[{extra}]'")


# name -> (loader, one-line help shown by `lapas --help` without importing the command)
COMMANDS: dict[str, tuple[Callable[[str], click.Command], str]] = {
    "audit": (_core, "The tamper-evident audit chain over every outbox event."),
    "demo": (_demo, "The whole demo: HQ on loopback, enrolled device, demo data, simulators, sync and window."),
    "doctor": (_core, "Report device health; exit code 1 when something needs attention."),
    "enroll": (_sync, "Register this device's key at HQ; stores the HQ URL and facility id in lapas.toml."),
    "gate": (_visits, "Guard-station actions from the command line."),
    "guard": (_run, "Open the guard station: scanner verdicts, check-in/out, room count, queue caller."),
    "hq": (_hq, "Headquarters server: API for devices, dashboard, and operators' commands."),
    "i18n": (_i18n, "Translation catalogs (assets/locale): extract, merge and compile."),
    "init": (_core, "Create this device's config, database and Ed25519 key pair."),
    "maintenance": (_run, "Maintenance mode of the touchscreen (opened by 5 taps on the emblem)."),
    "nik": (_visits, "Check a NIK's structure; prints province, birth date and sex."),
    "outbox": (_core, "Inspect the outbox (events waiting for HQ, and dead letters)."),
    "printer": (_devices, "Receipt printer: test page, status, reprint, print log."),
    "qris": (_qris, "Read and build QRIS payment payloads (EMVCo merchant-presented mode)."),
    "reference": (_visits, "Reference data from HQ: load a snapshot, show what is loaded."),
    "run": (_run, "Open the visitor kiosk (touchscreen; full screen unless --windowed)."),
    "scanner": (_devices, "QR scanner on a serial port."),
    "sim": (_sim, "Device simulators on real pseudo-terminals (printer, scanner, payment gateway)."),
    "sync": (_sync, "Push this device's outbox to HQ and pull reference data; one daemon per data directory."),
    "ticket": (_visits, "Signed visit tickets."),
    "visit": (_visits, "Register visits from the command line (operators and tests)."),
}


class LazyGroup(click.Group):
    """A group whose commands (:data:`COMMANDS`) are imported when they are run or asked for help."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        loader, _help = COMMANDS[cmd_name]
        return loader(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, short) for name, (_loader, short) in sorted(COMMANDS.items())]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="lapas-kiosk")
def main() -> None:
    """lapas-kiosk: visitor kiosk, guard station, sync daemon and HQ server for a Lapas/Rutan."""
