"""What the retrieval suite's configurations are built from: the searcher they query,
the environment that opens it lazily, and the factory and system types.

Both the fusion configurations (`retrieval`) and the learned-ranker ones
(`retrieval_ltr`) build on this module, so neither imports the other.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from pydantic import JsonValue

from evals.beir import BeirDataset, BeirQuery
from evals.runner import System
from evals.suites import EvalContext
from tools.contract import Hit
from tools.filters import Filters
from tools.ltr.features import Candidate

if TYPE_CHECKING:
    from tools.embeddings import Embedder
    from tools.ltr.features import TermStats
    from tools.ltr.training import TrainingSet

Mode = Literal["hybrid", "lexical", "dense"]
Fusion = Literal["rrf", "normalized"]


class Searcher(Protocol):
    """The part of `CatalogIndex` this suite uses."""

    def search(
        self,
        vertical: Literal["ideas", "shopping", "video"],
        text: str,
        filters: Filters | None = None,
        *,
        k: int = 10,
        mode: Mode = "hybrid",
        fusion: Fusion = "rrf",
        candidates: int = 50,
        rrf_k: int = 60,
        dense_weight: float = 0.5,
    ) -> list[Hit]: ...

    def candidates(
        self,
        vertical: Literal["ideas", "shopping", "video"],
        text: str,
        filters: Filters | None = None,
        *,
        depth: int = 100,
    ) -> list[Candidate]: ...

    def titles(self, vertical: Literal["ideas", "shopping", "video"]) -> list[str]: ...

    def attach_title_encoder(self, encoder: Embedder) -> None: ...

    def sync_title_vectors(
        self,
        vertical: Literal["ideas", "shopping", "video"],
        *,
        batch: int = 1024,
        progress: Callable[[int], None] | None = None,
        stop: threading.Event | None = None,
        total: Callable[[int], None] | None = None,
    ) -> int: ...

    def count(self, vertical: Literal["ideas", "shopping", "video"] | None = None) -> int: ...


RetrievalSystem = System[BeirQuery, list[str]]


@dataclass
class RetrievalEnv:
    """What a retrieval configuration is built from; the index opens on first use."""

    ctx: EvalContext
    dataset: BeirDataset
    open_searcher: Callable[[], Searcher]
    queries: list[BeirQuery] = field(default_factory=list)
    pools: dict[str, TrainingSet] = field(default_factory=dict)
    extras: dict[str, JsonValue] = field(default_factory=dict)
    _searcher: Searcher | None = field(default=None, init=False)
    _speller: Callable[[str], str] | None = field(default=None, init=False)
    _term_stats: TermStats | None = field(default=None, init=False)
    _title_vectors: bool = field(default=False, init=False)

    def searcher(self) -> Searcher:
        if self._searcher is None:
            self._searcher = self.open_searcher()
        return self._searcher

    def speller(self) -> Callable[[str], str]:
        """The engine's query correction against the indexed titles, built on first use."""
        if self._speller is None:
            from agent.understand.spelling import Speller
            from agent.understand.words import CatalogWords

            words = CatalogWords.from_texts(self.searcher().titles("ideas"))
            self._speller = Speller(words).correct
        return self._speller

    def term_stats(self) -> TermStats:
        """Document frequencies of the indexed titles' stems, built on first use."""
        if self._term_stats is None:
            from tools.ltr.features import TermStats

            self._term_stats = TermStats.from_titles(self.searcher().titles("ideas"))
        return self._term_stats

    def title_vectors(self) -> None:
        """Give pools the second encoder's title cosines, embedding the indexed titles that
        have no vector yet (once per index: Home Depot's 54,667 titles took 34 min here)."""
        if self._title_vectors:
            return
        from tools.embeddings import E5TitleEncoder

        searcher = self.searcher()
        searcher.attach_title_encoder(E5TitleEncoder(cache_size=self.ctx.settings.query_cache_size))
        bar = self.ctx.progress
        task = bar.add_task("title vectors", total=None) if bar else None
        searcher.sync_title_vectors(
            "ideas",
            progress=lambda n: bar.advance(task, n) if bar and task is not None else None,
            total=lambda n: bar.update(task, total=n) if bar and task is not None else None,
        )
        self._title_vectors = True

    def close(self) -> None:
        """Close the index if it was opened."""
        close = getattr(self._searcher, "close", None)
        if callable(close):
            close()
        self._searcher = None


RetrievalFactory = Callable[[RetrievalEnv], AbstractAsyncContextManager[RetrievalSystem]]
