"""Counts for the daily Z report and the maintenance screen."""

from __future__ import annotations

from datetime import date


def visit_counts(store, day: date) -> tuple[dict[str, int], int]:
    """Visits registered on this device for ``day``: per session code, and the total."""
    rows = store.query("SELECT session, count(*) FROM visits WHERE visit_date = ? GROUP BY session ORDER BY session",
                       (day.isoformat(),))
    per = {r[0]: r[1] for r in rows}
    return per, sum(per.values())
