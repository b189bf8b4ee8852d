"""Module impressions: which modules a page showed, in which order, with what propensity.

Every page is logged with the order its ranker proposed, the order actually shown
(exploration may perturb it), the probability the logging policy gave the shown order
and, per shown module, the marginal probability of that module at that position.
Those propensities are what off-policy estimates need. Engagement events carry the
`page_id` and `module_id`, which `join` uses to attach clicks to impressions.
Impressions live beside the events, in the same SQLite file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tools.events import Event, EventKind, EventStore
from tools.sqlite_log import EventStoreError, SqliteLog

LoggingMode = Literal["none", "swap", "plackett_luce"]
REWARD_KINDS: frozenset[EventKind] = frozenset({"click", "save"})
SCHEMA = """
CREATE TABLE IF NOT EXISTS impressions (
    page_id TEXT PRIMARY KEY,
    user_id TEXT,
    ts REAL NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS impressions_ts ON impressions (ts);
CREATE INDEX IF NOT EXISTS impressions_user ON impressions (user_id);
"""


class ImpressionError(ValueError):
    """An impression is inconsistent or its page id was already logged."""


class ModuleImpression(BaseModel):
    """One shown module: where it was, its ranker score and its marginal propensity."""

    module_id: str
    vertical: str
    position: int = Field(ge=0)
    score: float = Field(description="The logging ranker's score (Plackett-Luce uses it).")
    propensity: float = Field(gt=0, le=1, description="P(this module at this position).")
    items: list[str] = Field(default_factory=list, description="Item ids shown, in order.")
    signals: dict[str, float] = Field(
        default_factory=dict, description="What the module's score was computed from."
    )


class Impression(BaseModel):
    """One page as shown, with the logging policy that chose its module order."""

    model_config = ConfigDict(extra="forbid")

    page_id: str = Field(min_length=1, max_length=200)
    user_id: str | None = None
    query: str = ""
    ts: datetime = Field(default_factory=lambda: datetime.now(UTC))
    mode: LoggingMode = "none"
    epsilon: float = Field(default=0.0, ge=0, le=1)
    temperature: float = Field(default=1.0, gt=0)
    ranked: list[str] = Field(description="Module ids in the ranker's order, before exploration.")
    modules: list[ModuleImpression] = Field(description="Modules in the order shown.")
    propensity: float = Field(gt=0, le=1, description="P(shown order) under the logging policy.")

    @model_validator(mode="after")
    def _consistent(self) -> Impression:
        shown = [m.module_id for m in self.modules]
        if sorted(shown) != sorted(self.ranked) or len(set(shown)) != len(shown):
            raise ValueError("shown modules must be a permutation of the ranked modules")
        if [m.position for m in self.modules] != list(range(len(self.modules))):
            raise ValueError("module positions must be 0, 1, ... in shown order")
        return self

    @property
    def shown(self) -> tuple[str, ...]:
        return tuple(m.module_id for m in self.modules)

    @property
    def explored(self) -> bool:
        return list(self.shown) != self.ranked


class LoggedPage(BaseModel):
    """An impression with the engagements that came back for it."""

    impression: Impression
    clicked: list[str] = Field(default_factory=list, description="Module ids engaged with.")
    items: list[str] = Field(default_factory=list, description="`vertical:id` engaged with.")

    @property
    def reward(self) -> float:
        """1 when any module of the page was engaged with."""
        return 1.0 if self.clicked else 0.0


def join(
    impressions: Iterable[Impression],
    events: Iterable[Event],
    kinds: frozenset[EventKind] = REWARD_KINDS,
) -> list[LoggedPage]:
    """Attach each event of a rewarding kind to its page and module."""
    pages = {imp.page_id: LoggedPage(impression=imp) for imp in impressions}
    for event in events:
        page = pages.get(event.page_id or "")
        if page is None or event.kind not in kinds:
            continue
        key = f"{event.vertical}:{event.item_id}"
        if key not in page.items:
            page.items.append(key)
        if event.module_id in page.impression.shown and event.module_id not in page.clicked:
            page.clicked.append(event.module_id)
    return list(pages.values())


def pages_query(
    mark: str, *, user_id: str | None, since: datetime | None, limit: int | None
) -> tuple[str, list[Any]]:
    """The `WHERE ... ORDER BY ... LIMIT` tail and its arguments for listing impressions,
    with `mark` as the backend's placeholder (`?` for SQLite, `%s` for PostgreSQL)."""
    clauses = [f"ts >= {mark}"]
    args: list[Any] = [since.timestamp() if since else 0.0]
    if user_id is not None:
        clauses.append(f"user_id = {mark}")
        args.append(user_id)
    sql = f"WHERE {' AND '.join(clauses)} ORDER BY ts, page_id"
    if limit is not None:
        sql += f" LIMIT {mark}"
        args.append(max(0, limit))
    return sql, args


def impression_row(impression: Impression) -> tuple[str, str | None, float, str]:
    """The stored columns of a logged page: page id, user id, time, the page as JSON."""
    return (
        impression.page_id,
        impression.user_id,
        impression.ts.timestamp(),
        impression.model_dump_json(),
    )


class ImpressionLog(SqliteLog):
    """The impressions table; safe to use from any thread."""

    SCHEMA = SCHEMA

    def log(self, impression: Impression) -> None:
        """Record one page; a page id may be logged once."""
        row = impression_row(impression)
        with self._lock:
            try:
                self._conn.execute("INSERT INTO impressions VALUES (?, ?, ?, ?)", row)
            except sqlite3.IntegrityError:
                raise ImpressionError(f"page {impression.page_id!r} was already logged") from None
            except sqlite3.Error as exc:
                raise EventStoreError(f"writing to {self.path} failed: {exc}") from exc

    def get(self, page_id: str) -> Impression | None:
        found = self._select("WHERE page_id = ?", [page_id])
        return found[0] if found else None

    def pages(
        self,
        *,
        user_id: str | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> list[Impression]:
        """Logged impressions, oldest first; unreadable rows are skipped."""
        return self._select(*pages_query("?", user_id=user_id, since=since, limit=limit))

    def logged_pages(
        self, events: EventStore, *, since: datetime | None = None, limit: int | None = None
    ) -> list[LoggedPage]:
        """Impressions joined with their engagements, ready for `estimate_ctr`."""
        impressions = self.pages(since=since, limit=limit)
        return join(impressions, events.events_for_pages([i.page_id for i in impressions]))

    def delete_user(self, user_id: str) -> int:
        """Remove the user's impressions; returns how many."""
        with self._lock:
            cur = self._conn.execute("DELETE FROM impressions WHERE user_id = ?", (user_id,))
            return cur.rowcount

    def _select(self, where: str, args: Sequence[Any]) -> list[Impression]:
        with self._lock:
            rows = self._conn.execute(f"SELECT body FROM impressions {where}", args).fetchall()
        out: list[Impression] = []
        for (body,) in rows:
            try:
                out.append(Impression.model_validate_json(body))
            except ValidationError:
                continue
        return out
