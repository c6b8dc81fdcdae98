"""The ``lapas`` command. Each subsystem adds its commands from its own module (see ``COMMAND_MODULES``)."""

from __future__ import annotations

import click

from kiosk.plugins import optional_modules

# Modules exposing ``register(group)``; a module missing from this build is skipped.
COMMAND_MODULES = [
    "kiosk.cli.core",
    "kiosk.cli.visits",
    "kiosk.cli.i18n_cmd",
    "kiosk.cli.run",
    "kiosk.payments.cli",
    "hardware.cli",
    "sync.cli",
    "hq.cli",
]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="lapas-kiosk")
def main() -> None:
    """lapas-kiosk: visitor kiosk, guard station, sync daemon and HQ server for a Lapas/Rutan."""


def _register_all() -> None:
    for module in optional_modules(COMMAND_MODULES):
        module.register(main)


_register_all()
