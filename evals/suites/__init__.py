"""Eval suites, registered in one place, and what every suite is given.

A suite module exposes `SUITE: SuiteSpec` and a `CONFIGS` dict of configuration
factories (name -> factory); adding a configuration means adding one entry there.
Suite modules are imported only when used, so listing suites costs nothing.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import random
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pydantic import BaseModel, JsonValue, ValidationError
from rich.console import Console
from rich.progress import Progress

from agent.settings import Settings
from evals.beir import DatasetError
from evals.report import (
    ConfigResult,
    Reference,
    Report,
    collect_environment,
    public_settings,
)
from tools.errors import UserError

if TYPE_CHECKING:
    from agent.deps import Deps

DEFAULT_SEED = 13
DATA_DIR = Path(__file__).resolve().parent.parent / "data"
SUITE_MODULES: dict[str, str] = {
    "retrieval": "evals.suites.retrieval",
    "planning": "evals.suites.planning",
    "constraints": "evals.suites.constraints",
    "page": "evals.suites.page",
    "personalisation": "evals.suites.personalisation",
    "images": "evals.suites.images",
    "answerability": "evals.suites.answerability",
    "understanding": "evals.suites.understanding",
    "exploratory": "evals.suites.exploratory",
}
T = TypeVar("T")
F = TypeVar("F")
M = TypeVar("M", bound=BaseModel)


class EvalConfigError(UserError, ValueError):
    """A suite or configuration name is unknown, or a suite was asked for the wrong input."""


@dataclass(frozen=True)
class EvalContext:
    """What a suite run is given: settings, the data it reads, limits and where to report."""

    settings: Settings
    dataset: str | None = None
    split: str | None = None
    limit: int | None = None
    seed: int = DEFAULT_SEED
    depth: int = 100
    timeout_s: float | None = None
    console: Console = field(default_factory=Console)
    progress: Progress | None = None
    argv: list[str] = field(default_factory=list)


SuiteRun = Callable[[EvalContext, Sequence[str]], Coroutine[Any, Any, Report]]


@dataclass(frozen=True)
class SuiteSpec:
    """One suite: its name, what it measures, how to run it and its configurations."""

    name: str
    summary: str
    run: SuiteRun
    configs: Callable[[], list[str]]
    default_configs: tuple[str, ...]


def load_suite(name: str) -> SuiteSpec:
    """The suite registered under `name`."""
    module_name = SUITE_MODULES.get(name)
    if module_name is None:
        raise EvalConfigError(f"Unknown suite '{name}'; choose one of {sorted(SUITE_MODULES)}.")
    spec: SuiteSpec = importlib.import_module(module_name).SUITE
    return spec


def choose(
    available: Mapping[str, F], requested: Sequence[str], default: Sequence[str]
) -> dict[str, F]:
    """The requested configuration factories by name (the defaults when none is named)."""
    names = list(requested) or list(default)
    unknown = [n for n in names if n not in available]
    if unknown:
        raise EvalConfigError(
            f"Unknown configuration(s) {unknown}; this suite has {sorted(available)}."
        )
    return {n: available[n] for n in dict.fromkeys(names)}


def select(cases: Sequence[T], limit: int | None, seed: int) -> list[T]:
    """All cases, or a seeded sample of `limit` of them kept in their original order."""
    if limit is None or limit >= len(cases):
        return list(cases)
    if limit < 1:
        raise EvalConfigError(f"--limit must be at least 1 (got {limit}).")
    keep = sorted(random.Random(seed).sample(range(len(cases)), limit))
    return [cases[i] for i in keep]


class Halved(Protocol):
    """A case that belongs to the dev half or the held-out half of its file."""

    @property
    def split(self) -> str: ...


H = TypeVar("H", bound=Halved)
HALVES = ("dev", "heldout", "all")


def half(cases: Sequence[H], split: str | None) -> list[H]:
    """The cases of the chosen half: `dev` (the default), `heldout` or `all`."""
    chosen = split or "dev"
    if chosen not in HALVES:
        raise EvalConfigError(f"--split must be one of {list(HALVES)} for this suite.")
    return [c for c in cases if chosen == "all" or c.split == chosen]


def load_cases(ctx: EvalContext, default: Path, model: type[M]) -> tuple[Path, list[M]]:
    """The cases file (`--dataset` or the suite's own) and the selected cases from it."""
    path = Path(ctx.dataset) if ctx.dataset else default
    return path, select(read_cases(path, model), ctx.limit, ctx.seed)


def read_cases(path: Path, model: type[M]) -> list[M]:
    """Cases from a JSONL file, one object a line; a bad line or a repeated id is an error."""
    if not path.is_file():
        raise DatasetError(f"No cases file at {path}: pass one with --dataset PATH.")
    cases: list[M] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            if not line.strip() or line.lstrip().startswith("//"):
                continue
            try:
                case = model.model_validate(json.loads(line))
            except (json.JSONDecodeError, ValidationError) as exc:
                raise DatasetError(f"{path}:{lineno}: not a valid {model.__name__}: {exc}") from exc
            case_id = str(getattr(case, "id", lineno))
            if case_id in seen:
                raise DatasetError(f"{path}:{lineno}: the id '{case_id}' is used twice.")
            seen.add(case_id)
            cases.append(case)
    if not cases:
        raise DatasetError(f"{path} holds no cases.")
    return cases


def build_report(
    ctx: EvalContext,
    *,
    suite: str,
    metrics: list[str],
    primary: str,
    configs: list[ConfigResult],
    dataset: str | None = None,
    params: Mapping[str, JsonValue] | None = None,
    references: list[Reference] | None = None,
) -> Report:
    """A report with the run's environment, settings and parameters filled in."""
    base: dict[str, JsonValue] = {"limit": ctx.limit, "seed": ctx.seed, "timeout_s": ctx.timeout_s}
    return Report(
        suite=suite,
        dataset=dataset,
        primary_metric=primary,
        metrics=metrics,
        params=base | dict(params or {}),
        settings=public_settings(ctx.settings),
        environment=collect_environment(ctx.seed, ctx.argv),
        configs=configs,
        references=references or [],
    )


@asynccontextmanager
async def local_llm(settings: Settings) -> AsyncIterator[str]:
    """The base URL of an LLM server serving `settings.llm_model`.

    A server already answering is used as it is; otherwise the local one is started on
    `settings.llm_port` and stopped again on exit. A local server that serves another
    model is an error rather than a silently mislabelled configuration.
    """
    import httpx

    from agent.llm.client import local_base_url
    from agent.llm.server import find_or_start, stop_server

    running = await find_or_start(settings, start=False)
    base_url = running or await find_or_start(settings, start=True)
    if base_url is None:
        raise EvalConfigError(f"no LLM server answers for {settings.llm_model}")
    try:
        if base_url == local_base_url(settings):
            async with httpx.AsyncClient(timeout=5.0) as http:
                served = [
                    m.get("id") for m in (await http.get(f"{base_url}/models")).json()["data"]
                ]
            if settings.llm_model not in served:
                raise EvalConfigError(
                    f"the server at {base_url} serves {served}, not {settings.llm_model}: "
                    "stop that server or set TESSERA_LLM_PORT to a free port"
                )
        yield base_url
    finally:
        if running is None:
            await asyncio.to_thread(stop_server, settings, settings.llm_port)


@asynccontextmanager
async def engine_deps(settings: Settings, *, use_llm: bool) -> AsyncIterator[Deps]:
    """The engine's dependencies over the starter index, closed on exit.

    With `use_llm` an LLM planner must attach (the server is started if needed), else
    the configuration fails instead of quietly measuring the rule planner.
    """
    from agent.deps import open_deps

    async with AsyncExitStack() as stack:
        if use_llm:
            await stack.enter_async_context(local_llm(settings))
        deps = await stack.enter_async_context(open_deps(settings, use_llm=use_llm))
        if use_llm and deps.planner is None:
            raise EvalConfigError(f"no LLM planner attached: {deps.planner_note}")
        yield deps
