"""Eval suites, registered in one place, and what every suite is given.

A suite module exposes `SUITE: SuiteSpec` and a `CONFIGS` dict of configuration
factories (name -> factory); adding a configuration means adding one entry there.
Suite modules are imported only when used, so listing suites costs nothing.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pydantic import JsonValue
from rich.console import Console
from rich.progress import Progress

from agent.settings import Settings
from evals.report import (
    ConfigResult,
    Reference,
    Report,
    collect_environment,
    public_settings,
)

DEFAULT_SEED = 13
DATA_DIR = Path(__file__).resolve().parent.parent / "data"
SUITE_MODULES: dict[str, str] = {
    "retrieval": "evals.suites.retrieval",
    "planning": "evals.suites.planning",
    "constraints": "evals.suites.constraints",
    "page": "evals.suites.page",
}
T = TypeVar("T")
F = TypeVar("F")


class EvalConfigError(ValueError):
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


SuiteRun = Callable[[EvalContext, Sequence[str]], Awaitable[Report]]


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


def choose(available: Mapping[str, F], requested: Sequence[str], default: Sequence[str]) -> dict[str, F]:
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
