"""A small server-rendered dashboard for operators (no JavaScript): ``/dashboard`` lists facilities,
``/dashboard/{facility_id}`` shows today's visits, visitors inside now, devices (last seen, backlog, clock
skew) and dead-lettered events. Templates are ``hq/templates/*.html``, rendered by Jinja2 with autoescaping
(``hq.pages``). The page refreshes itself every 30 s.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from core.ids import today_wib
from hq import operators, reference
from hq.db import Database
from hq.deps import get_db
from hq.pages import render
from hq.schema import devices, events, facilities, visits

router = APIRouter(tags=["dashboard"])


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_index(db: Database = Depends(get_db)):
    """All facilities with their device count, today's visits and dead letters."""
    today = today_wib().isoformat()
    with db.read() as conn:
        facs = conn.execute(select(facilities).order_by(facilities.c.id)).all()
        ndev = dict(conn.execute(select(devices.c.facility_id, func.count()).group_by(devices.c.facility_id)).all())
        nvis = dict(conn.execute(select(visits.c.facility_id, func.count()).where(
            visits.c.visit_date == today, visits.c.status != "cancelled").group_by(visits.c.facility_id)).all())
        ndead = dict(conn.execute(select(events.c.facility_id, func.count()).where(events.c.status == "rejected")
                                  .group_by(events.c.facility_id)).all())
    rows = [{"id": f.id, "name": f.name, "city": f.city, "devices": ndev.get(f.id, 0), "visits": nvis.get(f.id, 0),
             "dead": ndead.get(f.id, 0)} for f in facs]
    return render("index.html", title="Dasbor HQ lapas-kiosk", facilities=rows)


@router.get("/dashboard/{facility_id}", response_class=HTMLResponse, responses={404: {"description": "no such facility"}})
def dashboard_facility(facility_id: str, db: Database = Depends(get_db)):
    """One facility: today's visits, visitors inside now, devices, dead-lettered events."""
    today = today_wib().isoformat()
    with db.read() as conn:
        fac = conn.execute(select(facilities).where(facilities.c.id == facility_id)).first()
        if fac is None:
            return render("message.html", status_code=404, title="Tidak ditemukan",
                          message=f"Fasilitas {facility_id} tidak ditemukan")
        vis = conn.execute(select(visits).where(visits.c.facility_id == facility_id, visits.c.visit_date == today)
                           .order_by(visits.c.session, visits.c.queue_no)).all()
        devs = operators.list_devices(conn, facility_id)
        dead = operators.dead_letters(conn, facility_id, limit=100)
        dead_total = conn.execute(select(func.count()).select_from(events).where(
            events.c.facility_id == facility_id, events.c.status == "rejected")).scalar_one()
        version = reference.current_version(conn, facility_id)
    active = [v for v in vis if v.status != "cancelled"]
    inside = sum(v.people_in or 0 for v in active if v.checked_in_at and not v.checked_out_at)
    return render("facility.html", title=f"{fac.name} - Dasbor HQ", fac=fac, today=today, ref_version=version,
                  visits_today=len(active), inside_now=inside, dead_count=dead_total, visits=vis, devices=devs,
                  dead=dead)
