"""The dependencies object every node receives, and the one place it is opened and closed.

`open_deps(settings)` is an async context manager: it opens the index, the
caches, personalisation, image search and the LLM planner as asked, and closes
every one of them, in reverse order, when the context ends (also when opening
fails half-way). The web lifespan, every CLI command and the eval runner use it.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from agent.cache import Caches
from agent.llm.gate import LLMGate
from agent.models import Plan
from agent.personal.module_ranker import ModuleWeights
from agent.settings import Settings
from agent.understand.model import Understanding
from agent.understand.speller_cache import SpellerCache
from tools.embeddings import load_embedder
from tools.expansions import ExpansionStore
from tools.facets import FacetVocabulary
from tools.index import CatalogIndex, IndexUnavailable
from tools.registry import ToolContext

if TYPE_CHECKING:
    from agent.llm.client import Budget, LLMClient
    from agent.personal.setup import Personal
    from agent.planning.router import Router
    from agent.vision import Vision
    from tools.index import Reranker
    from tools.ltr.features import Candidate


log = logging.getLogger(__name__)


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
    router: Router | None = None
    gate: LLMGate | None = None
    ranker: Reranker | None = None
    ranker_note: str = "fusion ranking"
    module_weights: ModuleWeights = field(default_factory=ModuleWeights)
    spellers: SpellerCache = field(default_factory=SpellerCache)
    expansions: ExpansionStore | None = None

    def __post_init__(self) -> None:
        if self.gate is None:
            s = self.settings
            self.gate = LLMGate(
                slots=s.llm_concurrency,
                wait_s=s.llm_queue_wait_s,
                failures=s.llm_breaker_failures,
                cooldown_s=s.llm_breaker_cooldown_s,
            )

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
            dense_weights=self.settings.dense_weights,
        )


def load_ranker(settings: Settings) -> tuple[Reranker | None, str]:
    """The learned ranker when `TESSERA_RANKER=ltr` and one is saved, with a note saying
    which ranking shopping searches use (and why, when there is no model)."""
    mode = settings.vertical_modes.get("shopping", "hybrid")
    fallback = {
        "hybrid": f"{settings.fusion} fusion",
        "hybrid-norm": "normalized fusion",
        "lexical": "BM25",
    }.get(mode, mode)
    if settings.ranker != "ltr":
        return None, f"{fallback} ranking"
    from tools.ltr import ModelUnavailable, RankerModel

    try:
        model = RankerModel.load(settings.ranker_dir)
    except ModelUnavailable as exc:
        return None, f"ltr ranker unavailable, {fallback} used instead: {exc}"
    return model, f"ltr ranker ({model.report.dataset}, {model.report.queries} queries)"


def attach_title_encoder(index: CatalogIndex, settings: Settings) -> str | None:
    """Give shopping pools the learned ranker's second view of titles (e5 cosines); the
    reason when it cannot load (the ranker then sees those features as missing)."""
    from tools.embeddings import E5TitleEncoder, EmbedderUnavailable

    try:
        index.attach_title_encoder(E5TitleEncoder(cache_size=settings.query_cache_size))
    except EmbedderUnavailable as exc:
        return f"title vectors off: {exc}"
    return None


def start_priming(index: CatalogIndex, ranker: Reranker) -> Callable[[], None]:
    """Prepare every shopping item for the learned ranker in a background thread, so a
    serving process re-ranks without building item profiles on the request path; the
    title vectors of items indexed without them are embedded first. The function
    returned stops the thread and waits for it."""
    prime = getattr(ranker, "prime", None)
    stop = threading.Event()
    if prime is None:
        return stop.set

    def items() -> Iterator[Candidate]:
        for cand in index.ranker_candidates("shopping"):
            if stop.is_set():
                return
            yield cand

    def run() -> None:
        started = time.perf_counter()
        try:
            if index.title_vectors_attached:
                embedded = index.sync_title_vectors("shopping", stop=stop)
                if embedded:
                    log.info("embedded %d shopping titles for the ranker", embedded)
            primed = prime(items())
        except Exception as exc:  # noqa: BLE001 - priming only saves time; requests still work
            log.warning("priming the ranker stopped: %s", exc)
            return
        log.info("ranker primed %d items in %.1f s", primed, time.perf_counter() - started)

    thread = threading.Thread(target=run, name="tessera-ranker-prime", daemon=True)
    thread.start()

    def halt() -> None:
        stop.set()
        thread.join(timeout=10)

    return halt


def open_index(settings: Settings, *, create: bool = False) -> CatalogIndex:
    """Open the index the settings name; with create=False a missing one is an error.

    The embedded default is the index under TESSERA_HOME; `agent.backends` picks
    a Chroma server and item-store snapshots when they are configured.
    """
    if settings.chroma_url or settings.snapshots is not None:
        from agent.backends import open_catalog_index

        return open_catalog_index(settings, create=create)
    path = settings.index_dir
    if not create and not path.exists():
        raise IndexUnavailable(
            f"no index at {path}: build one with `tessera index --starter` "
            "(or `tessera index --source FILE`)"
        )
    return CatalogIndex(path, load_embedder(settings.query_cache_size), create=create)


def _open_expansions(settings: Settings) -> ExpansionStore | None:
    """The shared store of aspect expansions; None (and a warning) when it cannot open."""
    from agent.backends import open_expansions

    try:
        return open_expansions(settings)
    except Exception as exc:  # noqa: BLE001 - expansions are a cache: pages work without
        log.warning("aspect expansions are not kept across requests: %s", exc)
        return None


def settle_heap() -> None:
    """Collect once, then hide what start-up built (the index, the models, the catalog's
    terms) from the garbage collector with `gc.freeze()`. A full collection otherwise walks
    all of it, a pause of about 150 ms that lands on some request; frozen, the collector
    only walks what requests make. Measured on the tracing bench: p50 31.2 -> 28.6 ms."""
    gc.collect()
    gc.freeze()


@asynccontextmanager
async def open_deps(
    settings: Settings,
    *,
    use_llm: bool | None = None,
    vision: bool = False,
    serving: bool = False,
    require_personal: bool = False,
) -> AsyncIterator[Deps]:
    """Dependencies for one process, closed when the context ends.

    `use_llm=None` follows `settings.planner`; `vision=True` loads the image
    model (image queries) when it is installed; `serving=True` (web app, chat)
    lets background work such as the query graph start. Personalisation is off
    (with a warning) when its database is unusable, unless `require_personal`.
    """
    from agent.personal.setup import open_personal, open_personal_or_none
    from agent.quality import category_names

    async with AsyncExitStack() as stack:
        index = open_index(settings)
        stack.callback(index.close)
        deps = Deps(settings=settings, index=index, caches=Caches())
        stack.callback(deps.spellers.warm(index).join)
        deps.ranker, deps.ranker_note = load_ranker(settings)
        if deps.ranker is not None:
            problem = attach_title_encoder(index, settings)
            if problem:
                deps.ranker_note += f"; {problem}"
        if serving:
            index.terms()  # the catalog's nouns, read once here rather than on a request
            category_names.warm(index)
        if serving and deps.ranker is not None:
            stack.callback(start_priming(index, deps.ranker))
        deps.module_weights = ModuleWeights.load(settings.module_weights_path)
        deps.expansions = _open_expansions(settings)
        if deps.expansions is not None:
            stack.callback(deps.expansions.close)
        if require_personal:
            deps.personal = open_personal(settings, index, build_graphs=serving)
        else:
            deps.personal = open_personal_or_none(settings, index, build_graphs=serving)
        if deps.personal is not None:
            stack.callback(deps.personal.close)
        if vision:
            from agent.vision import open_vision

            deps.vision, deps.vision_note = open_vision(settings)
            if deps.vision is not None:
                stack.callback(deps.vision.close)
        if settings.planner != "rule":
            from agent.planning.router import Router

            deps.router = Router.load(index.embedder)
        want_llm = settings.planner in ("llm", "hybrid", "auto") if use_llm is None else use_llm
        if not want_llm:
            deps.planner_note = "rule planner (LLM off by choice)"
        else:
            from agent.planning.setup import connect_llm_planner, may_autostart

            start = settings.planner in ("llm", "hybrid") or may_autostart(settings)
            attached = await connect_llm_planner(settings, start=start)
            deps.planner_note = attached.note
            if attached.client is not None:
                stack.push_async_callback(attached.client.aclose)
                deps.llm, deps.planner = attached.client, attached.planner
        yield deps
