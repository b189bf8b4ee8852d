"""The catalog index: SQLite (items, filters, FTS5/BM25) beside Chroma (dense vectors).

`CatalogIndex` is the one public entry point. Writes are idempotent (content hashes)
and crash-safe: vectors go to Chroma first, then the SQLite rows commit in one
transaction per batch, so rerunning an interrupted upsert repairs it. Searches push
filters into both backends before truncation and fuse the two ranked lists.

An index opened for serving checks its vectors first (`tools.vector_check`); a
vertical whose dense side is damaged, or fails during a search, is searched
lexically only, and `dense_problem(vertical)` says why, for the trace and health.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
from pydantic import BaseModel

from tools.catalog import ITEM_TYPES, VERTICALS, CatalogItem, Vertical
from tools.contract import Hit
from tools.embeddings import Embedder
from tools.facet_weight import item_weight
from tools.facets import FacetVocabulary
from tools.filters import Filters
from tools.fusion import FusionMethod, fuse
from tools.lexical import LexicalSearcher, browse
from tools.ltr.features import Candidate, from_item
from tools.pushdown import chroma_where, sql_where
from tools.rows import ItemRow, build_row, chroma_metadata
from tools.store import REBUILD_HINT, IndexUnavailable, ItemStore
from tools.terms import CatalogTerms
from tools.title_vectors import FILE_NAME as TITLE_VECTORS_FILE
from tools.title_vectors import TitleVectors
from tools.tracing import event, leaf, span
from tools.vector import VectorStore
from tools.vector_check import (
    CHECK_SAMPLES,
    OPEN_SAMPLES,
    RepairReport,
    VerticalCheck,
    check_vertical,
    repair_vertical,
)

__all__ = ["CatalogIndex", "IndexUnavailable", "UpsertReport"]

SearchMode = Literal["hybrid", "lexical", "dense"]
log = logging.getLogger(__name__)
DB_NAME = "catalog.sqlite"
TITLE_QUERY_TIMEOUT_S = 10.0
CHROMA_DIR = "chroma"


class UpsertReport(BaseModel):
    """What an upsert did, counted per input item."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0


class Reranker(Protocol):
    """Orders a query's candidates; `tools.ltr.RankerModel` is one."""

    def rank(self, query: str, candidates: Sequence[Candidate]) -> Sequence[_Ranked]: ...


