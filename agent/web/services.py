"""What the web API's routes share, and the typed `Depends` aliases that reach it.

`Services` is filled in by the app's `lifespan` and kept on `app.state.services`;
routes never read globals, they declare `EngineDep`, `LimiterDep`, `SettingsDep` or
`PersonalDep`. `require_key` guards every `/v1` route when an API key is configured.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from agent.backends import BackendGate
from agent.deps import Deps
from agent.engine import Engine
from agent.personal.setup import Personal
from agent.settings import Settings
from agent.web.guard import ApiError, Limiter


@dataclass
class Services:
    """What the routes share for the life of the app; filled in by `lifespan`."""

    settings: Settings
    given_deps: Deps | None = None
    engine: Engine | None = None
    limiter: Limiter | None = None
    unavailable: str = "the search engine is starting; retry in a moment"
    gate: BackendGate | None = None


def _services(request: Request) -> Services:
    return cast(Services, request.app.state.services)


ServicesDep = Annotated[Services, Depends(_services)]


def _engine(services: ServicesDep) -> Engine:
    if services.engine is None:
        raise ApiError(503, services.unavailable, headers={"Retry-After": "30"})
    return services.engine


def _limiter(services: ServicesDep) -> Limiter:
    if services.limiter is None:
        raise ApiError(503, services.unavailable, headers={"Retry-After": "5"})
    return services.limiter


def _settings(services: ServicesDep) -> Settings:
    return services.settings


EngineDep = Annotated[Engine, Depends(_engine)]
LimiterDep = Annotated[Limiter, Depends(_limiter)]
SettingsDep = Annotated[Settings, Depends(_settings)]


def _personal(engine: EngineDep) -> Personal:
    personal = engine.deps.personal
    if personal is None:
        raise ApiError(
            503,
            "personalisation is off: the events database under TESSERA_HOME could not be "
            "opened (see the server log)",
        )
    return personal


PersonalDep = Annotated[Personal, Depends(_personal)]
_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <TESSERA_API_KEY>`")
_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="TESSERA_API_KEY")


def has_key(
    settings: SettingsDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    key: Annotated[str | None, Security(_key_header)],
) -> bool:
    """True when no API key is configured or the request carries the right one."""
    expected = settings.api_key
    if not expected:
        return True
    given = bearer.credentials if bearer else key
    return given is not None and secrets.compare_digest(given.encode(), expected.encode())


KeyDep = Annotated[bool, Depends(has_key)]


def require_key(allowed: KeyDep) -> None:
    """When TESSERA_API_KEY is set, /v1/* needs it as a bearer token or X-API-Key."""
    if not allowed:
        raise ApiError(
            401,
            "missing or wrong API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
