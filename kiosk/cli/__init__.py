"""The device's commands (kiosk and guard station): set-up, visits, payments' checks, printer and scanner, sync.

:func:`register` adds them to the ``lapas`` command (``lapas.cli``).
"""

from __future__ import annotations

import click

from kiosk.cli import core, devices, i18n_cmd, run, sync_cmd, visits

COMMAND_MODULES = (core, visits, i18n_cmd, run, devices, sync_cmd)


def register(main: click.Group) -> None:
    for module in COMMAND_MODULES:
        module.register(main)
