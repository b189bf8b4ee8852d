"""The search tools the planner may route to, registered in one place.

Each tool is a typed async function; its docstring is its description for the
planner and its name is a value of the planner's tool enum (`ToolName`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from tools.catalog import Vertical
from tools.contract import Hit, SubQuery, ToolName
from tools.fusion import FusionMethod

if TYPE_CHECKING:
    from tools.index import CatalogIndex, Reranker


@dataclass(frozen=True)
class ToolContext:
    """What a tool needs: the index and how to search it."""

    index: CatalogIndex
    fusion: str = "rrf"
    candidates: int = 50
    rrf_k: int = 60
    min_similarity: float | None = None
    ranker: Reranker | None = None
    ranker_depth: int = 100
    modes: Mapping[str, str] = field(default_factory=dict)
    """Retrieval mode per vertical (hybrid, hybrid-norm, lexical or dense); hybrid when
    absent. hybrid fuses with `fusion`, hybrid-norm with normalised scores."""
    dense_weights: Mapping[str, float] = field(default_factory=dict)
    """Dense share of normalised fusion per vertical; 0.5 when absent."""


async def _search(ctx: ToolContext, vertical: Vertical, sq: SubQuery, k: int) -> list[Hit]:
    if ctx.ranker is not None and vertical == "shopping" and sq.text.strip():
        return await asyncio.to_thread(
            ctx.index.search,
            vertical,
            sq.text,
            sq.filters,
            k=k,
            candidates=ctx.ranker_depth,
            min_similarity=ctx.min_similarity,
            ranker=ctx.ranker,
        )
    mode, fusion = retrieval_mode(ctx.modes.get(vertical, "hybrid"), ctx.fusion)
    return await asyncio.to_thread(
        ctx.index.search,
        vertical,
        sq.text,
        sq.filters,
        k=k,
        mode=mode,
        fusion=fusion,
        candidates=ctx.candidates,
        rrf_k=ctx.rrf_k,
        dense_weight=ctx.dense_weights.get(vertical, 0.5),
        min_similarity=ctx.min_similarity,
    )


def retrieval_mode(
    name: str, fusion: str = "rrf"
) -> tuple[Literal["hybrid", "lexical", "dense"], FusionMethod]:
    """`CatalogIndex.search`'s mode and fusion for a vertical mode name: `hybrid` fuses
    with `fusion`, `hybrid-norm` with normalised scores, `lexical` and `dense` use one side."""
    mode: Literal["hybrid", "lexical", "dense"] = (
        "lexical" if name == "lexical" else "dense" if name == "dense" else "hybrid"
    )
    normalised = name == "hybrid-norm" or fusion == "normalized"
    return mode, "normalized" if normalised else "rrf"


async def search_ideas(ctx: ToolContext, sq: SubQuery, k: int) -> list[Hit]:
    """Recipes, how-tos and inspiration: dishes, diets, cooking time, techniques."""
    return await _search(ctx, "ideas", sq, k)


async def search_products(ctx: ToolContext, sq: SubQuery, k: int) -> list[Hit]:
    """Products to buy: price range, colour, brand, category, availability."""
    return await _search(ctx, "shopping", sq, k)


async def search_videos(ctx: ToolContext, sq: SubQuery, k: int) -> list[Hit]:
    """Films and videos to watch: genre, length, year, director."""
    return await _search(ctx, "video", sq, k)


Tool = Callable[[ToolContext, SubQuery, int], Awaitable[list[Hit]]]

TOOLS: dict[ToolName, Tool] = {
    "search_ideas": search_ideas,
    "search_products": search_products,
    "search_videos": search_videos,
}


def describe_tools() -> str:
    """One line per tool, for prompts: `name: description`."""
    return "\n".join(f"- {name}: {(fn.__doc__ or '').strip()}" for name, fn in TOOLS.items())
