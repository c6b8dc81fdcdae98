"""UI test harness: a real X server (Xvfb) per xdist worker, a real Kivy window, one app per test.

When DISPLAY is unset the suite starts its own Xvfb on a free display number (each xdist worker its own).
Screenshots of every screen land in ``<tmp>/shots`` and are copied to ``$LAPAS_UI_ARTIFACTS`` (default
``.pytest-artifacts/ui``) so they can be looked at after the run.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.conftest import ROOT, init_device

WIDTH, HEIGHT = 1280, 800  # the kiosk window: a 1280x800 touchscreen at 96 dpi
BIG = 2048, 1280  # a 15.6" screen at 160 dpi
ARTIFACTS = Path(os.environ.get("LAPAS_UI_ARTIFACTS", ROOT / ".pytest-artifacts" / "ui"))
(ROOT / ".pytest-artifacts").mkdir(exist_ok=True)
(ROOT / ".pytest-artifacts" / ".gitignore").write_text("*\n")


def _prepare_kivy() -> None:
    """Before any test module imports Kivy: a display, Kivy's environment, a private KIVY_HOME."""
    from tests.support import xvfb as xvfb_mod

    xvfb = xvfb_mod.start(*BIG)  # room for the high-DPI test's larger window
    if xvfb is not None:
        atexit.register(xvfb_mod.stop, xvfb)
    from kiosk.ui import kivy_env

    home = Path(tempfile.mkdtemp(prefix="lapas-kivy-"))
    atexit.register(shutil.rmtree, home, True)
    kivy_env.prepare(home, windowed=True, size=(WIDTH, HEIGHT))


_prepare_kivy()


@pytest.fixture(scope="session")
def kivy_window():
    """The worker's one Kivy window (Kivy cannot reopen a window in the same process)."""
    from kivy.core.window import Window

    Window.size = (WIDTH, HEIGHT)
    return Window


@pytest.fixture
def kiosk_dir(tmp_path):
    """An initialised kiosk data directory (real `lapas init`) with a short idle timeout for tests."""
    return init_device(tmp_path / "kiosk")


def set_config(data_dir: Path, **ui) -> None:
    from kiosk import config

    cfg = config.load(data_dir)
    for key, value in ui.items():
        section, name = key.split("__")
        setattr(getattr(cfg, section), name, value)
    config.save(cfg)


@pytest.fixture
def shots_dir(tmp_path, request):
    d = tmp_path / "shots"
    yield d
    if d.exists():
        dest = ARTIFACTS / request.node.name.replace("/", "_")
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(d, dest)


@pytest.fixture
def start_app(kivy_window, shots_dir, tmp_path):
    """``start_app(data_dir, cls=KioskApp)`` -> a started Harness; stopped after the test."""
    from core import i18n
    from kiosk import config
    from tests.support.harness import Harness

    harnesses = []

    def start(data_dir: Path, cls=None, ui: dict | None = None, **kw):
        if cls is None:
            from kiosk.ui.app import KioskApp as cls
        cfg = config.load(data_dir)
        for key, value in (ui or {}).items():  # in-memory only: e.g. an idle timeout below the config minimum
            setattr(cfg.ui, key, value)
        app = cls(cfg, voice_dir=tmp_path / "voice", **kw)
        h = Harness(app, shots_dir).start()
        harnesses.append(h)
        return h

    yield start
    for h in harnesses:
        h.stop()
    i18n.set_language(i18n.DEFAULT_LANGUAGE)
