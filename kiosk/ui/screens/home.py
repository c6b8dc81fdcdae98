"""Home: a big tile for each service that works on this device, greeting in the chosen language."""

from __future__ import annotations

from kivy.properties import StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout

from core.i18n import N_, _
from kiosk.ui import tiles
from kiosk.ui.screens.base import KioskScreen, load_kv


class Tile(ButtonBehavior, BoxLayout):
    """A big home-screen tile: the service's name and one line saying what it is for."""

    title = StringProperty("")
    subtitle = StringProperty("")
    tile_key = StringProperty("")


class HomeScreen(KioskScreen):
    instruction = N_("Welcome. Touch the service you need.")

    def refresh(self) -> None:
        grid = self.ids.tiles
        shown = tiles.tiles(self.app)
        current = list(reversed(grid.children))
        if [w.tile_key for w in current] == [t.key for t in shown]:
            # the same services as last time (home shows after every visitor): new texts only, no new tiles
            for w, t in zip(current, shown, strict=True):
                w.title, w.subtitle = _(t.title), _(t.subtitle)
            return
        grid.clear_widgets()
        grid.cols = 2 if len(shown) <= 4 else 3  # two rows of tiles keep room for each subtitle
        for t in shown:
            w = Tile(title=_(t.title), subtitle=_(t.subtitle), tile_key=t.key)
            w.bind(on_release=lambda _w, screen=t.screen: self.app.open_service(screen))
            grid.add_widget(w)


load_kv(__file__)
