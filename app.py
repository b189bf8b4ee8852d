"""The web endpoint: a JSON search API, a streamed chat API and the chat page.

Run it with `tessera serve` (uvicorn, factory `app:create_app`). Clients are built
in `lifespan`, kept on `app.state.services` and reached by routes through typed
`Depends` aliases; nothing is opened at import time. Every error is JSON
(`ErrorBody`) with a request id, never a traceback.
"""

from __future__ import annotations

import importlib.metadata
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path as FilePath
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, FastAPI, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from agent.backends import is_postgres
from agent.deps import Deps, open_deps, settle_heap
from agent.engine import Engine, UnknownThread
from agent.memory import open_checkpointer
from agent.models import Page, SearchRequest
from agent.settings import Settings
from agent.telemetry import configure_tracing, instrument_app
from agent.turns import ThreadBusy
from agent.web.bodies import (
    THREAD_ID_PATTERN,
    ChatBody,
    ErrorBody,
    Health,
    PublicHealth,
    SearchBody,
    ThreadList,
    ThreadView,
    TurnView,
)
from agent.web.gate import backend_error, require_backends
from agent.web.guard import ApiError, Guard, Limiter, error_response, validation_error
from agent.web.health import check_health
from agent.web.personal import router as personal_router
from agent.web.services import (
    EngineDep,
    KeyDep,
    LimiterDep,
    Services,
    ServicesDep,
    SettingsDep,
    require_key,
)
from agent.web.stream import LeasedStream, chat_events
from tools.backend_errors import BackendUnavailable
from tools.embeddings import EmbedderUnavailable
from tools.filters import Filters
from tools.index import IndexUnavailable

logger = logging.getLogger("tessera.web")
STATIC_DIR = FilePath(__file__).resolve().parent / "static"
MAX_BODY_BYTES = 64 * 1024
PAGE_CSP = (
    "default-src 'self'; img-src 'self' https: http: data:; style-src 'self'; "
    "script-src 'self'; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'"
)
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody} for code in (401, 404, 413, 422, 503)
}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the index, the thread store and the engine; close what was opened here."""
    services: Services = app.state.services
    settings = services.settings
    async with AsyncExitStack() as stack:
        deps = services.given_deps
        if deps is None:
            try:
                deps = await stack.enter_async_context(
                    open_deps(settings, vision=True, serving=True)
                )
            except (IndexUnavailable, EmbedderUnavailable) as exc:
                services.unavailable = str(exc)
                logger.error("serving without an index: %s", exc)
            except BackendUnavailable as exc:
                services.unavailable = str(exc)
                logger.error("serving without a backend: %s", exc)
        if deps is not None:
            try:
                checkpointer = await stack.enter_async_context(open_checkpointer(settings))
            except BackendUnavailable as exc:
                services.unavailable = str(exc)
                logger.error("serving without the thread store: %s", exc)
            else:
                services.engine = Engine(deps, checkpointer)
                if services.given_deps is None:
                    settle_heap()
        services.limiter = Limiter(settings.max_concurrency, settings.queue_wait_s)
        try:
            yield
        finally:
            if services.engine is not None:
                await services.engine.aclose()
            services.engine = None
            services.limiter = None


def _unknown_thread(thread_id: str) -> ApiError:
    return ApiError(
        404, f"unknown thread {thread_id!r}; omit thread_id to start a new conversation"
    )


def _request(body: SearchBody, settings: Settings, thread_id: str | None) -> SearchRequest:
    text = body.query.strip()
    if len(text) > settings.max_query_chars:
        raise ApiError(
            422,
            f"query is too long: {len(text)} characters, at most {settings.max_query_chars}",
            field="query",
        )
    k = body.k or settings.page_size
    return SearchRequest(
        text=text,
        filters=body.filters or Filters(),
        thread_id=thread_id,
        user_id=body.user_id,
        k=k,
        image=body.image,
        exact=body.exact,
    )


api = APIRouter(
    prefix="/v1", dependencies=[Depends(require_key), Depends(require_backends)], responses=ERRORS
)


@api.post("/search", response_model=Page)
async def search(
    body: SearchBody, engine: EngineDep, limiter: LimiterDep, settings: SettingsDep
) -> Page:
    """One page of modules for one request; `thread_id` continues a conversation."""
    request = _request(body, settings, body.thread_id)
    async with limiter.slot():
        try:
            return await engine.search(request)
        except UnknownThread:
            raise _unknown_thread(request.thread_id or "") from None
        except ThreadBusy as exc:
            raise ApiError(503, str(exc), headers={"Retry-After": "1"}) from None


@api.post(
    "/chat",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "SSE stream"}},
)
async def chat(
    body: ChatBody, http: Request, engine: EngineDep, limiter: LimiterDep, settings: SettingsDep
) -> StreamingResponse:
    """One conversation turn as Server-Sent Events.

    Events: `thread` (only when a new thread starts: `{"thread_id"}`), one `step` per
    finished graph step (a TraceStep), one `page` (the Page), then `done`. A failure
    after the stream started is an `error` event (an ErrorBody).
    """
    new_thread = body.thread_id is None
    request = _request(body, settings, body.thread_id or engine.new_thread())
    if not new_thread:
        try:
            await engine.history(body.thread_id or "")
        except UnknownThread:
            raise _unknown_thread(body.thread_id or "") from None
    release = await limiter.acquire()
    rid = str(getattr(http.state, "request_id", ""))
    return LeasedStream(chat_events(engine, request, new_thread, rid), release)


@api.get("/threads", response_model=ThreadList)
async def list_threads(engine: EngineDep) -> ThreadList:
    """Recently active conversation ids, newest first."""
    return ThreadList(threads=await engine.threads())


@api.get("/threads/{thread_id}", response_model=ThreadView)
async def get_thread(
    thread_id: Annotated[str, Path(pattern=THREAD_ID_PATTERN)], engine: EngineDep
) -> ThreadView:
    """The turns of one conversation: what was asked and which modules were shown."""
    try:
        turns = await engine.history(thread_id)
    except UnknownThread:
        raise _unknown_thread(thread_id) from None
    return ThreadView(thread_id=thread_id, turns=[TurnView.from_turn(t) for t in turns])


def _version() -> str:
    try:
        return importlib.metadata.version("tessera")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


def _mount_docs(app: FastAPI) -> None:
    """`/docs` from Swagger UI's own files (`swagger-ui-bundle-v2`), so it works offline;
    without that package it falls back to FastAPI's page, which loads them from a CDN."""
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:
        logger.warning("swagger-ui-bundle-v2 is not installed: /docs needs the network")
        assets = None
    else:
        assets = "/docs-assets"
        app.mount(assets, StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        if assets is None:
            return get_swagger_ui_html(openapi_url="/openapi.json", title="Tessera API")
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Tessera API",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon-32x32.png",
        )


