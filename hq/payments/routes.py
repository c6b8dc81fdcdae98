"""HQ payment routes (included by ``hq.app`` through ``ROUTER_MODULES``).

* ``POST /v1/payments/charges`` (device-signed): create the gateway charge for a deposit/order on behalf of a
  kiosk. Body ``{"type": "deposit.created"|"order.created", "event_id", "payload"}`` = the creating event. HQ
  checks the caps again, records the payment, then (outside any transaction) asks the gateway; answers
  ``{reference, order_id, qr_string, expires_at, amount}``. Idempotent: asking again returns the same charge.
* ``GET /v1/payments/{reference}`` (device-signed): the payment's status; a pending online charge is
  refreshed from the gateway first.
* ``POST /v1/payments/notify`` (the gateway's webhook): signature verified, then the status is confirmed with
  the gateway's status API before anything changes, so a replayed or stale notification can never move a
  payment; duplicates are answered ``duplicate`` with no effect.

The provider is ``app.state.payment_provider`` when set (tests, embedding), else a
:class:`~hq.payments.gateway.MidtransGateway` built from ``LAPAS_GATEWAY_URL`` and ``LAPAS_GATEWAY_SERVER_KEY``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field
from sqlalchemy import update
from starlette.concurrency import run_in_threadpool

from core import payment_states as states
from core.ids import iso
from hq import auth, reference
from hq.db import Database
from hq.deps import ERROR_SCHEMA, APIError, get_db, raw_request
from hq.payments import (
    report_page,
    sections,  # noqa: F401  (registers the payments reference sections)
    settlement,
)
from hq.payments.gateway import MidtransGateway
from hq.payments.provider import (
    Notification,
    NotificationError,
    PaymentProvider,
    ProviderError,
    ProviderUnavailable,
    SignatureError,
    UnknownOrder,
)
from hq.payments.schema import payments

log = logging.getLogger("lapas.hq.payments")
router = APIRouter(tags=["payments"])
router.include_router(report_page.router)  # the daily settlement report on the dashboard
REFERENCE = r"^[DM][0-9A-HJKMNP-TV-Z]{15}$"


class ChargeIn(BaseModel):
    type: Literal["deposit.created", "order.created"]
    event_id: str = Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9\-_.~]+$")
    payload: dict[str, Any]


class ChargeOut(BaseModel):
    reference: str
    order_id: str
    qr_string: str
    expires_at: str
    amount: int


class PaymentOut(BaseModel):
    reference: str
    kind: str
    status: str
    amount: int
    fee: int
    settled_at: str | None = None
    updated_at: str
    paid: bool


def provider_for(request: Request) -> PaymentProvider:
    p = getattr(request.app.state, "payment_provider", None)
    if p is None:
        url, key = os.environ.get("LAPAS_GATEWAY_URL"), os.environ.get("LAPAS_GATEWAY_SERVER_KEY")
        if not url or not key:  # a 4xx: retrying cannot help; the kiosk falls back to its offline QRIS
            raise APIError(409, "payments_unavailable", "no payment gateway is configured at HQ")
        p = request.app.state.payment_provider = MidtransGateway(url, key)
    return p


def _out(p: dict) -> PaymentOut:
    return PaymentOut(reference=p["reference"], kind=p["kind"], status=p["status"], amount=p["amount"],
                      fee=p["fee"], settled_at=p.get("settled_at"), updated_at=p["updated_at"],
                      paid=p["status"] in states.PAID[p["kind"]])


def _check_payload(kind: str, body: ChargeIn, facility_id: str) -> dict:
    p = body.payload
    need = ("deposit_id", "amount") if kind == "deposit" else ("order_id", "total", "items")
    for f in ("reference", "inmate_id", "fee", "mode", "facility_id", *need):
        if f not in p:
            raise APIError(422, "bad_payload", f"payload lacks {f}")
    if p["facility_id"] != facility_id:
        raise APIError(403, "wrong_facility", "payment for another facility")
    for f in ("amount" if kind == "deposit" else "total", "fee"):
        if type(p[f]) is not int or p[f] < 0:
            raise APIError(422, "bad_amount", f"{f} must be integer rupiah")
    if not isinstance(p["reference"], str) or not re.match(REFERENCE, p["reference"]):
        raise APIError(422, "bad_payload", "reference is not a payment reference")
    return p


@router.post("/v1/payments/charges", response_model=ChargeOut, responses={401: ERROR_SCHEMA, 409: ERROR_SCHEMA,
                                                                          422: ERROR_SCHEMA, 503: ERROR_SCHEMA})
def create_charge(body: ChargeIn, request: Request, raw: auth.RawRequest = Depends(raw_request),
                  db: Database = Depends(get_db)):
    """Create the QRIS charge for a kiosk's deposit/order (caps checked again at HQ)."""
    kind = "deposit" if body.type == "deposit.created" else "order"
    provider = provider_for(request)
    with db.write() as conn:
        device = auth.authenticate(conn, raw)
        p = _check_payload(kind, body, device.facility_id)
        existing = settlement.payment(conn, p["reference"])
        if existing and existing["charge_order_id"] and existing["qris"]:
            return ChargeOut(reference=existing["reference"], order_id=existing["charge_order_id"],
                             qr_string=existing["qris"], expires_at=existing["expires_at"],
                             amount=existing["amount"] + existing["fee"])
        if kind == "deposit":  # caps again, HQ-wide (this payment itself not counted twice)
            refusal = settlement.deposit_refusal(conn, device.facility_id, p["inmate_id"], p["amount"],
                                                 exclude=p["reference"])
        else:
            refusal = settlement.order_refusal(conn, device.facility_id, p["inmate_id"], p["items"], p["total"],
                                               exclude=p["reference"])
        if refusal:
            raise APIError(422, refusal[0], refusal[1])
        try:
            row, _ = settlement.record_payment(conn, kind=kind, facility_id=device.facility_id,
                                               device_id=device.device_id, event_id=body.event_id, payload=p)
        except settlement.PaymentConflict as exc:
            raise APIError(409, exc.code, str(exc)) from exc
        if row["status"] not in ("created", "awaiting_payment"):
            raise APIError(409, "bad_state", f"payment {row['reference']} is {row['status']}")
        rules = settlement.get_doc(conn, device.facility_id, "deposit_rules" if kind == "deposit" else "menu") or {}
    total = row["amount"] + row["fee"]
    try:  # the network call happens outside any database transaction
        charge = provider.create_charge(total, body.event_id, timedelta(seconds=rules.get("payment_ttl_s", 900)))
    except ProviderUnavailable as exc:
        raise APIError(503, exc.code, str(exc)) from exc
    except ProviderError as exc:
        raise APIError(502, exc.code, str(exc)) from exc
    with db.write() as conn:
        conn.execute(update(payments).where(payments.c.reference == row["reference"]).values(
            charge_order_id=charge.order_id, qris=charge.qr_string, expires_at=iso(charge.expires_at),
            mode="online", transaction_id=charge.transaction_id))
        p = settlement.payment(conn, row["reference"])
        settlement.move(conn, p, "awaiting_payment")
        reference.bump(conn, device.facility_id, *settlement.LIVE_SECTIONS)
    return ChargeOut(reference=row["reference"], order_id=charge.order_id, qr_string=charge.qr_string,
                     expires_at=iso(charge.expires_at), amount=total)


