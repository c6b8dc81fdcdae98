"""The queue caller at the gate: the next number of today's running session, recorded as an event.

Numbers issued on this device come from ``queue_counters``; numbers issued by other kiosks reach a guard
station through HQ's ``visits_today``. ``called`` is kept per device.
"""

from __future__ import annotations

from datetime import datetime

from core.events import QueueCalled
from core.ids import iso, today_wib, utcnow
from kiosk.domain.reference import read_reference
from kiosk.domain.visits import session_window


def call_next(store, cfg, now: datetime | None = None) -> str | None:
    """Advance today's queue: the first session not yet over that has registered numbers not yet called.

    Returns the number called (``P-018``) or None when nobody is waiting. A business write (QueueCalled).
    """
    now = now or utcnow()
    day = today_wib(now)
    with store.transaction() as tx:
        ref = read_reference(tx.conn)
        for slot in ref.slots_for(day):
            code = slot["session"]
            _, end = session_window(ref, day, code)
            if now >= end:
                continue
            row = tx.one("SELECT last, called FROM queue_counters WHERE visit_date = ? AND session = ?",
                         (day.isoformat(), code))
            last, called = (row[0], row[1]) if row else (0, 0)
            # numbers issued by other kiosks reach a guard station through HQ's visits_today
            remote = tx.one("SELECT max(CAST(substr(queue_no, 3) AS INTEGER)) FROM ref_visits_today "
                            "WHERE visit_date = ? AND queue_no LIKE ?", (day.isoformat(), f"{code}-%"))[0] or 0
            if called < max(last, remote):
                number = called + 1
                tx.execute("INSERT INTO queue_counters(visit_date, session, last, called) VALUES (?, ?, 0, ?) "
                           "ON CONFLICT(visit_date, session) DO UPDATE SET called = excluded.called",
                           (day.isoformat(), code, number))
                queue_no = f"{code}-{number:03d}"
                tx.emit(QueueCalled(day.isoformat(), code, queue_no, iso(now)))
                return queue_no
    return None
