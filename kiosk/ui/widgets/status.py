"""The status strip at the bottom of every screen: HQ connection and the age of the reference data."""

from __future__ import annotations

from kivy.properties import OptionProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from core.i18n import _


class StatusStrip(BoxLayout):
    connection = OptionProperty("unknown", options=["online", "offline", "unknown"])
    data_as_of = StringProperty("")  # WIB time text, "" when no reference data is loaded
    stale = OptionProperty("no", options=["no", "yes"])
    connection_text = StringProperty("")
    data_text = StringProperty("")

    def refresh(self, *_args) -> None:
        self.connection_text = {
            "online": _("Connected to headquarters"),
            "offline": _("Offline: your data is kept safely on this kiosk"),
            "unknown": _("Not connected to headquarters yet"),
        }[self.connection]
        if self.data_as_of:
            self.data_text = _("Data as of {time}").format(time=self.data_as_of)
        else:
            self.data_text = _("No reference data yet")

    def on_connection(self, *_a) -> None:
        self.refresh()

    def on_data_as_of(self, *_a) -> None:
        self.refresh()
