"""Home-screen tiles: one per service that works on this device. Later features add theirs here.

A tile names the screen it opens and says whether it is available now (``available(app) -> bool``), so a
service that is not configured never shows a tile. A service's package registers its tiles with
:func:`register_tile` (and adds its screens through ``screens(app)``); the app calls it (``kiosk.ui.app``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.i18n import N_


@dataclass
class Tile:
    key: str
    title: str  # English msgid, translated at display
    subtitle: str
    screen: str  # ScreenManager name opened by the tile
    order: int = 100
    available: Callable[[Any], bool] = lambda app: True
    screens: Callable[[Any], list] = field(default=lambda app: [])  # factories adding the tile's screens


_TILES: dict[str, Tile] = {}


def register_tile(tile: Tile) -> None:
    _TILES[tile.key] = tile


def tiles(app) -> list[Tile]:
    """The tiles to show, in order, for services available on this device now."""
    shown = (t for t in _TILES.values() if app.has_screen(t.screen) and t.available(app))
    return sorted(shown, key=lambda t: (t.order, t.key))


def all_tiles() -> list[Tile]:
    return sorted(_TILES.values(), key=lambda t: (t.order, t.key))


register_tile(Tile("visit", N_("Register a visit"), N_("Visit a family member today"), "visit_nik", order=10))
register_tile(Tile("booking", N_("I have a booking code"), N_("Registered online? Enter or scan your code"),
                   "booking", order=20))
register_tile(Tile("info", N_("Visiting hours and rules"), N_("Schedule, sessions and what to bring"), "info",
                   order=30))
