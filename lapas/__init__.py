"""The composition root: the ``lapas`` command and the demo, which put the other parts together.

Only this package imports every part (core, kiosk, hardware, sync, hq); see docs/architecture.md.
"""
