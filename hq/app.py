"""The HQ web application: device API (enrol, events, reference), health, and extra routers.

``create_app(db)`` builds the FastAPI app: the device API here, and the routers in :data:`ROUTERS` (each a
FastAPI ``APIRouter`` of its own module: the dashboard, the payments API and pages).
Handlers are plain ``def`` (FastAPI runs them in its thread pool) because SQLAlchemy Core is synchronous.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import time
from typing import Annotated, Any, Literal, NotRequired

import pydantic_core
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import Depends, FastAPI, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError, OperationalError
from typing_extensions import TypedDict

from core import protocol
from core.ids import now_iso, today_wib
from core.protocol import AuthError
from hq import auth, dashboard, enrolment, ingest, ordering, reference
from hq.db import Database, open_db
from hq.deps import ERROR_SCHEMA, APIError, error_response, get_db, raw_request
from hq.payments import routes as payment_routes
from hq.schema import devices

log = logging.getLogger("lapas.hq")

ROUTERS = (dashboard.router, payment_routes.router)  # more HTML pages and APIs: add their router here
DEVICE_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class EventIn(BaseModel):
    seq: int = Field(ge=1, le=2**62)
    event_id: str = Field(min_length=1, max_length=64)
    type: str = Field(min_length=1, max_length=100)
    payload: dict[str, Any]
    created_at: str = Field(min_length=1, max_length=40)


class EventBatch(BaseModel):
    device_id: str = Field(pattern=DEVICE_ID)
    device_time: str | None = Field(default=None, max_length=40, description="the device's own clock (UTC ISO)")
    pending: int | None = Field(default=None, ge=0, description="events still queued on the device")
    after_seq: int | None = Field(default=None, ge=0, le=2**62, description=(
        "store this batch only once HQ holds the device's events up to this seq (the batch sent just before, "
        "still in flight); otherwise 409 out_of_order and nothing is stored"))
    events: list[EventIn] = Field(max_length=protocol.MAX_EVENTS)


class _EventTD(TypedDict):
    seq: Annotated[int, Field(ge=1, le=2**62)]
    event_id: Annotated[str, Field(min_length=1, max_length=64)]
    type: Annotated[str, Field(min_length=1, max_length=100)]
    payload: dict[str, Any]
    created_at: Annotated[str, Field(min_length=1, max_length=40)]


class _BatchTD(TypedDict):
    device_id: Annotated[str, Field(pattern=DEVICE_ID)]
    device_time: NotRequired[Annotated[str, Field(max_length=40)] | None]
    pending: NotRequired[Annotated[int, Field(ge=0)] | None]
    after_seq: NotRequired[Annotated[int, Field(ge=0, le=2**62)] | None]
    events: Annotated[list[_EventTD], Field(max_length=protocol.MAX_EVENTS)]


# The events body is validated straight from bytes into plain dicts (pydantic-core's JSON parser): the hot path
# skips FastAPI's json.loads + model objects + model_dump. EventBatch above documents the same shape.
BATCH_ADAPTER = TypeAdapter(_BatchTD)


def _inline_schema(model: type[BaseModel]) -> dict:
    """The model's JSON schema with its ``$defs`` inlined (for ``openapi_extra``)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def walk(node):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return walk(defs[ref.split("/")[-1]])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


class EventResult(BaseModel):
    event_id: str
    seq: int
    status: Literal["accepted", "duplicate", "rejected"]
    code: str | None = None
    message: str | None = None


class EventsAnswer(BaseModel):
    results: list[EventResult]
    high_water_seq: int
    server_time: str


class EnrollIn(BaseModel):
    code: str = Field(min_length=4, max_length=40)
    device_id: str = Field(pattern=DEVICE_ID)
    role: Literal["kiosk", "guard"]
    public_key: str = Field(min_length=40, max_length=64)


class EnrollAnswer(BaseModel):
    facility_id: str
    device_id: str
    key_id: str
    reference_version: int
    server_time: str


class Health(BaseModel):
    ok: bool
    time: str
    schema_version: int


class ReferenceDoc(BaseModel):
    model_config = ConfigDict(extra="allow")
    format: str
    facility_id: str
    version: int
    as_of: str
    kind: Literal["full", "delta"]
    since: int | None = None