@router.get("/v1/payments/{reference}", response_model=PaymentOut, responses={401: ERROR_SCHEMA, 404: ERROR_SCHEMA})
def payment_status(reference: Annotated[str, Path(pattern=REFERENCE)], request: Request,
                   raw: auth.RawRequest = Depends(raw_request), db: Database = Depends(get_db)):
    """A payment's status for the kiosk's live screen (a pending online charge is refreshed first)."""
    with db.write() as conn:
        device = auth.authenticate(conn, raw)
        p = settlement.payment(conn, reference)
        if p is None or p["facility_id"] != device.facility_id:
            raise APIError(404, "not_found", f"no payment {reference}")
    if p["status"] == "awaiting_payment" and p["charge_order_id"]:
        provider = getattr(request.app.state, "payment_provider", None)
        if provider is not None or os.environ.get("LAPAS_GATEWAY_URL"):
            try:
                st = provider_for(request).status(p["charge_order_id"])
            except ProviderError as exc:
                log.warning("status refresh of %s failed: %s", reference, exc)
            else:
                if st.status != "pending":
                    note = Notification(order_id=st.order_id, status=st.status, status_code=st.status_code,
                                        amount=st.amount, transaction_id=st.transaction_id, settled_at=st.settled_at,
                                        raw={"source": "status_poll", "order_id": st.order_id, "status": st.status})
                    with db.write() as conn:
                        settlement.apply_gateway_status(conn, note)
                        p = settlement.payment(conn, reference)
    return _out(p)


@router.post("/v1/payments/notify", responses={400: ERROR_SCHEMA, 401: ERROR_SCHEMA, 503: ERROR_SCHEMA})
async def notify(request: Request, db: Database = Depends(get_db)):
    """The payment gateway's webhook: verify the signature, confirm with the gateway, apply idempotently."""
    try:
        body = json.loads(await request.body())
    except ValueError as exc:
        raise APIError(400, "bad_json", "notification body is not JSON") from exc
    provider = provider_for(request)
    try:
        note = provider.verify_notification(body)
    except SignatureError as exc:
        log.warning("refused a notification with a bad signature: %s", exc)
        raise APIError(401, exc.code, str(exc)) from exc
    except NotificationError as exc:
        raise APIError(400, exc.code, str(exc)) from exc

    return await run_in_threadpool(_confirm_and_apply, db, provider, note)


def _confirm_and_apply(db: Database, provider: PaymentProvider, note) -> dict:
    try:
        confirmed = provider.status(note.order_id)
    except UnknownOrder as exc:
        raise APIError(404, exc.code, f"the gateway does not know order {note.order_id}") from exc
    except ProviderError as exc:  # the gateway retries the notification later
        raise APIError(503, exc.code, f"could not confirm with the gateway: {exc}") from exc
    if confirmed.amount != note.amount:
        log.warning("notification for %s says %s but the gateway says %s", note.order_id, note.amount,
                    confirmed.amount)
        note = dataclasses.replace(note, amount=confirmed.amount)  # the gateway's own record wins
    with db.write() as conn:
        outcome, ref = settlement.apply_gateway_status(conn, note, confirmed.status)
    log.info("notification %s %s (gateway: %s) -> %s %s", note.order_id, note.status, confirmed.status,
             outcome, ref or "")
    return {"outcome": outcome, "reference": ref, "status": confirmed.status}
