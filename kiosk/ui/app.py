"""The visitor kiosk (``lapas run``): home tiles, visit registration, booking redemption, info, maintenance."""

from __future__ import annotations

import importlib
import logging

from kiosk.ui.base_app import BaseApp

log = logging.getLogger(__name__)

# (module, class, screen name): screens of the visitor kiosk; a module that cannot load (its domain part is not
# built yet) is skipped, and tiles only show for screens that exist.
SCREENS = [
    ("kiosk.ui.screens.home", "HomeScreen", "home"),
]


class KioskApp(BaseApp):
    home = "home"

    def add_screens(self, sm) -> None:
        from kiosk.ui import tiles

        tiles.load_extensions()
        for module, cls, name in SCREENS:
            screen_cls = getattr(importlib.import_module(module), cls)
            sm.add_widget(screen_cls(name=name))
        for tile in tiles.all_tiles():
            for screen in tile.screens(self):
                sm.add_widget(screen)

    def has_screen(self, name: str) -> bool:
        return self.sm is not None and self.sm.has_screen(name)

    def open_service(self, screen: str) -> None:
        self.go(screen)
