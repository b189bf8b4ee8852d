"""The runner: puts every case of a suite through every configuration, one at a time.

A configuration is a factory that opens a `System` (an async callable plus optional
usage counters) as an async context manager, so whatever it holds (an index, an LLM
server) is closed afterwards. Cases run sequentially, so latencies are not skewed by
contention. An exception on one case is recorded on that case and the run goes on;
a configuration that cannot start is recorded and the others still run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from pydantic import BaseModel
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from evals.report import CaseResult, ConfigResult, summarize

C = TypeVar("C", bound="Case")
O = TypeVar("O")  # noqa: E741


class Case(Protocol):
    """Anything with a stable id can be a case."""

    @property
    def id(self) -> str: ...


class Usage(BaseModel):
    """Cumulative LLM use; the runner takes the difference around each case."""

    llm_calls: int = 0
    llm_tokens: int = 0
    llm_ms: float = 0.0


@dataclass
class System(Generic[C, O]):
    """A configuration ready to answer cases: `call(case) -> output`."""

    call: Callable[[C], Awaitable[O]]
    usage: Callable[[], Usage] | None = None
    description: str = ""


SystemFactory = Callable[[], AbstractAsyncContextManager[System[C, O]]]


@dataclass(frozen=True)
class Observation(Generic[C, O]):
    """What one case produced under one configuration: an output or an error."""

    case: C
    output: O | None
    error: str | None
    latency_ms: float
    usage: Usage = field(default_factory=Usage)


Scorer = Callable[[Sequence[Observation[C, O]]], list[CaseResult]]


def make_progress(*, console: Console | None = None, disable: bool = False) -> Progress:
    """The progress bar used for long eval work."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=disable,
    )


async def run_cases(
    cases: Sequence[C],
    system: System[C, O],
    *,
    label: str = "",
    progress: Progress | None = None,
    timeout_s: float | None = None,
) -> list[Observation[C, O]]:
    """Answer each case in order; an exception or timeout is recorded, never raised."""
    task = progress.add_task(label or "cases", total=len(cases)) if progress else None
    observations: list[Observation[C, O]] = []
    for case in cases:
        before = system.usage() if system.usage else Usage()
        start = time.perf_counter()
        output: O | None = None
        error: str | None = None
        try:
            output = await asyncio.wait_for(system.call(case), timeout_s)
        except TimeoutError:
            error = f"timed out after {timeout_s:g} s"
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        elapsed = (time.perf_counter() - start) * 1000
        after = system.usage() if system.usage else Usage()
        usage = Usage(
            llm_calls=after.llm_calls - before.llm_calls,
            llm_tokens=after.llm_tokens - before.llm_tokens,
            llm_ms=after.llm_ms - before.llm_ms,
        )
        observations.append(Observation(case, output, error, elapsed, usage))
        if progress is not None and task is not None:
            progress.advance(task)
    return observations


async def run_configs(
    cases: Sequence[C],
    configs: Mapping[str, SystemFactory[C, O]],
    score: Scorer[C, O],
    metrics: list[str],
    *,
    progress: Progress | None = None,
    timeout_s: float | None = None,
) -> list[ConfigResult]:
    """Run every configuration over `cases` and score them; failures stay in the results."""
    results: list[ConfigResult] = []
    for name, factory in configs.items():
        start = time.perf_counter()
        try:
            async with factory() as system:
                observations = await run_cases(
                    cases, system, label=name, progress=progress, timeout_s=timeout_s
                )
                description = system.description
        except Exception as exc:
            results.append(
                ConfigResult(
                    name=name,
                    error=f"{type(exc).__name__}: {exc}",
                    elapsed_s=time.perf_counter() - start,
                )
            )
            continue
        scored = score(observations)
        results.append(
            ConfigResult(
                name=name,
                description=description,
                summary=summarize(scored, metrics),
                cases=scored,
                elapsed_s=round(time.perf_counter() - start, 3),
            )
        )
    return results


def base_result(obs: Observation[C, O], query: str = "") -> CaseResult:
    """A `CaseResult` carrying the observation's timing, usage and error, without metrics."""
    return CaseResult(
        id=obs.case.id,
        query=query,
        latency_ms=round(obs.latency_ms, 3),
        llm_calls=obs.usage.llm_calls,
        llm_tokens=obs.usage.llm_tokens,
        llm_ms=round(obs.usage.llm_ms, 3),
        error=obs.error,
    )
