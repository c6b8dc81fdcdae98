"""Kivy's process-wide settings, applied before Kivy is first imported.

Kivy reads its environment (``KIVY_HOME``, ``KIVY_NO_ARGS``, ...) and its config at import time, so the
``lapas run`` / ``lapas guard`` commands, the tests and the benchmark all call :func:`prepare` first.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def prepare(kivy_home: Path | None = None, *, windowed: bool = True, size: tuple[int, int] = (1280, 800),
            quiet: bool = True) -> None:
    """Set Kivy's environment and graphics config. Must run before ``import kivy``."""
    if "kivy" in sys.modules and os.environ.get("LAPAS_KIVY_PREPARED"):
        return
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    os.environ.setdefault("KIVY_WINDOW", "sdl2")
    if quiet:
        os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    if kivy_home is not None:
        kivy_home.mkdir(parents=True, exist_ok=True)
        os.environ["KIVY_HOME"] = str(kivy_home)
    os.environ["LAPAS_KIVY_PREPARED"] = "1"
    from kivy.config import Config  # noqa: E402  (after the environment is set)

    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "log_level", "warning")
    Config.set("input", "mouse", "mouse,disable_multitouch")
    Config.set("graphics", "multisamples", "0")
    Config.set("graphics", "resizable", "1" if windowed else "0")
    Config.set("graphics", "borderless", "0" if windowed else "1")
    Config.set("graphics", "fullscreen", "0" if windowed else "auto")
    Config.set("graphics", "show_cursor", "1" if windowed else "0")
    if windowed:
        Config.set("graphics", "width", str(size[0]))
        Config.set("graphics", "height", str(size[1]))
