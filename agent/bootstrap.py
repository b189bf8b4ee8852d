"""Build the clients at the edge: index, embedder, caches and (optionally) the LLM planner."""

from __future__ import annotations

from agent.cache import Caches
from agent.deps import Deps
from agent.personal_setup import open_personal_or_none
from agent.settings import Settings
from tools.embeddings import load_embedder
from tools.index import CatalogIndex, IndexUnavailable, Reranker


def load_ranker(settings: Settings) -> tuple[Reranker | None, str]:
    """The learned ranker when `TESSERA_RANKER=ltr` and one is saved, with a note saying
    which ranking shopping searches use (fusion, and why, when there is no model)."""
    mode = settings.vertical_modes.get("shopping", "hybrid")
    fallback = {"hybrid": f"{settings.fusion} fusion", "lexical": "BM25"}.get(mode, mode)
    if settings.ranker != "ltr":
        return None, f"{fallback} ranking"
    from tools.ltr import ModelUnavailable, RankerModel

    try:
        model = RankerModel.load(settings.ranker_dir)
    except ModelUnavailable as exc:
        return None, f"ltr ranker unavailable, {fallback} used instead: {exc}"
    return model, f"ltr ranker ({model.report.dataset}, {model.report.queries} queries)"


def open_index(settings: Settings, *, create: bool = False) -> CatalogIndex:
    """Open the index under TESSERA_HOME; with create=False a missing one is an error."""
    path = settings.index_dir
    if not create and not path.exists():
        raise IndexUnavailable(
            f"no index at {path}: build one with `tessera index --starter` "
            "(or `tessera index --source FILE`)"
        )
    embedder = load_embedder(settings)
    return CatalogIndex(path, embedder, create=create)


async def build_deps(
    settings: Settings, *, use_llm: bool | None = None, vision: bool = False, serving: bool = False
) -> Deps:
    """Dependencies for one process. `use_llm=None` follows `settings.planner`;
    `vision=True` loads the image model (image queries) when it is installed;
    `serving=True` (web app, chat) lets background work such as the query graph start."""
    index = open_index(settings)
    deps = Deps(settings=settings, index=index, caches=Caches())
    deps.ranker, deps.ranker_note = load_ranker(settings)
    deps.personal = open_personal_or_none(settings, index, build_graphs=serving)
    if vision:
        from agent.vision_setup import open_vision

        deps.vision, deps.vision_note = open_vision(settings)
    want_llm = settings.planner in ("llm", "hybrid", "auto") if use_llm is None else use_llm
    if not want_llm:
        deps.planner_note = "rule planner (LLM off by choice)"
    if want_llm:
        from agent.llm_setup import attach_llm_planner

        await attach_llm_planner(deps, start=settings.planner in ("llm", "hybrid"))
    return deps
