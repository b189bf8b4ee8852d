"""Which backend serves each kind of state, chosen by settings; one code path above it.

| state | embedded default | shared (settings) |
|---|---|---|
| vectors | Chroma `PersistentClient` | `TESSERA_CHROMA_URL`: a Chroma server |
| items + lexical index | writable SQLite | `TESSERA_SNAPSHOT_DIR`: sealed snapshots |
| events, profiles, impressions | `events.sqlite` | `TESSERA_DATABASE_URL`: PostgreSQL |
| expansions of broad intents | `expansions.sqlite` | `TESSERA_DATABASE_URL`: PostgreSQL |
| conversations | SQLite checkpointer | LangGraph Postgres checkpointer |

The rest of Tessera sees the same `CatalogIndex`, `EventStore`, `ImpressionLog`
and checkpointer types whichever is chosen. `ping_backends` is what `/healthz`
and the web API's gate use to name a backend that is down.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from pydantic import BaseModel

from agent.settings import Settings
from tools.backend_errors import BackendUnavailable
from tools.embeddings import load_embedder
from tools.events import EventStore
from tools.expansions import ExpansionStore, SqliteExpansions
from tools.impressions import ImpressionLog
from tools.index import CHROMA_DIR, DB_NAME, CatalogIndex, IndexUnavailable
from tools.store import ItemStore
from tools.vector import VectorStore

PING_TIMEOUT_S = 2.0


class BackendHealth(BaseModel):
    """One backend as `/healthz` reports it."""

    name: str
    kind: str
    location: str
    ok: bool
    detail: str | None = None


def is_postgres(url: str | None) -> bool:
    return bool(url) and str(url).startswith(("postgresql://", "postgres://"))


def _vectors(settings: Settings, path: Path, *, create: bool, embedder_name: str) -> VectorStore:
    if settings.chroma_url:
        from tools.vector_server import ServerVectorStore

        return ServerVectorStore(settings.chroma_url, embedder_name=embedder_name)
    return VectorStore(path / CHROMA_DIR, create=create, embedder_name=embedder_name)


def open_catalog_index(settings: Settings, *, create: bool = False) -> CatalogIndex:
    """The index as settings ask: embedded, or snapshot items beside shared vectors.

    With snapshots and `create=True` the index is a private build of the next
    snapshot; `publish_index` makes it live once it is closed.
    """
    embedder = load_embedder(settings.query_cache_size)
    snapshots = settings.snapshots
    if snapshots is None:
        path = settings.index_dir
        if not create and not path.exists():
            raise IndexUnavailable(
                f"no index at {path}: build one with `tessera index --starter` "
                "(or `tessera index --source FILE`)"
            )
        if settings.chroma_url is None:
            return CatalogIndex(path, embedder, create=create)
        path.mkdir(parents=True, exist_ok=True)
        store: ItemStore = ItemStore(path / DB_NAME, create=create)
    elif create:
        from tools.snapshot import Snapshots

        path = Snapshots(snapshots).begin()
        store = ItemStore(path / DB_NAME, create=True)
    else:
        from tools.snapshot import SnapshotStore

        path = snapshots
        store = SnapshotStore(snapshots, poll_s=settings.snapshot_poll_s)
    try:
        vectors = _vectors(settings, settings.index_dir, create=create, embedder_name=embedder.name)
    except BaseException:
        store.close()
        raise
    return CatalogIndex(path, embedder, create=create, store=store, vectors=vectors)


def publish_index(settings: Settings, index: CatalogIndex) -> str | None:
    """Make a closed snapshot build live; None in the embedded default (nothing to publish)."""
    if settings.snapshots is None:
        return None
    from tools.snapshot import Snapshots

    return Snapshots(settings.snapshots).publish(index.path)


def discard_build(settings: Settings, index: CatalogIndex) -> None:
    """Drop a snapshot build that failed; nothing in the embedded default."""
    if settings.snapshots is not None and index.path.name.startswith(".build-"):
        from tools.snapshot import Snapshots

        Snapshots(settings.snapshots).discard(index.path)


def open_event_logs(settings: Settings) -> tuple[EventStore, ImpressionLog]:
    """The engagement log and the impression log: SQLite under TESSERA_HOME, or PostgreSQL."""
    if is_postgres(settings.database_url):
        from tools.pg_log import PgEventStore, PgImpressionLog, PgPool

        pool = PgPool(str(settings.database_url))
        events = PgEventStore(pool)
        try:
            return events, PgImpressionLog(pool)
        except BaseException:
            events.close()
            raise
    events_db = EventStore.in_dir(settings.root)
    try:
        return events_db, ImpressionLog.in_dir(settings.root)
    except BaseException:
        events_db.close()
        raise


def open_expansions(settings: Settings) -> ExpansionStore:
    """Where expansions of broad intents are kept: SQLite under TESSERA_HOME, or PostgreSQL."""
    if is_postgres(settings.database_url):
        from tools.pg_expansions import PgExpansions
        from tools.pg_log import PgPool

        return PgExpansions(PgPool(str(settings.database_url), max_size=2))
    return SqliteExpansions.at(settings.root)


def _redact(url: str) -> str:
    if "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://…@{rest.split('@', 1)[1]}"


def _ping_postgres(url: str) -> None:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        raise BackendUnavailable("postgres", str(exc).strip().splitlines()[0]) from exc


def _ping_chroma(url: str) -> None:
    import httpx

    from tools.vector_server import parse_chroma_url

    host, port, ssl = parse_chroma_url(url)
    base = f"{'https' if ssl else 'http'}://{host}:{port}"
    try:
        httpx.get(f"{base}/api/v2/heartbeat", timeout=PING_TIMEOUT_S).raise_for_status()
    except httpx.HTTPError as exc:
        raise BackendUnavailable("chroma", f"the Chroma server at {url} is down ({exc})") from exc


def _ping_snapshots(root: Path) -> None:
    from tools.snapshot import Snapshots

    name = Snapshots(root).current()
    if name is None or not Snapshots(root).db_path(name).is_file():
        raise BackendUnavailable("snapshot", f"no published snapshot in {root}")


def _check(name: str, kind: str, location: str, probe: object) -> BackendHealth:
    try:
        assert callable(probe)
        probe()
    except BackendUnavailable as exc:
        return BackendHealth(name=name, kind=kind, location=location, ok=False, detail=exc.detail)
    except Exception as exc:  # noqa: BLE001 - a health probe reports, it does not raise
        detail = f"{type(exc).__name__}: {exc}"
        return BackendHealth(name=name, kind=kind, location=location, ok=False, detail=detail)
    return BackendHealth(name=name, kind=kind, location=location, ok=True)


def probe_backends(settings: Settings) -> list[BackendHealth]:
    """Each shared backend's reachability, now (blocking; run it in a thread)."""
    out: list[BackendHealth] = []
    if settings.chroma_url:
        url = settings.chroma_url
        out.append(_check("vectors", "chroma-server", url, lambda: _ping_chroma(url)))
    else:
        out.append(BackendHealth(name="vectors", kind="chroma-embedded", location=str(
            settings.index_dir / CHROMA_DIR), ok=True))  # fmt: skip
    if settings.snapshots is not None:
        root = settings.snapshots
        out.append(_check("items", "snapshot", str(root), lambda: _ping_snapshots(root)))
    else:
        out.append(BackendHealth(name="items", kind="sqlite", location=str(
            settings.index_dir / DB_NAME), ok=True))  # fmt: skip
    if is_postgres(settings.database_url):
        url = str(settings.database_url)
        out.append(_check("database", "postgres", _redact(url), lambda: _ping_postgres(url)))
    else:
        out.append(BackendHealth(name="database", kind="sqlite", location=str(settings.root),
                                 ok=True))  # fmt: skip
    return out


class BackendGate:
    """Refuses work while a shared backend is down, so no request runs half-way.

    A good answer is trusted for `ttl_s`; a bad one is re-checked on every call,
    so requests resume as soon as the backend is back.
    """

    def __init__(self, settings: Settings, ttl_s: float = 1.0) -> None:
        self.settings = settings
        self.ttl_s = ttl_s
        self.shared = bool(settings.chroma_url or is_postgres(settings.database_url))
        self._ok_until = 0.0

    async def require(self) -> None:
        """Raise `BackendUnavailable` naming the first shared backend that is down."""
        if not self.shared or time.monotonic() < self._ok_until:
            return
        for report in await asyncio.to_thread(probe_backends, self.settings):
            if not report.ok:
                raise BackendUnavailable(report.kind, report.detail or "not reachable")
        self._ok_until = time.monotonic() + self.ttl_s
