"""Item-store snapshots: publish seals and swaps atomically; readers follow without a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes import TINY
from tools.rows import build_row
from tools.snapshot import CURRENT, Snapshots, SnapshotStore
from tools.store import IndexUnavailable, ItemStore


def _publish(snaps: Snapshots, items: list) -> str:
    build = snaps.begin()
    store = ItemStore(build / "catalog.sqlite", create=True)
    store.write([build_row(i) for i in items])
    store.close()
    return snaps.publish(build)


def test_a_reader_follows_each_published_snapshot(tmp_path: Path) -> None:
    snaps = Snapshots(tmp_path)
    first = _publish(snaps, TINY[:2])
    reader = SnapshotStore(tmp_path, poll_s=0)
    assert reader.name == first and reader.count() == 2
    second = _publish(snaps, TINY[2:4])
    assert reader.count() == 4, "the build starts from the live snapshot and adds to it"
    assert reader.name == second and reader.version > 1
    assert (tmp_path / CURRENT).read_text().strip() == second
    assert not list(tmp_path.glob(".build-*")), "a published build leaves no folder behind"
    reader.close()


def test_a_snapshot_is_read_only(tmp_path: Path) -> None:
    _publish(Snapshots(tmp_path), TINY[:1])
    reader = SnapshotStore(tmp_path, poll_s=0)
    with pytest.raises(IndexUnavailable, match="read-only"):
        reader.write([build_row(TINY[1])])
    assert reader.count() == 1
    reader.close()


def test_no_published_snapshot_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IndexUnavailable, match="No published snapshot"):
        SnapshotStore(tmp_path)


def test_only_the_newest_snapshots_are_kept(tmp_path: Path) -> None:
    snaps = Snapshots(tmp_path)
    names = [_publish(snaps, TINY[: n + 1]) for n in range(5)]
    kept = sorted(p.name for p in tmp_path.glob("v*"))
    assert kept == sorted(names[-3:])
