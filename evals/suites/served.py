"""Pages from the engine exactly as `POST /v1/search` makes them, for suites of typed requests.

The index and planner are opened as the web app opens them (`open_deps` following the
settings: an LLM attaches only where the settings let one attach), and threads are kept
in memory. A case may be several turns: every turn runs in one thread, in order, and the
last turn's page is the case's output.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import partial
from pathlib import Path
from typing import TypeVar

from agent.models import Page
from evals.report import ConfigResult
from evals.runner import Case, Scorer, System, Usage, run_configs
from evals.suites import EvalConfigError, EvalContext, choose, half, read_cases, select

C = TypeVar("C", bound=Case)
Turns = Callable[[C], Sequence[str]]
"""The texts a case sends, in order; the last one is scored."""

ServedFactory = Callable[[EvalContext], AbstractAsyncContextManager[System[C, Page]]]


async def run_served(
    ctx: EvalContext,
    configs: Sequence[str],
    available: Mapping[str, ServedFactory[C]],
    default: Sequence[str],
    data: Path,
    model: type[C],
    score: Scorer[C, Page],
    metrics: list[str],
) -> tuple[Path, list[C], list[ConfigResult]]:
    """The chosen half of the cases (`--dataset`, else `data`) through the chosen
    configurations as served, scored: the file read, its cases and the results."""
    chosen = choose(available, configs, default)
    path = Path(ctx.dataset) if ctx.dataset else data
    cases = select(half(read_cases(path, model), ctx.split), ctx.limit, ctx.seed)  # type: ignore[type-var]
    if not cases:
        raise EvalConfigError(f"{path} has no cases in split '{ctx.split or 'dev'}'.")
    results = await run_configs(
        cases,
        {name: partial(factory, ctx) for name, factory in chosen.items()},
        score,
        metrics,
        progress=ctx.progress,
        timeout_s=ctx.timeout_s,
    )
    return path, cases, results


def served(planner: str | None, turns: Turns[C]) -> ServedFactory[C]:
    """A configuration: the engine with `planner` (None keeps the configured one)."""
    return partial(_served, planner, turns)


@asynccontextmanager
async def _served(
    planner: str | None, turns: Turns[C], ctx: EvalContext
) -> AsyncIterator[System[C, Page]]:
    from langgraph.checkpoint.memory import InMemorySaver

    from agent.deps import open_deps
    from agent.engine import Engine
    from agent.memory import serializer
    from agent.models import SearchRequest

    settings = ctx.settings
    if planner is not None:
        settings = settings.model_copy(update={"planner": planner})
    async with open_deps(settings) as deps:
        engine = Engine(deps, checkpointer=InMemorySaver(serde=serializer()))
        used = Usage()

        async def call(case: C) -> Page:
            texts = list(turns(case))
            thread = engine.new_thread() if len(texts) > 1 else None
            page: Page | None = None
            for n, text in enumerate(texts):
                request = SearchRequest(text=text, thread_id=thread, k=settings.page_size)
                page = await engine.search(request, new_thread=n == 0)
                used.llm_calls += page.trace.llm_calls
                used.llm_tokens += page.trace.llm_tokens
                used.llm_ms += sum(c.latency_ms for c in page.trace.llm)
            if page is None:
                raise ValueError(f"case {case.id} sends no text")
            return page

        yield System(call=call, usage=lambda: used.model_copy(), description=deps.planner_note)
