"""Personalisation clients, built once at the edge and shared by every request.

`Personal` holds the engagement store, the impression log, item vectors, the profile
service, the explorer that picks the shown module order, and the query graph behind
personalised related searches. The query graph is built over the whole catalog and
the query log, which takes seconds, so it is built in a background thread: until the
first build finishes, suggestions come from the catalog alone; when the index changes
(or the graph grows old and the log has moved on) a new one is built while the old
one keeps answering.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from agent.personal.exploration import ExplorationConfig, Explorer
from agent.personal.personalise import ItemVectors, PersonalisationConfig
from agent.personal.profile import ProfileConfig, ProfileService
from agent.personal.query_graph import QueryGraph, log_entries
from agent.personal.views import ForgetReport, ProfileSummary, summarise
from agent.settings import Settings
from tools.events import Event, EventError, EventStore, EventStoreError
from tools.impressions import ImpressionLog
from tools.index import CatalogIndex

logger = logging.getLogger("tessera.personal")
LOG_PAGES = 50_000
LOG_WINDOW = timedelta(days=90)
RETRY_S = 60.0
CLOSE_WAIT_S = 2.0


def forget_user(
    events: EventStore,
    impressions: ImpressionLog,
    user_id: str,
    profiles: ProfileService | None = None,
) -> ForgetReport:
    """Delete every event, logged page and profile of `user_id`, leaving no copy on disk.

    Threads live in the conversation store: `Engine.forget_threads` removes those.
    """
    deleted = events.delete_user(user_id)
    pages = impressions.delete_user(user_id)
    if profiles is not None:
        profiles.forget(user_id)
    events.checkpoint()
    return ForgetReport(
        user_id=user_id, events=deleted.events, impressions=pages, profile=deleted.profile
    )


@dataclass
class Personal:
    """Everything personalisation needs for the life of a process; thread-safe."""

    index: CatalogIndex
    events: EventStore
    impressions: ImpressionLog
    vectors: ItemVectors
    profiles: ProfileService
    explorer: Explorer
    config: PersonalisationConfig
    graph_max_age_s: float = 3600.0
    build_graphs: bool = True
    _graph: QueryGraph | None = field(default=None, init=False, repr=False)
    _graph_version: int = field(default=-1, init=False, repr=False)
    _built_at: float = field(default=0.0, init=False, repr=False)
    _next_attempt: float = field(default=0.0, init=False, repr=False)
    _builder: threading.Thread | None = field(default=None, init=False, repr=False)
    _closed: bool = field(default=False, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def record(self, event: Event) -> int:
        """Store an event about an indexed item; returns its id."""
        if not self.index.get(event.vertical, [event.item_id]):
            raise EventError(
                f"invalid event (item_id: no {event.vertical} item {event.item_id!r} in the "
                "catalog; send the id of an item a page showed)"
            )
        return self.events.add(event)

    def forget(self, user_id: str) -> ForgetReport:
        """Delete the user's events, logged pages and profile (stored and in memory)."""
        return forget_user(self.events, self.impressions, user_id, self.profiles)

    def profile_summary(self, user_id: str) -> ProfileSummary | None:
        """The user's interests with example titles; None for a user with no events."""
        profile = self.profiles.get(user_id)
        if profile is None:
            return None
        return summarise(profile, self.index, self.config.profile)

    def query_graph(self) -> QueryGraph | None:
        """The latest built query graph, or None; never waits for a build.

        Starts a build in the background when there is none, when the index changed
        since the last one or when it is older than `graph_max_age_s`, unless
        `build_graphs` is off (one-shot commands, which would exit mid-build).
        """
        if not self.build_graphs:
            return self._graph
        now = time.monotonic()
        with self._lock:
            graph = self._graph
            stale = (
                graph is None
                or self._graph_version != self.index.version
                or now - self._built_at > self.graph_max_age_s
            )
            idle = self._builder is None and not self._closed
            if stale and idle and now >= self._next_attempt:
                self._builder = threading.Thread(
                    target=self._build, name="tessera-query-graph", daemon=True
                )
                self._builder.start()
        return graph

    def wait_for_query_graph(self, timeout: float | None = None) -> QueryGraph | None:
        """Start a build if needed and wait up to `timeout` seconds for it."""
        self.query_graph()
        with self._lock:
            builder = self._builder
        if builder is not None:
            builder.join(timeout)
        with self._lock:
            return self._graph

    def build_query_graph(self) -> QueryGraph:
        """Build a query graph over the catalog and the recent query log, now."""
        since = datetime.now(UTC) - LOG_WINDOW
        pages = self.impressions.logged_pages(self.events, since=since, limit=LOG_PAGES)
        return QueryGraph.from_index(self.index, log_entries(pages), vectors=self.vectors)

    def _build(self) -> None:
        version = self.index.version
        try:
            graph = self.build_query_graph()
        except Exception:  # noqa: BLE001 - suggestions fall back to the catalog's own
            if self._closed:
                logger.debug("query graph build stopped by close", exc_info=True)
            else:
                logger.warning("building the query graph failed; retrying later", exc_info=True)
            with self._lock:
                self._next_attempt = time.monotonic() + RETRY_S
                self._builder = None
            return
        with self._lock:
            self._graph, self._graph_version = graph, version
            self._built_at = time.monotonic()
            self._builder = None

    def close(self) -> None:
        """Stop starting builds and close the stores.

        A build still running after `CLOSE_WAIT_S` keeps the stores open (it reads them)
        and is dropped when the process exits; no data is written by a build.
        """
        with self._lock:
            self._closed = True
            builder = self._builder
        if builder is not None:
            builder.join(CLOSE_WAIT_S)
            if builder.is_alive():
                logger.info("query graph build still running at close; leaving it")
                return
        self.impressions.close()
        self.events.close()


def open_personal(
    settings: Settings, index: CatalogIndex, *, build_graphs: bool = True
) -> Personal:
    """Open the event store and impression log under TESSERA_HOME and wire the rest."""
    profile_config = ProfileConfig(half_life_days=settings.profile_half_life_days)
    from agent.backends import open_event_logs

    events, impressions = open_event_logs(settings)
    vectors = ItemVectors(index)
    profiles = ProfileService(events, vectors, embedder=index.embedder.name, config=profile_config)
    return Personal(
        index=index,
        events=events,
        impressions=impressions,
        vectors=vectors,
        profiles=profiles,
        explorer=Explorer(ExplorationConfig(epsilon=settings.exploration_epsilon)),
        config=PersonalisationConfig(profile=profile_config),
        build_graphs=build_graphs,
    )


def open_personal_or_none(
    settings: Settings, index: CatalogIndex, *, build_graphs: bool = True
) -> Personal | None:
    """`open_personal`, or None with a warning when the events database is unusable."""
    try:
        return open_personal(settings, index, build_graphs=build_graphs)
    except EventStoreError as exc:
        logger.warning("personalisation is off: %s", exc)
        return None
