"""Engagement events and cached user profiles, in one SQLite file under TESSERA_HOME.

An event says a user viewed, clicked or saved one catalog item, optionally on a given
page and module (that link is what joins engagements to logged impressions). The store
also keeps each user's built profile, tagged with the revision (the newest event id)
it was built from, so a new event makes the cached profile stale and deleting a user
removes both their events and their profile in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from tools.catalog import Vertical
from tools.errors import UserError
from tools.sqlite_log import EVENTS_FILE, EventStoreError, SqliteLog, events_path

__all__ = [
    "EVENTS_FILE",
    "DeleteReport",
    "Event",
    "EventError",
    "EventKind",
    "EventStore",
    "EventStoreError",
    "StoredProfile",
    "events_path",
    "parse_event",
]

EventKind = Literal["view", "click", "save"]
MAX_FUTURE = timedelta(minutes=5)
SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    vertical TEXT NOT NULL,
    kind TEXT NOT NULL,
    ts REAL NOT NULL,
    page_id TEXT,
    module_id TEXT
);
CREATE INDEX IF NOT EXISTS events_user ON events (user_id, id);
CREATE INDEX IF NOT EXISTS events_page ON events (page_id);
CREATE TABLE IF NOT EXISTS profiles (
    user_id TEXT PRIMARY KEY,
    revision INTEGER NOT NULL,
    key TEXT NOT NULL,
    body TEXT NOT NULL
);
"""


class EventError(UserError, ValueError):
    """An event is malformed; the message names the field and what is accepted."""


class Event(BaseModel):
    """One engagement of one user with one catalog item."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    user_id: str = Field(min_length=1, max_length=200)
    item_id: str = Field(min_length=1, max_length=200)
    vertical: Vertical
    kind: EventKind
    ts: datetime = Field(default_factory=lambda: datetime.now(UTC))
    page_id: str | None = Field(default=None, min_length=1, max_length=200)
    module_id: str | None = Field(default=None, min_length=1, max_length=200)

    @field_validator("ts", mode="after")
    @classmethod
    def _check_ts(cls, ts: datetime) -> datetime:
        ts = ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
        if ts > datetime.now(UTC) + MAX_FUTURE:
            raise ValueError(f"timestamp {ts.isoformat()} is in the future")
        return ts

    @field_validator("module_id", mode="after")
    @classmethod
    def _module_needs_page(cls, module_id: str | None, info: ValidationInfo) -> str | None:
        if module_id is not None and info.data.get("page_id") is None:
            raise ValueError("module_id was given without the page_id it belongs to")
        return module_id


def parse_event(raw: Mapping[str, Any]) -> Event:
    """An `Event` from untrusted input; problems become one readable `EventError`."""
    try:
        return Event.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'event'}: {err['msg']}"
            for err in exc.errors()
        )
        raise EventError(f"invalid event ({problems})") from None


class StoredProfile(BaseModel):
    """A profile body as cached, with the event revision and config key it was built for."""

    user_id: str
    revision: int
    key: str
    body: str


class DeleteReport(BaseModel):
    """What deleting a user removed."""

    user_id: str
    events: int = 0
    profile: bool = False


class EventStore(SqliteLog):
    """Append-only engagement log plus the per-user profile cache; thread-safe."""

    SCHEMA = SCHEMA

    def add(self, event: Event) -> int:
        """Record one event; returns its id (the user's new revision)."""
        return self.add_many([event])[0]

    def add_many(self, events: Iterable[Event]) -> list[int]:
        """Record events in one transaction; returns their ids in order."""
        rows = [_row(e) for e in events]
        ids: list[int] = []
        if not rows:
            return ids
        with self._write() as conn:
            for row in rows:
                cur = conn.execute(
                    "INSERT INTO events (user_id, item_id, vertical, kind, ts, page_id, "
                    "module_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
                ids.append(int(cur.lastrowid or 0))
        return ids

    def events(self, user_id: str, *, limit: int | None = None) -> list[Event]:
        """The user's events, oldest first; with `limit`, only the newest `limit` of them."""
        sql = "SELECT * FROM (SELECT id, user_id, item_id, vertical, kind, ts, page_id, module_id"
        sql += " FROM events WHERE user_id = ? ORDER BY id DESC"
        args: list[Any] = [user_id]
        if limit is not None:
            sql += " LIMIT ?"
            args.append(max(0, limit))
        return [_event(r) for r in self._read(sql + ") ORDER BY id", args)]

    def events_for_pages(self, page_ids: Sequence[str]) -> list[Event]:
        """Events that name one of `page_ids`, oldest first."""
        out: list[Event] = []
        ids = list(dict.fromkeys(page_ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            out += [
                _event(r)
                for r in self._read(
                    "SELECT id, user_id, item_id, vertical, kind, ts, page_id, module_id "
                    f"FROM events WHERE page_id IN ({marks}) ORDER BY id",
                    chunk,
                )
            ]
        return out

    def revision(self, user_id: str) -> int:
        """The id of the user's newest event; 0 for a user with no events."""
        rows = self._read("SELECT MAX(id) FROM events WHERE user_id = ?", [user_id])
        return int(rows[0][0] or 0)

    def load_profile(self, user_id: str) -> StoredProfile | None:
        rows = self._read("SELECT revision, key, body FROM profiles WHERE user_id = ?", [user_id])
        if not rows:
            return None
        revision, key, body = rows[0]
        return StoredProfile(user_id=user_id, revision=revision, key=key, body=body)

    def save_profile(self, profile: StoredProfile) -> bool:
        """Cache a profile only if it is still current (no newer event, user not deleted)."""
        with self._write() as conn:
            cur = conn.execute(
                "INSERT OR REPLACE INTO profiles (user_id, revision, key, body) "
                "SELECT ?, ?, ?, ? WHERE (SELECT MAX(id) FROM events WHERE user_id = ?) = ?",
                (profile.user_id, profile.revision, profile.key, profile.body,
                 profile.user_id, profile.revision),
            )  # fmt: skip
            return cur.rowcount > 0

    def delete_user(self, user_id: str) -> DeleteReport:
        """Remove every event and the cached profile of `user_id`."""
        with self._write() as conn:
            events = conn.execute("DELETE FROM events WHERE user_id = ?", (user_id,)).rowcount
            profile = conn.execute("DELETE FROM profiles WHERE user_id = ?", (user_id,)).rowcount
        return DeleteReport(user_id=user_id, events=events, profile=profile > 0)


def _row(event: Event) -> tuple[Any, ...]:
    return (
        event.user_id,
        event.item_id,
        event.vertical,
        event.kind,
        event.ts.timestamp(),
        event.page_id,
        event.module_id,
    )


def _event(row: tuple[Any, ...]) -> Event:
    _, user_id, item_id, vertical, kind, ts, page_id, module_id = row
    return Event.model_construct(
        user_id=user_id,
        item_id=item_id,
        vertical=vertical,
        kind=kind,
        ts=datetime.fromtimestamp(ts, UTC),
        page_id=page_id,
        module_id=module_id,
    )
