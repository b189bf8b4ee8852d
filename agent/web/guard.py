"""Protections of the web API: request ids, body size, concurrency and error bodies.

`Guard` is a plain ASGI layer around the app: it tags each request with an id
(echoed as `X-Request-ID`), refuses bodies over the limit with a 413 before any
parsing, and turns an unexpected exception into a JSON 500 that quotes the id.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agent.web.bodies import ErrorBody, FieldError

logger = logging.getLogger("tessera.web")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class ApiError(Exception):
    """An error answered as JSON with this status; `field` names the bad input, if any."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.field = field
        self.headers = headers or {}


class Limiter:
    """At most `slots` requests at once; a request waits `wait_s` for a slot, then a 503."""

    def __init__(self, slots: int, wait_s: float) -> None:
        self.slots = slots
        self.wait_s = wait_s
        self._sem = asyncio.Semaphore(slots)

    async def acquire(self) -> Callable[[], None]:
        """Take a slot; the returned function gives it back (calling it twice is harmless)."""
        try:
            async with asyncio.timeout(self.wait_s):
                await self._sem.acquire()
        except TimeoutError:
            raise ApiError(
                503,
                f"the server is busy ({self.slots} requests running): retry in a second",
                headers={"Retry-After": "1"},
            ) from None
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self._sem.release()

        return release

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        release = await self.acquire()
        try:
            yield
        finally:
            release()


class _TooLarge(Exception):
    pass


class _Gone(Exception):
    pass


class Guard:
    """Outermost layer of the app: request ids, the body-size limit, no tracebacks."""

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        rid = given if _REQUEST_ID.match(given) else uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = rid
        started = False

        async def send_tagged(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                MutableHeaders(scope=message)["X-Request-ID"] = rid
            await send(message)

        try:
            replay = await self._buffer(scope, receive)
        except _TooLarge:
            detail = f"the request body is larger than {self.max_body // 1024} KiB"
            await self._reply(send_tagged, 413, ErrorBody(detail=detail, request_id=rid))
            return
        except _Gone:
            return
        try:
            await self.app(scope, replay, send_tagged)
        except Exception:
            logger.exception("request %s failed", rid)
            if not started:
                detail = "internal error: the request failed; quote the request id if you report it"
                await self._reply(send_tagged, 500, ErrorBody(detail=detail, request_id=rid))

    async def _buffer(self, scope: Scope, receive: Receive) -> Receive:
        """Read the whole body (at most `max_body` bytes) and replay it to the app."""
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"").decode("latin-1")
        if declared.isdigit() and int(declared) > self.max_body:
            raise _TooLarge
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                raise _Gone
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_body:
                raise _TooLarge
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        return replay

    @staticmethod
    async def _reply(send: Send, status: int, body: ErrorBody) -> None:
        payload = body.model_dump_json().encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(payload)),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload, "more_body": False})


def _rid(request: Request) -> str:
    return str(getattr(request.state, "request_id", ""))


async def error_response(request: Request, exc: Exception) -> JSONResponse:
    """`ApiError` and Starlette's HTTP errors (404 route, 405 method) as an `ErrorBody`."""
    if isinstance(exc, ApiError):
        status, detail, headers = exc.status, exc.detail, exc.headers
        errors = [FieldError(field=exc.field, message=detail)] if exc.field else []
    elif isinstance(exc, StarletteHTTPException):
        status, detail, errors = exc.status_code, str(exc.detail), []
        headers = dict(exc.headers or {})
    else:
        raise exc
    body = ErrorBody(detail=detail, request_id=_rid(request), errors=errors)
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


def _field_error(err: dict[str, Any]) -> FieldError:
    loc = [str(part) for part in err.get("loc", ()) if part != "body"]
    kind = str(err.get("type", ""))
    if kind == "json_invalid":
        reason = (err.get("ctx") or {}).get("error", "could not parse it")
        return FieldError(field="", message=f"the request body is not valid JSON ({reason})")
    if kind == "missing" and not loc:
        return FieldError(field="", message='the request body is missing: send {"query": "..."}')
    if kind in ("model_attributes_type", "dict_type") and not loc:
        return FieldError(
            field="",
            message='the request body must be a JSON object such as {"query": "..."} '
            "sent with Content-Type: application/json",
        )
    message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
    return FieldError(field=".".join(loc), message=message)


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    """422 naming each bad field, e.g. 'filters.price_max: Input should be a valid number'."""
    raw = exc.errors() if isinstance(exc, RequestValidationError) else []
    errors = [_field_error(dict(err)) for err in raw]
    parts = [
        e.message if not e.field or e.message.startswith(e.field) else f"{e.field}: {e.message}"
        for e in errors
    ]
    detail = "; ".join(parts) or "invalid request"
    body = ErrorBody(detail=detail, request_id=_rid(request), errors=errors)
    return JSONResponse(body.model_dump(mode="json"), status_code=422)
