"""Where shipped assets live (fonts, images, translations, sounds, demo reference data).

An installed wheel carries the repository's top-level ``assets/`` folder as the package directory ``lapas_assets``
beside ``core``; a source tree (editable install, tests) has ``assets/`` next to ``core/``. ``LAPAS_ASSETS``
overrides both. Found through ``__file__``, so it works the same from a wheel and from the tree.
"""

from __future__ import annotations

import os
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
_INSTALLED = _ROOT / "lapas_assets"  # site-packages/lapas_assets, from the wheel
_SOURCE = _ROOT / "assets"  # the repository's assets/ folder


def assets_dir() -> Path:
    env = os.environ.get("LAPAS_ASSETS")
    if env:
        return Path(env)
    return _INSTALLED if _INSTALLED.is_dir() else _SOURCE


def asset(*parts: str) -> Path:
    return assets_dir().joinpath(*parts)