ERRORS = {401: ERROR_SCHEMA, 403: ERROR_SCHEMA, 413: ERROR_SCHEMA}


class BodyLimit:
    """ASGI middleware: refuse request bodies over ``limit`` bytes with 413 before they fill memory."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                return await error_response(413, protocol.E_BATCH_TOO_LARGE,
                                            f"request body over {self.limit} bytes")(scope, receive, send)
        seen = 0

        async def limited():
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.limit:
                    raise APIError(413, protocol.E_BATCH_TOO_LARGE, f"request body over {self.limit} bytes")
            return msg

        return await self.app(scope, limited, send)


def create_app(db: Database) -> FastAPI:
    app = FastAPI(title="lapas-kiosk HQ", version="1",
                  description="Headquarters of lapas-kiosk: device enrolment, event ingest, reference data.")
    app.state.db = db
    ingested = ordering.CommitSignal()

    @app.exception_handler(AuthError)
    async def _auth_error(request: Request, exc: AuthError):
        return error_response(exc.status, exc.code, exc.message)

    @app.exception_handler(APIError)
    async def _api_error(request: Request, exc: APIError):
        return error_response(exc.status, exc.code, exc.message, **exc.extra)

    @app.exception_handler(enrolment.EnrolmentError)
    async def _enrol_error(request: Request, exc: enrolment.EnrolmentError):
        return error_response(exc.status, exc.code, exc.message)

    @app.exception_handler(OperationalError)
    async def _db_busy(request: Request, exc: OperationalError):
        log.warning("database error: %s", exc)
        return error_response(503, "db_unavailable", "database busy or unavailable; retry later")

    @app.get("/v1/health", response_model=Health, tags=["device"])
    def health(db: Database = Depends(get_db)):
        """Unsigned liveness probe."""
        return {"ok": True, "time": now_iso(), "schema_version": db.schema_version()}

    @app.post("/v1/enroll", response_model=EnrollAnswer, responses=ERRORS, tags=["device"])
    def enroll(body: EnrollIn, raw: auth.RawRequest = Depends(raw_request), db: Database = Depends(get_db)):
        """Register a device key with a one-time code. Signed by the key being registered (proof of
        possession)."""
        req = protocol.parse_headers(raw.headers)
        if req.device_id != body.device_id:
            raise APIError(403, protocol.E_DEVICE_MISMATCH, "header and body name different devices")
        try:
            public = protocol_public(body.public_key)
        except ValueError as exc:
            raise APIError(400, "bad_key", "public_key must be a raw 32-byte Ed25519 key (base64url)") from exc
        protocol.verify_signature(public, req, raw.method, raw.path_qs, raw.body)
        protocol.check_timestamp(req.ts, time.time())
        with db.write() as conn:
            auth.claim_nonce(conn, req.device_id, req.nonce, int(time.time()))
            out = enrolment.redeem(conn, body.code, body.device_id, body.role, body.public_key)
        return {**out, "server_time": now_iso()}

    @app.post("/v1/events", response_model=EventsAnswer, responses={**ERRORS, 422: ERROR_SCHEMA},
              tags=["device"], openapi_extra={"requestBody": {
                  "required": True, "content": {"application/json": {"schema": _inline_schema(EventBatch)}}}})
    async def post_events(raw: auth.RawRequest = Depends(raw_request), db: Database = Depends(get_db)):
        """Store a batch of the signing device's events exactly once; answer per event after the commit."""
        try:
            body = BATCH_ADAPTER.validate_json(raw.body)
        except ValidationError as exc:
            errs = exc.errors(include_url=False, include_context=False, include_input=False)
            raise APIError(422, protocol.E_BAD_REQUEST, "invalid batch: " + "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errs[:5])) from None
        body.setdefault("device_time", None)
        body.setdefault("pending", None)
        careful = thorough = False

        def job(conn):
            device = auth.authenticate(conn, raw)
            if body["device_id"] != device.device_id:
                raise APIError(403, protocol.E_DEVICE_MISMATCH,
                               f"device {device.device_id} may push only its own events")
            ordering.check_order(device, body)
            return ingest.ingest(conn, device, body, careful=careful, thorough=thorough)

        claimed = body["device_id"]  # authenticated inside the job; here only to order its batches
        order_deadline = time.monotonic() + ordering.ORDER_WAIT_S
        if body.get("after_seq") is not None:
            await ingested.idle(claimed, order_deadline)
        attempt, waited = 0, False
        while attempt < 5:
            behind = None
            ingested.begin(claimed)
            try:
                answer = await db.run_write_async(job)  # resolved only after the commit
            except ordering.PreviousBatchMissing as exc:  # the batch it follows is still on its way
                behind = exc
            except IntegrityError:  # a concurrent copy committed first, or an event id held by another device
                log.info("ingest conflict for %s (attempt %d); retrying", claimed, attempt + 1)
                thorough = True
            except ingest.ProjectionCrashed as exc:
                log.error("%s; retrying the batch with per-event savepoints", exc)
                careful = True
            else:
                return Response(pydantic_core.to_json(answer), media_type="application/json")
            finally:
                ingested.end(claimed)  # wakes a batch of this device waiting for it
            if behind is None:
                attempt += 1
                continue
            if not waited:
                log.info("batch of %s waits for the batch it follows: %s", claimed, behind)
                waited = True
            if not await ingested.wait(claimed, order_deadline):  # woken by the device's next job, or polls
                raise APIError(409, protocol.E_OUT_OF_ORDER, str(behind))
        raise APIError(503, "conflict", "the batch kept conflicting with concurrent writes; retry later")

    @app.get("/v1/reference", response_model=ReferenceDoc, responses={**ERRORS, 304: {"description": "unchanged"}},
             tags=["device"])
    def get_reference(request: Request, since: Annotated[int | None, Query(ge=0, le=2**62)] = None,
                      raw: auth.RawRequest = Depends(raw_request), db: Database = Depends(get_db)):
        """The facility's reference data: a delta after ``since`` when possible, else a full snapshot."""
        with db.write() as conn:
            device = auth.authenticate(conn, raw)
            reference.roll_day(conn, device.facility_id, _today())
            version = reference.current_version(conn, device.facility_id)
            # the version served (a 304 or a delta both leave the device at ``version``), not the ``since`` asked
            conn.execute(update(devices).where(devices.c.device_id == device.device_id)
                         .values(last_seen_at=now_iso(), reference_version=version))
            etag = f'"{device.facility_id}:{version}"'
            if request.headers.get("if-none-match") == etag and since == version:
                return Response(status_code=304, headers={"ETag": etag})
            doc = reference.build(conn, device.facility_id, since)
        return _json(doc, etag)

    for router in ROUTERS:
        app.include_router(router)

    app.add_middleware(BodyLimit, limit=protocol.MAX_BODY_BYTES + 64 * 1024)
    return app


def app_from_env() -> FastAPI:
    """The app for ``uvicorn --factory`` worker processes: the database URL comes from ``LAPAS_HQ_DB``."""


    app = create_app(open_db(os.environ["LAPAS_HQ_DB"], migrate=False))
    tune_gc()
    return app


def tune_gc() -> None:
    """For the server process, once it has imported and built everything (not for an app embedded elsewhere:
    this is process-wide). Moves that long-lived heap out of the cyclic garbage collector's view
    (``gc.freeze``) and collects the young generation every 100,000 net allocations instead of 700. A parsed
    batch is thousands of objects freed by reference counting anyway; each young collection traverses the ones
    still alive (1-2 ms during a 500-event batch), so fewer collections cost less. Measured over a
    50,000-event drain: about 45 ms of collections instead of 110-180 ms."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 10, 10)


def protocol_public(b64: str) -> Ed25519PublicKey:
    raw = protocol.unb64u(b64)
    if len(raw) != 32:
        raise ValueError("bad key length")
    return Ed25519PublicKey.from_public_bytes(raw)


def _today() -> str:
    return today_wib().isoformat()


def _json(doc: dict, etag: str) -> Response:
    return Response(json.dumps(doc, ensure_ascii=False, separators=(",", ":")), media_type="application/json",
                    headers={"ETag": etag})
