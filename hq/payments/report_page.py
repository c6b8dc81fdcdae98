"""The daily settlement report on HQ's dashboard (server-rendered HTML, no JavaScript) and as CSV.

* ``GET /reports/{facility_id}/payments?date=YYYY-MM-DD`` -- totals (paid, fees, credited, refunds, waiting,
  amount mismatches), every payment of that WIB day, open refund requests, and gateway settlements HQ could not
  match to a payment yet. Default date: today (WIB). Links to the previous / next day and to the CSV.
* ``GET /reports/{facility_id}/payments.csv?date=YYYY-MM-DD`` -- the same report as
  ``lapas hq payments report`` writes (one row per payment, then a TOTAL row).

Included through ``hq.payments.routes`` (already in ``hq.app.ROUTER_MODULES``), in the dashboard's style
(``hq.dashboard`` helpers and its base template); every value is HTML-escaped.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from string import Template

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from core.ids import today_wib
from core.money import format_rupiah
from hq.dashboard import _e, _page, _row, _when
from hq.db import Database
from hq.deps import get_db
from hq.payments.operations import report_csv, report_rows, report_summary, unmatched_settlements
from hq.payments.schema import refunds
from hq.schema import facilities

router = APIRouter(tags=["dashboard"])
_TEMPLATE = Path(__file__).with_name("templates").joinpath("report.html")
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
    page = _page("Tidak ditemukan", f"<h1>{_e(message)}</h1>")
    page.status_code = status
    return page


def _rp(amount) -> str:
    return format_rupiah(int(amount)) if amount is not None else "-"


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
    s = report_summary(rows)
    payment_rows = "\n".join(_row(
        [_e(r["reference"]), "uang" if r["kind"] == "deposit" else "makanan", _e(r["inmate_id"]), _e(r["payer"]),
         _e(r["mode"]), _e(STATUS_ID.get(r["status"], r["status"])), _e(_rp(r["amount"])), _e(_rp(r["fee"])),
         _e(_rp(r["paid_amount"])), _e(_when(r["settled_at"])), _e(r["device_id"]), _e(r["note"])],
        "bad" if r["status"] in BAD or r["note"].startswith("amount mismatch") else "") for r in rows)
    refund_rows = "\n".join(_row([_e(r.reference), _e(r.inmate_id), _e(_rp(r.amount)), _e(r.reason),
                                  _e(_when(r.requested_at))]) for r in open_refunds)
    unmatched_rows = "\n".join(_row([_e(u["order_id"]), _e(u["qris_reference"]), _e(_rp(u["gross_amount"])),
                                     _e(u["outcome"]), _e(_when(u["received_at"]))]) for u in unmatched)
    body = Template(_TEMPLATE.read_text(encoding="utf-8")).substitute(
        name=_e(fac.name), facility_id=_e(fac.id), day=_e(day.isoformat()),
        prev_day=_e((day - timedelta(days=1)).isoformat()), next_day=_e((day + timedelta(days=1)).isoformat()),
        payments=s["payments"], paid_count=s["paid_count"], paid_total=_e(_rp(s["paid_total"])),
        fees_total=_e(_rp(s["fees_total"])), credited_total=_e(_rp(s["credited_total"])),
        refund_total=_e(_rp(s["refund_total"])), waiting_count=s["waiting_count"],
        mismatch_count=s["mismatch_count"], mismatch_class="bad" if s["mismatch_count"] else "ok",
        refund_class="bad" if open_refunds else "ok", open_refunds=len(open_refunds),
        payment_rows=payment_rows or _row(["Belum ada pembayaran pada tanggal ini"]),
        refund_rows=refund_rows or _row(["Tidak ada"]), unmatched_rows=unmatched_rows or _row(["Tidak ada"]))
    return _page(f"Laporan pembayaran {fac.name} {day.isoformat()}", body)


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
