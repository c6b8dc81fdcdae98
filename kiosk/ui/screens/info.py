"""Visiting hours and rules: the coming week's sessions (from the reference data) and the main rules."""

from __future__ import annotations

from core.i18n import N_, _, translate
from core.ids import today_wib
from kiosk.ui import visit_api
from kiosk.ui.dates import long_date
from kiosk.ui.screens.base import KioskScreen, load_kv
from kiosk.ui.widgets.base import DataText, Text

RULES = [
    N_("Bring your original KTP (identity card). Children bring their family card (KK)."),
    N_("At most {max_followers} people may come with you."),
    N_("Phones, weapons, drugs and sharp objects are not allowed."),
    N_("Arrive 15 minutes before your session starts."),
]


class InfoScreen(KioskScreen):
    instruction = N_("Visiting hours and rules.")

    def on_pre_enter(self, *a) -> None:
        super().on_pre_enter(*a)
        store = self.app.services.store
        self.app.run_job(lambda: (visit_api.week_schedule(store, today_wib()), visit_api.limits(store)),
                         self._show, lambda exc: self._show(([], {})))

    def _show(self, result) -> None:
        schedule, limits = result
        box = self.ids.schedule
        box.clear_widgets()
        for day, sessions in schedule:
            box.add_widget(DataText(text=long_date(day), bold=True, font_size=self.ids.rules_title.font_size * 0.7))
            open_sessions = [s for s in sessions if s.open]
            if not open_sessions:
                box.add_widget(Text(text=_("No visits"), color=self.ids.rules_title.color[:3] + [0.6]))
                continue
            box.add_widget(DataText(text="   ".join(f"{s.label} {s.start}-{s.end}" for s in open_sessions)))
        rules = self.ids.rules
        rules.clear_widgets()
        params = {"max_followers": limits.get("max_followers", 3)}
        for msgid in RULES:
            rules.add_widget(Text(text="- " + translate(msgid, **params)))


load_kv(__file__)