def create_app(settings: Settings | None = None, deps: Deps | None = None) -> FastAPI:
    """The ASGI app. `deps` given here are used as they are and left open on shutdown."""
    settings = settings or Settings()
    configure_tracing(settings)
    app = FastAPI(
        title="Tessera",
        version=_version(),
        summary="Agentic search: one request in, a page of ranked modules out.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.services = Services(settings=settings, given_deps=deps)
    app.include_router(api)
    app.include_router(personal_router, dependencies=[Depends(require_backends)])
    app.add_exception_handler(ApiError, cast(Any, error_response))
    app.add_exception_handler(RequestValidationError, cast(Any, validation_error))
    app.add_exception_handler(StarletteHTTPException, cast(Any, error_response))
    app.add_exception_handler(BackendUnavailable, cast(Any, backend_error))
    if is_postgres(settings.database_url):
        import psycopg

        app.add_exception_handler(psycopg.OperationalError, cast(Any, backend_error))
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _mount_docs(app)

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        headers = {"Content-Security-Policy": PAGE_CSP, "X-Content-Type-Options": "nosniff"}
        return FileResponse(STATIC_DIR / "index.html", headers=headers)

    @app.get(
        "/healthz",
        response_model=Health | PublicHealth,
        responses={503: {"model": Health | PublicHealth}},
    )
    async def healthz(services: ServicesDep, allowed: KeyDep) -> JSONResponse:
        """Index counts and version, damaged vectors, planner and LLM reachability, thread
        store. With TESSERA_API_KEY set, a caller without the key gets the status alone."""
        engine = services.engine
        report = await check_health(services.settings, engine, _version(), services.unavailable)
        status = 503 if report.status == "unavailable" else 200
        body: Health | PublicHealth = report if allowed else PublicHealth(status=report.status)
        return JSONResponse(body.model_dump(mode="json"), status_code=status)

    app.add_middleware(Guard, max_body=MAX_BODY_BYTES)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type"],
            expose_headers=["X-Request-ID", "Retry-After"],
        )
    instrument_app(app)
    return app
