"""Request plumbing shared by HQ's routers: the database, the signed raw request, JSON error answers."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from core.errors import ServerError
from core.ids import now_iso
from hq.auth import RawRequest
from hq.db import Database


class APIError(ServerError):
    """An error answered as ``{"code", "message", ...extra}`` with an HTTP status."""

    def __init__(self, status: int, code: str, message: str, **extra: Any):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def error_response(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"code": code, "message": message, "server_time": now_iso(), **extra}, status_code=status)


def get_db(request: Request) -> Database:
    return request.app.state.db


async def raw_request(request: Request) -> RawRequest:
    """The exact bytes a device signed (the body is read once and cached by Starlette)."""
    body = await request.body()
    path_qs = request.url.path + ("?" + request.url.query if request.url.query else "")
    return RawRequest(request.method, path_qs, request.headers, body)


ERROR_SCHEMA = {
    "description": "error",
    "content": {"application/json": {"schema": {
        "type": "object", "required": ["code", "message"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                       "server_time": {"type": "string"}},
    }}},
}
