"""Related searches: does each lead to a page, and is each made of the catalog's words?

Over the planning suite's queries and the exploratory intents (when their file is
present), every page's related searches are run through the same engine, as a person
clicking them would. Metrics, pooled over all suggestions shown:
- `nowhere`: the share that lead to a page without a module;
- `not_catalog_word`: the share with a word that is neither a noun of the catalog
  (a title head, `CatalogTerms.is_noun`), nor a facet value, nor a number, nor one of
  the phrasing words (`TEMPLATE_WORDS`: "recipes", "movies", "under" ...);
- `with_suggestions`: the share of pages that offer any.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence

from pydantic import JsonValue

from agent.engine import Engine
from agent.models import SearchRequest
from agent.suggest import TEMPLATE_WORDS
from evals.report import CaseResult, ConfigResult, Report
from evals.suites import (
    DATA_DIR,
    EvalContext,
    SuiteSpec,
    build_report,
    choose,
    engine_deps,
    select,
)
from tools.terms import CatalogTerms

BASE = ["nowhere", "not_catalog_word", "with_suggestions"]
SOURCES = {"planning": DATA_DIR / "planning.jsonl", "exploratory": DATA_DIR / "exploratory.jsonl"}
METRICS = [*BASE, *(f"{m} ({name})" for name in SOURCES for m in BASE[:2])]
_BOUND = re.compile(r"^(\$\d[\d,.]*|\d{3}0s)$")
_WORD = re.compile(r"[\w$'.,\-]+")


def queries(ctx: EvalContext) -> list[tuple[str, str]]:
    """(id, query) from each source file present; an exploratory line may name its text
    `query`, `intent` or `text`."""
    out: list[tuple[str, str]] = []
    for name, path in SOURCES.items():
        if not path.is_file():
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            if not line.strip() or line.lstrip().startswith("//"):
                continue
            row = json.loads(line)
            text = row.get("query") or row.get("intent") or row.get("text") or ""
            if text.strip():
                out.append((f"{name}:{row.get('id', n)}", str(text)))
    return select(out, ctx.limit, ctx.seed)


def stray_words(text: str, terms: CatalogTerms) -> list[str]:
    """The words of `text` that are not catalog nouns, facet words or phrasing; a number
    counts only as a price ("$40"), a decade ("1970s") or a time ("30 minutes")."""
    words = _WORD.findall(text.lower())
    stray = []
    for n, w in enumerate(words):
        if w in TEMPLATE_WORDS or terms.is_noun(w):
            continue
        following = words[n + 1] if n + 1 < len(words) else ""
        if _BOUND.match(w) or (w.isdigit() and following == "minutes"):
            continue
        stray.append(w)
    return stray


def _shares(cases: Sequence[CaseResult]) -> dict[str, float]:
    shown = [s for c in cases for s in _list(c, "suggestions")]
    total = len(shown) or 1
    return {
        "nowhere": sum(len(_list(c, "nowhere")) for c in cases) / total,
        "not_catalog_word": sum(len(_dict(c, "stray")) for c in cases) / total,
        "with_suggestions": sum(1 for c in cases if _list(c, "suggestions")) / (len(cases) or 1),
        "suggestions": float(len(shown)),
    }


def summarise(cases: Sequence[CaseResult]) -> dict[str, float]:
    """Shares pooled over every suggestion shown, overall and per source file."""
    summary = _shares(cases) | {"cases": float(len(cases))}
    for name in SOURCES:
        mine = [c for c in cases if c.id.startswith(f"{name}:")]
        if mine:
            shares = _shares(mine)
            summary |= {f"{m} ({name})": shares[m] for m in BASE[:2]}
    return summary


def _list(case: CaseResult, key: str) -> list[JsonValue]:
    value = case.detail.get(key)
    return value if isinstance(value, list) else []


def _dict(case: CaseResult, key: str) -> dict[str, JsonValue]:
    value = case.detail.get(key)
    return value if isinstance(value, dict) else {}


CONFIGS = {
    "rule": "the rule planner",
    "auto": "the page as served without an LLM: the distilled router places each clause",
}


async def run_config(ctx: EvalContext, name: str, cases: list[tuple[str, str]]) -> ConfigResult:
    """Search every query, then every suggestion it shows, with planner `name`."""
    started = time.perf_counter()
    results: list[CaseResult] = []
    leads: dict[str, bool] = {}
    async with engine_deps(
        ctx.settings.model_copy(update={"planner": name}), use_llm=False
    ) as deps:
        engine = Engine(deps)
        terms = deps.index.terms()
        for case_id, query in cases:
            page = await engine.search(SearchRequest(text=query))
            for text in page.suggestions:
                if text not in leads:
                    follow = await engine.search(SearchRequest(text=text))
                    leads[text] = bool(follow.modules)
            nowhere = [s for s in page.suggestions if not leads[s]]
            stray = {s: stray_words(s, terms) for s in page.suggestions}
            n = len(page.suggestions) or 1
            results.append(CaseResult(
                id=case_id, query=query,
                metrics={"nowhere": len(nowhere) / n,
                         "not_catalog_word": sum(1 for w in stray.values() if w) / n,
                         "with_suggestions": float(bool(page.suggestions))},
                detail={"suggestions": list(page.suggestions), "nowhere": nowhere,
                        "stray": {s: w for s, w in stray.items() if w}},
            ))  # fmt: skip
    return ConfigResult(
        name=name, description=CONFIGS[name], summary=summarise(results), cases=results,
        elapsed_s=time.perf_counter() - started,
    )  # fmt: skip


async def run(ctx: EvalContext, configs: Sequence[str]) -> Report:
    """Each chosen planner over the planning queries and the exploratory intents."""
    chosen = choose(CONFIGS, configs, ("rule", "auto"))
    cases = queries(ctx)
    results = [await run_config(ctx, name, cases) for name in chosen]
    return build_report(
        ctx, suite="suggestions", dataset="+".join(p.name for p in SOURCES.values() if p.is_file()),
        metrics=METRICS, primary="nowhere", configs=results, params={"cases": len(cases)},
    )  # fmt: skip


SUITE = SuiteSpec(
    name="suggestions",
    summary="related searches: share leading nowhere, share with a word not of the catalog",
    run=run,
    configs=lambda: list(CONFIGS),
    default_configs=("rule", "auto"),
)
