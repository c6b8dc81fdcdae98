"""The device's commands (kiosk and guard station): set-up, visits, printer and scanner, sync and enrolment.

Each module defines its commands; `lapas.cli` imports a module only when one of its commands runs.
"""