class _Ranked(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def probability(self) -> float: ...


class CatalogIndex:
    """Hybrid lexical + dense index over every vertical, stored under one directory."""

    def __init__(
        self,
        path: Path,
        embedder: Embedder,
        *,
        create: bool = True,
        store: ItemStore | None = None,
        vectors: VectorStore | None = None,
    ) -> None:
        """Open (or create) the index at `path`.

        `store` and `vectors` given here (a snapshot store, a Chroma server) are used
        instead of the files under `path` and are closed with the index.
        """
        self.path = Path(path).expanduser()
        if not create and not self.path.is_dir():
            raise IndexUnavailable(f"No index directory at {self.path}: {REBUILD_HINT}.")
        if create:
            self.path.mkdir(parents=True, exist_ok=True)
        self.embedder = embedder
        self._facets: tuple[int, FacetVocabulary] | None = None
        self._facets_lock = threading.Lock()
        self._terms: tuple[int, CatalogTerms] | None = None
        self._store = store if store is not None else ItemStore(self.path / DB_NAME, create=create)
        self._lexical = LexicalSearcher(self._store)
        try:
            self._check_embedder()
            self._vectors = vectors or VectorStore(
                self.path / CHROMA_DIR, create=create, embedder_name=embedder.name
            )
        except BaseException:
            self._store.close()
            if vectors is not None:
                vectors.close()
            raise
        self._dense_problems: dict[str, str] = {}
        self._title_encoder: Embedder | None = None
        self._titles: TitleVectors | None = None
        self._title_pool: ThreadPoolExecutor | None = None
        if not create:
            for found in self.check(samples=OPEN_SAMPLES):
                if found.problem:
                    self._dense_problems[found.vertical] = found.problem

    def _check_embedder(self) -> None:
        expected = f"{self.embedder.name}:{self.embedder.dim}"
        stored = self._store.meta("embedder")
        if stored is None:
            self._store.set_meta("embedder", expected)
        elif stored != expected:
            raise IndexUnavailable(
                f"The index at {self.path} was built with the embedder {stored}, not "
                f"{expected}; remove that directory and {REBUILD_HINT}."
            )

    def check(self, samples: int = CHECK_SAMPLES) -> list[VerticalCheck]:
        """Check each vertical's vectors against the item store (counts, self-lookups)."""
        return [check_vertical(self._store, self._vectors, v, samples) for v in VERTICALS]

    def repair(self, progress: Callable[[int], None] | None = None) -> list[RepairReport]:
        """Re-embed missing vectors (rebuilding damaged verticals); clears dense problems."""
        reports = [
            repair_vertical(self._store, self._vectors, self.embedder, v, progress=progress)
            for v in VERTICALS
        ]
        self._dense_problems.clear()
        return reports

    def dense_problem(self, vertical: str) -> str | None:
        """Why the vertical is searched lexically only, or None when its vectors are whole."""
        return self._dense_problems.get(vertical)

    def dense_problems(self) -> dict[str, str]:
        """Every vertical whose dense side is out of use, with the reason."""
        return dict(self._dense_problems)

    @property
    def version(self) -> int:
        """Bumps on every committed change; persisted in the SQLite file."""
        return self._store.version

    def upsert(
        self,
        items: Iterable[CatalogItem],
        *,
        batch_size: int = 1024,
        progress: Callable[[int], None] | None = None,
    ) -> UpsertReport:
        """Add or update items; `progress` gets the number of items in each finished batch.

        A batch's vectors and rows are written on a second thread while the next batch is
        embedded, so the encoder is never left waiting on Chroma or SQLite."""
        report = UpsertReport()
        with ThreadPoolExecutor(1, thread_name_prefix="tessera-index-write") as writer:
            pending: tuple[Future[None], int] | None = None
            for batch in _batches(items, max(1, batch_size)):
                todo, vectors = self._embed_batch(batch, report)
                if pending is not None:
                    _finish(pending, progress)
                pending = (writer.submit(self._write_batch, todo, vectors), len(batch))
            if pending is not None:
                _finish(pending, progress)
        return report

    def _embed_batch(
        self, items: list[CatalogItem], report: UpsertReport
    ) -> tuple[list[ItemRow], np.ndarray]:
        """The rows of `items` that are new or changed, with their vectors."""
        rows: dict[tuple[str, str], ItemRow] = {}
        for item in items:
            rows[(item.vertical, item.id)] = build_row(item)
        report.unchanged += len(items) - len(rows)
        todo: list[ItemRow] = []
        for vertical in VERTICALS:
            group = [r for (v, _), r in rows.items() if v == vertical]
            if not group:
                continue
            known = self._store.hashes(vertical, [r.id for r in group])
            same = [r.id for r in group if known.get(r.id) == r.content_hash]
            present = self._vectors.present(vertical, same) if same else set()
            for row in group:
                if row.id in present:
                    report.unchanged += 1
                    continue
                todo.append(row)
                if row.id in known:
                    report.updated += 1
                else:
                    report.added += 1
        if not todo:
            return todo, np.empty((0, self.embedder.dim), dtype=np.float32)
        return todo, self.embedder.embed_documents([r.dense_text for r in todo])

    def _write_batch(self, todo: list[ItemRow], vectors: np.ndarray) -> None:
        """Vectors first, then the rows in one transaction (a rerun repairs a crash between)."""
        if not todo:
            return
        for vertical in VERTICALS:
            picks = [n for n, r in enumerate(todo) if r.vertical == vertical]
            if picks:
                self._vectors.upsert(
                    vertical,
                    [todo[n].id for n in picks],
                    vectors[picks],
                    [chroma_metadata(todo[n]) for n in picks],
                )
        self._store.write(todo)

    def delete(self, vertical: Vertical, ids: Sequence[str]) -> int:
        """Remove items from both backends; returns how many the item store held."""
        _check_vertical(vertical)
        ids = list(dict.fromkeys(ids))
        if not ids:
            return 0
        self._vectors.delete(vertical, ids)
        return self._store.delete(vertical, ids)

    def prune(self, vertical: Vertical, keep_ids: set[str]) -> int:
        """Delete every item of `vertical` not in `keep_ids`, in either backend."""
        _check_vertical(vertical)
        stale = (self._store.ids(vertical) | self._vectors.ids(vertical)) - keep_ids
        self.delete(vertical, sorted(stale))
        return len(stale)

    def search(
        self,
        vertical: Vertical,
        text: str,
        filters: Filters | None = None,
        *,
        k: int = 10,
        mode: SearchMode = "hybrid",
        fusion: FusionMethod = "rrf",
        candidates: int = 50,
        rrf_k: int = 60,
        dense_weight: float = 0.5,
        min_similarity: float | None = None,
        ranker: Reranker | None = None,
    ) -> list[Hit]:
        """Top `k` items of `vertical` for `text` under `filters`.

        With a `ranker`, `candidates` items from each retriever are pooled and re-ranked
        by it, and each hit's score is the ranker's probability of relevance.

        `dense_weight` is the dense side's share in normalised fusion (lexical 1 - it).
        Empty text browses the filtered items (rating, then title) with score 0.0.
        `min_similarity` drops hits found only by the dense side whose cosine is below
        it: loose neighbours of a query the catalog cannot answer.
        Ranks on hits are 1-based positions in the lexical and dense candidate lists.
        """
        _check_vertical(vertical)
        if mode not in ("hybrid", "lexical", "dense"):
            raise ValueError(f"unknown search mode {mode!r}; use hybrid, lexical or dense")
        if k <= 0:
            return []
        where_sql = sql_where(vertical, filters)
        text = text.strip()
        if not text:
            primary = filters.category if filters is not None else None
            ids = browse(self._store, vertical, where_sql, k, primary)
            return [Hit(item=item, score=0.0) for item in self.get(vertical, ids)]
        limit = max(candidates, k)
        if ranker is not None:
            return self._reranked(vertical, text, filters, k, limit, ranker, min_similarity)
        lexical: list[tuple[str, float]] = []
        if mode != "dense":
            with leaf("retrieve.lexical", {"tessera.vertical": vertical}) as s:
                lexical = self._lexical.search(vertical, text, where_sql, limit)
                s.set_attribute("tessera.hits", len(lexical))
        dense: list[tuple[str, float]] = []
        vector: np.ndarray | None = None
        if mode != "lexical":
            with span("retrieve.dense", {"tessera.vertical": vertical}) as s:
                vector = self.embedder.embed_query(text)
                dense = self._dense(
                    vertical, text, filters, limit, lexical_too=mode == "hybrid", vector=vector
                )
                s.set_attribute("tessera.hits", len(dense))
            if mode == "dense" and vertical in self._dense_problems:
                raise IndexUnavailable(
                    f"the {vertical} vectors are damaged ({self._dense_problems[vertical]}); "
                    "run `tessera index --repair`"
                )
        with leaf("retrieve.fusion", {"tessera.vertical": vertical, "tessera.fusion": fusion}) as s:
            fused = fuse(lexical, dense, method=fusion, rrf_k=rrf_k, dense_weight=dense_weight)
            s.set_attribute("tessera.hits", len(fused))
        stored = self._store.json_by_id(vertical, [f.id for f in fused])
        model = ITEM_TYPES[vertical]
        hits: list[Hit] = []
        similarity = dict(dense)
        floor = min_similarity
        for f in fused:
            if floor is not None and f.lexical_rank is None and similarity.get(f.id, 1.0) < floor:
                continue
            if f.id in stored:
                item = model.model_validate_json(stored[f.id])
                hits.append(
                    Hit(
                        item=item,
                        score=f.score,
                        lexical_rank=f.lexical_rank,
                        dense_rank=f.dense_rank,
                        similarity=similarity.get(f.id),
                    )
                )
                if len(hits) == k and not (filters is not None and filters.category):
                    break
        if vector is not None:
            hits = self._with_similarity(vertical, hits, vector)
        if filters is not None and filters.category:
            weighted = [
                h.model_copy(update={"score": h.score * item_weight(h.item, filters)}) for h in hits
            ]
            hits = sorted(weighted, key=lambda h: -h.score)
        return hits[:k]

    def _with_similarity(
        self, vertical: Vertical, hits: list[Hit], vector: np.ndarray
    ) -> list[Hit]:
        """Fill the cosine of hits the dense list missed from their stored vectors."""
        missing = [h.item.id for h in hits if h.similarity is None]
        if not missing or vertical in self._dense_problems:
            return hits
        stored = self._vectors.vectors(vertical, missing)
        query = np.asarray(vector, dtype=np.float32)
        return [
            h.model_copy(update={"similarity": float(np.dot(stored[h.item.id], query))})
            if h.similarity is None and h.item.id in stored
            else h
            for h in hits
        ]

    def attach_title_encoder(self, encoder: Embedder) -> None:
        """Give every pool a second encoder's title cosine (`Candidate.semantic_score`),
        from the vectors `sync_title_vectors` stored; the query is embedded alongside the
        two retrievers."""
        if self._titles is None:
            self._titles = TitleVectors(self.path / TITLE_VECTORS_FILE, encoder.name, encoder.dim)
            self._title_pool = ThreadPoolExecutor(1, thread_name_prefix="tessera-title-query")
        self._title_encoder = encoder

    def sync_title_vectors(
        self,
        vertical: Vertical,
        *,
        batch: int = 1024,
        progress: Callable[[int], None] | None = None,
        stop: threading.Event | None = None,
        total: Callable[[int], None] | None = None,
    ) -> int:
        """Embed the titles of `vertical`'s items that have no current title vector and drop
        the vectors of deleted items; returns how many were embedded. `total` is told how
        many need embedding before the first batch, `progress` each batch's size."""
        _check_vertical(vertical)
        if self._titles is None or self._title_encoder is None:
            raise RuntimeError("attach_title_encoder first")
        hashes = {str(i): str(h) for i, h in self._store.read(
            "SELECT id, hash FROM items WHERE vertical = ?", (vertical,))}  # fmt: skip
        self._titles.prune(vertical, set(hashes))
        stale = self._titles.stale(vertical, hashes)
        if total:
            total(len(stale))
        done = 0
        for start in range(0, len(stale), batch):
            if stop is not None and stop.is_set():
                break
            items = self.get(vertical, stale[start : start + batch])
            vectors = self._title_encoder.embed_documents([item.title for item in items])
            ids = [item.id for item in items]
            self._titles.put(vertical, ids, [hashes[i] for i in ids], vectors)
            done += len(items)
            if progress:
                progress(len(items))
        return done

    @property
    def title_vectors_attached(self) -> bool:
        return self._title_encoder is not None

    def title_vector_count(self, vertical: Vertical) -> int:
        """How many of `vertical`'s items have a stored title vector (0 without an encoder)."""
        return self._titles.count(vertical) if self._titles is not None else 0

    def candidates(
        self,
        vertical: Vertical,
        text: str,
        filters: Filters | None = None,
        *,
        depth: int = 100,
    ) -> list[Candidate]:
        """The pooled top `depth` of each retriever, with what each said of every item.

        Lexical candidates carry their BM25 per field; every candidate carries its cosine
        to the query, read from the stored vectors when the dense list missed it.
        """
        return [c for _, c in self._pool(vertical, text.strip(), filters, depth)]

    def _pool(
        self, vertical: Vertical, text: str, filters: Filters | None, depth: int
    ) -> list[tuple[CatalogItem, Candidate]]:
        _check_vertical(vertical)
        if not text or depth <= 0:
            return []
        title_query = self._embed_title_query(vertical, text)
        with leaf("retrieve.lexical", {"tessera.vertical": vertical}) as s:
            where_sql = sql_where(vertical, filters)
            lexical = self._lexical.search_fields(vertical, text, where_sql, depth)
            s.set_attribute("tessera.hits", len(lexical))
        with span("retrieve.dense", {"tessera.vertical": vertical}) as s:
            vector = self.embedder.embed_query(text)
            dense = self._dense(vertical, text, filters, depth, lexical_too=True, vector=vector)
            s.set_attribute("tessera.hits", len(dense))
        lex = {d: (rank, score, fields) for rank, (d, score, fields) in enumerate(lexical, 1)}
        cosine = {d: (rank, score) for rank, (d, score) in enumerate(dense, 1)}
        ids = list(dict.fromkeys([d for d, _, _ in lexical] + [d for d, _ in dense]))
        unseen = [d for d in ids if d not in cosine]
        stored_vectors = (
            self._vectors.vectors(vertical, unseen)
            if unseen and vertical not in self._dense_problems
            else {}
        )
        query = np.asarray(vector, dtype=np.float32)
        items = self.get(vertical, ids)
        semantic = self._title_cosines(vertical, ids, title_query)
        pool = []
        for item in items:
            lex_rank, lex_score, fields = lex.get(item.id, (None, None, None))
            dense_rank, dense_score = cosine.get(item.id, (None, None))
            if dense_score is None and item.id in stored_vectors:
                dense_score = float(np.dot(stored_vectors[item.id], query))
            pool.append(
                (
                    item,
                    from_item(
                        item,
                        lexical_rank=lex_rank,
                        lexical_score=lex_score,
                        field_scores=fields,
                        dense_rank=dense_rank,
                        dense_score=dense_score,
                        semantic_score=semantic.get(item.id),
                    ),
                )
            )
        return pool

    def _embed_title_query(self, vertical: Vertical, text: str) -> Future[np.ndarray] | None:
        """Start embedding the query for the title cosines, when `vertical` has vectors."""
        encoder, pool, titles = self._title_encoder, self._title_pool, self._titles
        if encoder is None or pool is None or titles is None or not titles.has(vertical):
            return None
        return pool.submit(encoder.embed_query, text)

    def _title_cosines(
        self, vertical: Vertical, ids: Sequence[str], query: Future[np.ndarray] | None
    ) -> dict[str, float]:
        if query is None or self._titles is None:
            return {}
        stored = self._titles.get(vertical, ids)
        if not stored:
            return {}
        try:
            vec = np.asarray(query.result(timeout=TITLE_QUERY_TIMEOUT_S), dtype=np.float32)
        except Exception as exc:  # noqa: BLE001 - the ranker then sees these features missing
            log.warning("title-vector query embedding failed: %s", exc)
            return {}
        matrix = np.stack(list(stored.values()))
        return dict(zip(stored, (matrix @ vec).tolist(), strict=True))

    def _reranked(
        self,
        vertical: Vertical,
        text: str,
        filters: Filters | None,
        k: int,
        depth: int,
        ranker: Reranker,
        floor: float | None,
    ) -> list[Hit]:
        pool = self._pool(vertical, text, filters, depth)
        by_id = {c.id: (item, c) for item, c in pool}
        hits: list[Hit] = []
        with leaf("retrieve.rerank", {"tessera.vertical": vertical}) as s:
            ranked = ranker.rank(text, [c for _, c in pool])
            s.set_attribute("tessera.candidates", len(pool))
        for scored in ranked:
            item, cand = by_id[scored.id]
            if floor is not None and cand.lexical_rank is None and (cand.dense_score or 0) < floor:
                continue
            hits.append(
                Hit(
                    item=item,
                    score=scored.probability,
                    lexical_rank=cand.lexical_rank,
                    dense_rank=cand.dense_rank,
                    relevance=min(max(scored.probability, 0.0), 1.0),
                    similarity=cand.dense_score,
                )
            )
            if len(hits) == k:
                break
        return hits

    def ranker_candidates(self, vertical: Vertical, batch: int = 2000) -> Iterator[Candidate]:
        """Every item of `vertical` as the ranker sees it, without retrieval fields, read in
        batches (for priming the ranker before the first query)."""
        _check_vertical(vertical)
        model = ITEM_TYPES[vertical]
        last = ""
        while True:
            rows = self._store.read(
                "SELECT id, json FROM items WHERE vertical = ? AND id > ? ORDER BY id LIMIT ?",
                (vertical, last, batch),
            )
            if not rows:
                return
            for _, stored in rows:
                yield from_item(model.model_validate_json(stored))
            last = rows[-1][0]

    def titles(self, vertical: Vertical) -> list[str]:
        """Every title of `vertical`: the catalog's own vocabulary, for spelling correction."""
        _check_vertical(vertical)
        return [str(r[0]) for r in self._store.read(
            "SELECT title FROM items WHERE vertical = ?", (vertical,))]  # fmt: skip

    def _dense(
        self,
        vertical: Vertical,
        text: str,
        filters: Filters | None,
        limit: int,
        lexical_too: bool,
        vector: np.ndarray | None = None,
    ) -> list[tuple[str, float]]:
        """Dense candidates, or none when the vertical's vectors are out of use."""
        if vertical in self._dense_problems:
            event("fallback.lexical_only", {"tessera.vertical": vertical})
            return []
        if vector is None:
            vector = self.embedder.embed_query(text)
        try:
            return self._vectors.query(vertical, vector, chroma_where(vertical, filters), limit)
        except Exception as exc:
            found = check_vertical(self._store, self._vectors, vertical, OPEN_SAMPLES)
            if not lexical_too or not found.problem:
                raise
            self._dense_problems[vertical] = (
                f"dense search failed ({type(exc).__name__}: {str(exc)[:120]}); {found.problem}"
            )
            return []

    def get(self, vertical: Vertical, ids: Sequence[str]) -> list[CatalogItem]:
        """Items by id, in the order asked; unknown ids are skipped."""
        _check_vertical(vertical)
        stored = self._store.json_by_id(vertical, ids)
        model = ITEM_TYPES[vertical]
        return [model.model_validate_json(stored[i]) for i in dict.fromkeys(ids) if i in stored]

    def embeddings(self, vertical: Vertical, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored unit vectors of items by id (no re-embedding); unknown ids are left out."""
        _check_vertical(vertical)
        return self._vectors.vectors(vertical, list(dict.fromkeys(ids)))

    def count(self, vertical: Vertical | None = None) -> int:
        if vertical is not None:
            _check_vertical(vertical)
        return self._store.count(vertical)

    def facets(self) -> FacetVocabulary:
        """The indexed facet values with counts; rebuilt only when the version changes."""
        version = self.version
        with self._facets_lock:
            if self._facets is None or self._facets[0] != version:
                self._facets = (version, self._store.facet_vocabulary())
            return self._facets[1]

    def terms(self) -> CatalogTerms:
        """The catalog's nouns and their phrases; rebuilt only when the version changes."""
        version = self.version
        with self._facets_lock:
            if self._terms is None or self._terms[0] != version:
                self._terms = (version, self._store.terms())
            return self._terms[1]

    def close(self) -> None:
        if self._title_pool is not None:
            self._title_pool.shutdown(wait=True)
        if self._titles is not None:
            self._titles.close()
        self._vectors.close()
        self._store.close()


def _batches(items: Iterable[CatalogItem], size: int) -> Iterator[list[CatalogItem]]:
    batch: list[CatalogItem] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _finish(pending: tuple[Future[None], int], progress: Callable[[int], None] | None) -> None:
    pending[0].result()
    if progress:
        progress(pending[1])


def _check_vertical(vertical: str) -> None:
    if vertical not in VERTICALS:
        raise ValueError(f"unknown vertical {vertical!r}; expected one of {', '.join(VERTICALS)}")
