"""Is the dense side of the index whole? Counts against SQLite, and sampled self-lookups.

Chroma answers `count()` from its own SQLite file even when a segment's vector
files are truncated or gone, and a damaged HNSW index returns neighbours that
look plausible but are wrong. So a check compares the item store's ids with the
vectors', then samples stored items: each one's vector must be readable and the
item must come back among the nearest neighbours of its own vector. Extra
vectors (an interrupted upsert) are harmless: searches keep only stored ids.
`repair` re-embeds what is missing, or rebuilds a vertical whose vectors are damaged.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, Field

from tools.catalog import ITEM_TYPES, Vertical
from tools.embeddings import Embedder
from tools.rows import build_row, chroma_metadata
from tools.store import ItemStore
from tools.vector import VectorStore

OPEN_SAMPLES = 6
CHECK_SAMPLES = 48
NEIGHBOURS = 10


class VerticalCheck(BaseModel):
    """What a check found for one vertical; `problem` is None when the vectors are whole."""

    vertical: Vertical
    items: int = Field(description="Rows in the item store.")
    vectors: int | None = Field(default=None, description="Vectors Chroma reports.")
    missing: int = Field(default=0, description="Items with no vector.")
    sampled: int = 0
    found_self: int = Field(default=0, description="Samples that were their own neighbour.")
    damaged: bool = Field(default=False, description="Vectors unreadable or wrong, not missing.")
    problem: str | None = None


class RepairReport(BaseModel):
    """What `repair` did for one vertical."""

    vertical: Vertical
    rebuilt: bool = False
    embedded: int = 0
    removed: int = 0


def _spread(ids: list[str], n: int) -> list[str]:
    if len(ids) <= n:
        return ids
    step = len(ids) / n
    return [ids[int(i * step)] for i in range(n)]


def check_vertical(
    store: ItemStore, vectors: VectorStore, vertical: Vertical, samples: int = OPEN_SAMPLES
) -> VerticalCheck:
    """Counts, missing ids (when asked for many samples) and sampled self-lookups."""
    ids = sorted(store.ids(vertical))
    report = VerticalCheck(vertical=vertical, items=len(ids))
    damage = vectors.files_problem(vertical)
    if damage:
        report.problem = f"vectors damaged ({damage})"
        report.damaged = True
        return report
    try:
        report.vectors = vectors.count(vertical)
        if samples >= CHECK_SAMPLES or report.vectors != report.items:
            report.missing = len(set(ids) - vectors.ids(vertical))
        if not ids:
            return report
        picks = _spread(ids, samples)
        stored = vectors.vectors(vertical, picks)
        report.sampled = len(picks)
        for item_id in picks:
            vector = stored.get(item_id)
            if vector is None:
                continue
            near = vectors.query(vertical, vector, None, NEIGHBOURS)
            report.found_self += any(found == item_id for found, _ in near)
    except Exception as exc:  # noqa: BLE001 - a damaged store fails in many ways
        report.problem = f"vectors unreadable ({type(exc).__name__}: {str(exc)[:160]})"
        report.damaged = True
        return report
    if report.missing:
        report.problem = f"{report.missing} of {report.items} items have no vector"
    elif report.found_self < report.sampled:
        report.damaged = True
        report.problem = (
            f"only {report.found_self} of {report.sampled} sampled items are their own "
            "nearest neighbour"
        )
    return report


def repair_vertical(
    store: ItemStore,
    vectors: VectorStore,
    embedder: Embedder,
    vertical: Vertical,
    *,
    batch_size: int = 256,
    progress: Callable[[int], None] | None = None,
) -> RepairReport:
    """Re-embed the items whose vectors are missing; rebuild the vertical if it is damaged."""
    report = RepairReport(vertical=vertical)
    wanted = store.ids(vertical)
    found = check_vertical(store, vectors, vertical, samples=CHECK_SAMPLES)
    if found.damaged:
        vectors.drop(vertical)
        report.rebuilt = True
        todo = sorted(wanted)
    else:
        present = vectors.ids(vertical)
        stale = sorted(present - wanted)
        if stale:
            vectors.delete(vertical, stale)
            report.removed = len(stale)
        todo = sorted(wanted - present)
    model = ITEM_TYPES[vertical]
    for start in range(0, len(todo), batch_size):
        chunk = todo[start : start + batch_size]
        stored = store.json_by_id(vertical, chunk)
        rows = [build_row(model.model_validate_json(stored[i])) for i in chunk if i in stored]
        embedded = embedder.embed_documents([r.dense_text for r in rows])
        vectors.upsert(vertical, [r.id for r in rows], embedded, [chroma_metadata(r) for r in rows])
        report.embedded += len(rows)
        if progress:
            progress(len(rows))
    return report
