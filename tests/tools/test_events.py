"""The engagement event store: validation, ordering, revisions, profile cache, deletion."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.settings import Settings
from tools.events import (
    Event,
    EventError,
    EventStore,
    EventStoreError,
    StoredProfile,
    events_path,
    parse_event,
)

T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)


def ev(user: str = "ana", item: str = "r1", kind: str = "click", minutes: int = 0) -> Event:
    return parse_event(
        {"user_id": user, "item_id": item, "vertical": "ideas", "kind": kind,
         "ts": T0 + timedelta(minutes=minutes)}
    )  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EventStore]:
    s = EventStore(tmp_path / "events.sqlite")
    yield s
    s.close()


def test_events_come_back_oldest_first_and_limit_keeps_the_newest(store: EventStore) -> None:
    store.add_many([ev(item=f"r{n}", minutes=n) for n in range(5)])
    store.add(ev(user="ben", item="v1"))
    assert [e.item_id for e in store.events("ana")] == ["r0", "r1", "r2", "r3", "r4"]
    assert [e.item_id for e in store.events("ana", limit=2)] == ["r3", "r4"]
    assert [e.item_id for e in store.events("ben")] == ["v1"]
    assert store.events("nobody") == []
    first = store.events("ana")[0]
    assert first.ts == T0 and first.kind == "click" and first.vertical == "ideas"


def test_revision_is_the_newest_event_id_and_zero_for_unknown_users(store: EventStore) -> None:
    assert store.revision("ana") == 0
    first = store.add(ev())
    second = store.add(ev(item="r2"))
    store.add(ev(user="ben"))
    assert second > first
    assert store.revision("ana") == second


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "like"}, "kind"),
        ({"vertical": "music"}, "vertical"),
        ({"user_id": "   "}, "user_id"),
        ({"item_id": ""}, "item_id"),
        ({"ts": datetime.now(UTC) + timedelta(days=2)}, "ts"),
        ({"module_id": "q1"}, "module_id"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_events_get_one_readable_error_naming_the_field(
    change: dict[str, object], field: str
) -> None:
    raw = {"user_id": "ana", "item_id": "r1", "vertical": "ideas", "kind": "view"} | change
    with pytest.raises(EventError) as info:
        parse_event(raw)
    assert field in str(info.value)
    assert "invalid event" in str(info.value)


def test_naive_timestamps_are_read_as_utc_and_page_links_are_kept(store: EventStore) -> None:
    event = parse_event(
        {"user_id": "ana", "item_id": "r1", "vertical": "video", "kind": "save",
         "ts": "2025-03-01T12:00:00", "page_id": "p1", "module_id": "q2"}
    )  # fmt: skip
    store.add(event)
    (back,) = store.events_for_pages(["p1", "p-unknown"])
    assert back.ts == T0
    assert (back.page_id, back.module_id, back.kind) == ("p1", "q2", "save")


def test_delete_user_removes_their_events_and_profile_only(store: EventStore) -> None:
    rev = store.add(ev())
    store.add(ev(user="ben"))
    saved = store.save_profile(StoredProfile(user_id="ana", revision=rev, key="k", body="{}"))
    assert saved and store.load_profile("ana") is not None
    report = store.delete_user("ana")
    assert (report.events, report.profile) == (1, True)
    assert store.events("ana") == [] and store.load_profile("ana") is None
    assert store.revision("ana") == 0
    assert len(store.events("ben")) == 1
    assert store.delete_user("ana").events == 0


def test_a_stale_profile_is_not_cached(store: EventStore) -> None:
    rev = store.add(ev())
    store.add(ev(item="r2"))
    stale = StoredProfile(user_id="ana", revision=rev, key="k", body="{}")
    assert not store.save_profile(stale)
    assert store.load_profile("ana") is None
    store.delete_user("ana")
    assert not store.save_profile(stale.model_copy(update={"revision": 0}))


def test_events_survive_reopening_under_tessera_home(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    first = EventStore.in_dir(settings.root)
    first.add(ev())
    first.close()
    assert events_path(settings.root).is_file()
    again = EventStore.in_dir(settings.root)
    assert [e.item_id for e in again.events("ana")] == ["r1"]
    again.close()


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(EventStoreError, match="events database"):
        EventStore(path)
