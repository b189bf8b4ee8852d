"""The web API's answer when a shared backend is down: a 503 that names it.

`require_backends` runs before every `/v1` route: with a Chroma server or
PostgreSQL configured it checks they answer (a good answer is trusted for a
second), so a request never starts when it could only be served half-way or
write half its state. `backend_error` turns a `BackendUnavailable` raised
later, or a database error escaping the checkpointer, into the same 503.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import JSONResponse

from agent.backends import BackendGate
from agent.web.bodies import ErrorBody
from agent.web.services import Services, ServicesDep
from tools.backend_errors import BackendUnavailable

RETRY_AFTER_S = "5"


def gate(services: Services) -> BackendGate:
    """The process's gate, made on first use from its settings."""
    if services.gate is None:
        services.gate = BackendGate(services.settings)
    return services.gate


async def require_backends(services: ServicesDep) -> None:
    """Raise `BackendUnavailable` (answered 503) while a shared backend is down."""
    await gate(services).require()


BackendsUp = Annotated[None, Depends(require_backends)]


def _detail(exc: Exception) -> tuple[str, str]:
    if isinstance(exc, BackendUnavailable):
        return exc.backend, exc.detail
    text = str(exc).strip().splitlines()
    return "postgres", f"{type(exc).__name__}: {text[0] if text else ''}"


async def backend_error(request: Request, exc: Exception) -> JSONResponse:
    """A down backend as a 503 `ErrorBody`: which one, and what it said."""
    backend, detail = _detail(exc)
    body = ErrorBody(
        detail=f"the {backend} backend is unavailable: {detail}; nothing was written, retry",
        request_id=str(getattr(request.state, "request_id", "")),
    )
    return JSONResponse(
        body.model_dump(mode="json"), status_code=503, headers={"Retry-After": RETRY_AFTER_S}
    )
