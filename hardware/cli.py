"""``lapas sim printer|scanner``: the device simulators on real pseudo-terminals.

``sim_group`` is exported so other parts can add their simulators (``lapas sim gateway`` from HQ's payments).
"""

from __future__ import annotations

import click

from hardware.sim_printer import sim_printer_cmd
from hardware.sim_scanner import sim_scanner_cmd

# -- lapas sim -------------------------------------------------------------------------------------


@click.group("sim")
def sim_group() -> None:
    """Device simulators on real pseudo-terminals (printer, scanner, ...)."""


sim_group.add_command(sim_printer_cmd)
sim_group.add_command(sim_scanner_cmd)
