"""Dates as people read them on screen, in the current language (Indonesian month and day names)."""

from __future__ import annotations

from datetime import date

from core.i18n import N_, _
from core.ids import today_wib

DAYS = [N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"), N_("Sunday")]
MONTHS = [N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"), N_("July"),
          N_("August"), N_("September"), N_("October"), N_("November"), N_("December")]


def long_date(d: date) -> str:
    """``Senin, 30 November 2026``."""
    return f"{_(DAYS[d.weekday()])}, {d.day} {_(MONTHS[d.month - 1])} {d.year}"


def day_label(d: date) -> str:
    """``Hari ini`` / ``Besok`` / ``Rabu 2 Des``-style labels for the day choice."""
    delta = (d - today_wib()).days
    if delta == 0:
        return _("Today") + f"\n{d.day} {_(MONTHS[d.month - 1])}"
    if delta == 1:
        return _("Tomorrow") + f"\n{d.day} {_(MONTHS[d.month - 1])}"
    return f"{_(DAYS[d.weekday()])}\n{d.day} {_(MONTHS[d.month - 1])}"
