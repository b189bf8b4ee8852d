"""The dependencies object every node receives: clients built once at the edge."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from agent.models import Plan
from agent.settings import Settings
from agent.understanding import Understanding
from tools.facets import FacetVocabulary
from tools.registry import ToolContext

if TYPE_CHECKING:
    from agent.cache import Caches
    from agent.llm import Budget, LLMClient
    from agent.personal_setup import Personal
    from agent.vision_setup import Vision
    from tools.index import CatalogIndex, Reranker


class Planner(Protocol):
    """An LLM planner: returns a grounded plan or raises so the rule planner takes over."""

    name: str

    async def plan(
        self,
        understood: Understanding,
        vocab: FacetVocabulary,
        *,
        history: list[str] | None = None,
        budget: Budget | None = None,
    ) -> Plan: ...


@dataclass
class Deps:
    """Clients and settings for one process; passed to the graph as its context."""

    settings: Settings
    index: CatalogIndex
    planner: Planner | None = None
    planner_note: str = field(default="rule planner: no LLM configured")
    caches: Caches | None = None
    llm: LLMClient | None = None
    personal: Personal | None = None
    vision: Vision | None = None
    vision_note: str = "image search not loaded"
    ranker: Reranker | None = None
    ranker_note: str = "fusion ranking"

    @property
    def tools(self) -> ToolContext:
        return ToolContext(
            index=self.index,
            fusion=self.settings.fusion,
            candidates=self.settings.candidates,
            rrf_k=self.settings.rrf_k,
            min_similarity=self.settings.min_similarity,
            ranker=self.ranker,
            ranker_depth=self.settings.ranker_depth,
            modes=self.settings.vertical_modes,
        )
