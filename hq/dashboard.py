"""A small server-rendered dashboard for operators (no JavaScript): ``/dashboard`` lists facilities,
``/dashboard/{facility_id}`` shows today's visits, visitors inside now, devices (last seen, backlog, clock
skew) and dead-lettered events. Templates are ``hq/templates/*.html`` (``string.Template``); every value is
HTML-escaped here. The page refreshes itself every 30 s.
"""

from __future__ import annotations

import html
from pathlib import Path
from string import Template

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from core.ids import fmt_wib, now_iso, parse_iso, today_wib
from hq import operators, reference
from hq.db import Database
from hq.deps import get_db
from hq.schema import devices, events, facilities, visits

router = APIRouter(tags=["dashboard"])
_TEMPLATES = Path(__file__).with_name("templates")


def _tpl(name: str) -> Template:
    return Template((_TEMPLATES / name).read_text(encoding="utf-8"))


def _e(v) -> str:
    return "" if v is None else html.escape(str(v))


def _when(ts: str | None) -> str:
    return fmt_wib(parse_iso(ts), with_seconds=True) if ts else "-"


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(_tpl("base.html").substitute(title=_e(title), body=body, generated=_e(_when(now_iso()))))


def _row(cells: list[str], cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<tr{attr}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


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
    rows = "\n".join(_row([f'<a href="/dashboard/{_e(f.id)}">{_e(f.id)}</a>', _e(f.name), _e(f.city),
                           str(ndev.get(f.id, 0)), str(nvis.get(f.id, 0)), str(ndead.get(f.id, 0))]) for f in facs)
    return _page("Dasbor HQ lapas-kiosk", _tpl("index.html").substitute(rows=rows or _row(["Belum ada fasilitas"])))


@router.get("/dashboard/{facility_id}", response_class=HTMLResponse, responses={404: {"description": "no such facility"}})
def dashboard_facility(facility_id: str, db: Database = Depends(get_db)):
    """One facility: today's visits, visitors inside now, devices, dead-lettered events."""
    today = today_wib().isoformat()
    with db.read() as conn:
        fac = conn.execute(select(facilities).where(facilities.c.id == facility_id)).first()
        if fac is None:
            return HTMLResponse(_tpl("base.html").substitute(
                title="Tidak ditemukan", body=f"<h1>Fasilitas {_e(facility_id)} tidak ditemukan</h1>",
                generated=_e(_when(now_iso()))), status_code=404)
        vis = conn.execute(select(visits).where(visits.c.facility_id == facility_id, visits.c.visit_date == today)
                           .order_by(visits.c.session, visits.c.queue_no)).all()
        devs = operators.list_devices(conn, facility_id)
        dead = operators.dead_letters(conn, facility_id, limit=100)
        dead_total = conn.execute(select(func.count()).select_from(events).where(
            events.c.facility_id == facility_id, events.c.status == "rejected")).scalar_one()
        version = reference.current_version(conn, facility_id)
    active = [v for v in vis if v.status != "cancelled"]
    inside = sum(v.people_in or 0 for v in active if v.checked_in_at and not v.checked_out_at)
    visit_rows = "\n".join(_row(
        [_e(v.queue_no), _e(v.session), _e(v.visitor_name), _e(v.nik_masked), _e(v.inmate_id), str(v.people),
         "dibatalkan" if v.status == "cancelled" else ("sementara" if v.provisional else "terdaftar"),
         _e(_when(v.checked_in_at)), _e(_when(v.checked_out_at))],
        "bad" if v.status == "cancelled" else "") for v in vis)
    device_rows = "\n".join(_row(
        [_e(d["device_id"]), _e(d["role"]), _e(_when(d["last_seen_at"])), _e(d["backlog"] if d["backlog"] is not None
                                                                                else "-"),
         _e(d["last_skew_s"] if d["last_skew_s"] is not None else "-"), _e(d["high_water_seq"]),
         f'<span class="bad">dicabut {_e(_when(d["revoked_at"]))}</span>' if d["revoked_at"]
         else '<span class="ok">aktif</span>']) for d in devs)
    dead_rows = "\n".join(_row([_e(d["device_id"]), _e(d["seq"]), _e(d["type"]), _e(d["code"]), _e(d["message"]),
                                _e(_when(d["received_at"]))]) for d in dead)
    body = _tpl("facility.html").substitute(
        name=_e(fac.name), facility_id=_e(fac.id), today=_e(today), ref_version=version,
        visits_today=len(active), inside_now=inside, device_count=len(devs), dead_count=dead_total,
        dead_class="bad" if dead_total else "ok",
        visit_rows=visit_rows or _row(["Belum ada kunjungan"]),
        device_rows=device_rows or _row(["Belum ada perangkat terdaftar"]),
        dead_rows=dead_rows or _row(["Tidak ada"]))
    return _page(f"{fac.name} - Dasbor HQ", body)
