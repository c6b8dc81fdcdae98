"""The daily settlement report on HQ's dashboard (server-rendered HTML, no JavaScript) and as CSV.

* ``GET /reports/{facility_id}/payments?date=YYYY-MM-DD`` -- totals (paid, fees, credited, refunds, waiting,
  amount mismatches), every payment of that WIB day, open refund requests, and gateway settlements HQ could not
  match to a payment yet. Default date: today (WIB). Links to the previous / next day and to the CSV.
* ``GET /reports/{facility_id}/payments.csv?date=YYYY-MM-DD`` -- the same report as
  ``lapas hq payments report`` writes (one row per payment, then a TOTAL row).

Included through ``hq.payments.routes`` (in ``hq.app.ROUTERS``), rendered by Jinja2 in the dashboard's base
template (``hq.pages``, autoescaped).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from core.ids import today_wib
from core.money import format_rupiah
from hq.db import Database
from hq.deps import get_db
from hq.pages import ENV, render
from hq.payments.operations import report_csv, report_rows, report_summary, unmatched_settlements
from hq.payments.schema import refunds
from hq.schema import facilities

router = APIRouter(tags=["dashboard"])
DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
STATUS_ID = {  # what an operator reads for each payment status
    "created": "dibuat", "awaiting_payment": "menunggu pembayaran", "settled": "lunas", "credited": "lunas, dikredit",
    "expired": "kedaluwarsa", "failed": "gagal", "refund_requested": "perlu refund", "refunded": "sudah direfund",
    "paid": "lunas", "prepared": "disiapkan", "delivered": "diantar", "cancelled": "dibatalkan",
}
BAD = {"refund_requested", "failed"}


def _day(text: str | None) -> date | None:
    """The report day: ``text`` when it is a real calendar date, today (WIB) when absent, None when invalid."""
    if not text:
        return today_wib()
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _not_found(message: str, status: int = 404) -> HTMLResponse:
    return render("message.html", status_code=status, title="Tidak ditemukan", message=message)


def _rp(amount) -> str:
    return format_rupiah(int(amount)) if amount is not None else "-"


ENV.filters["rp"] = _rp


@router.get("/reports/{facility_id}/payments", response_class=HTMLResponse,
            responses={404: {"description": "no such facility"}, 400: {"description": "not a calendar date"}})
def payments_report(facility_id: str, date_: str | None = Query(None, alias="date", pattern=DATE),
                    db: Database = Depends(get_db)):
    """The daily settlement report of one facility."""
    day = _day(date_)
    if day is None:
        return _not_found(f"Tanggal {date_} tidak ada", 400)
    with db.read() as conn:
        fac = conn.execute(select(facilities).where(facilities.c.id == facility_id)).first()
        if fac is None:
            return _not_found(f"Fasilitas {facility_id} tidak ditemukan")
        rows = report_rows(conn, facility_id, day.isoformat())
        open_refunds = conn.execute(select(refunds).where(refunds.c.facility_id == facility_id,
                                                          refunds.c.status == "requested")
                                    .order_by(refunds.c.requested_at)).all()
        unmatched = unmatched_settlements(conn)
    return render("report.html", title=f"Laporan pembayaran {fac.name} {day.isoformat()}", fac=fac,
                  day=day.isoformat(), prev_day=(day - timedelta(days=1)).isoformat(),
                  next_day=(day + timedelta(days=1)).isoformat(), s=report_summary(rows), rows=rows,
                  open_refunds=open_refunds, unmatched=unmatched, status_id=STATUS_ID, bad=BAD)


@router.get("/reports/{facility_id}/payments.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}, 404: {"description": "no such facility"},
                       400: {"description": "not a calendar date"}})
def payments_report_csv(facility_id: str, date_: str | None = Query(None, alias="date", pattern=DATE),
                        db: Database = Depends(get_db)):
    """The daily settlement report as CSV (one row per payment, then a TOTAL row)."""
    day = _day(date_)
    if day is None:
        return Response(f"not a calendar date: {date_}\n", status_code=400, media_type="text/plain")
    with db.read() as conn:
        if conn.execute(select(facilities.c.id).where(facilities.c.id == facility_id)).first() is None:
            return Response(f"no facility {facility_id}\n", status_code=404, media_type="text/plain")
        text = report_csv(conn, facility_id, day.isoformat())
    name = re.sub(r"[^A-Za-z0-9._-]", "_", f"settlement-{facility_id}-{day.isoformat()}.csv")
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
