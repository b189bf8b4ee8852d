"""Misspelled and casual queries through the engine (rule planner), scored per case.

Usage: PYTHONPATH=. .venv/bin/python bench/bench_misspell.py [--split dev] [--exact]
Reads `evals/data/understanding/misspell.jsonl`. A case is `answered` when the lead
module is of the case's vertical and at least 3 of its first 5 items carry one of the
case's `accept` words in their title or category (a film's genres stand for its
category); `empty` counts answerable cases with no module, `junk` unanswerable cases
with one, `bound_kept` lead modules whose items all meet the case's bound.
`--exact` sends every query as typed (no spelling correction).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from agent.deps import open_deps
from agent.engine import Engine
from agent.models import Page, ResultItem, SearchRequest
from agent.settings import Settings

DATA = Path(__file__).resolve().parents[1] / "evals/data/understanding/misspell.jsonl"


def on_topic(item: ResultItem, accept: list[str]) -> bool:
    text = " ".join([item.title, item.category or "", *item.genre]).lower()
    return any(word.lower() in text for word in accept)


def score(case: dict, page: Page) -> dict[str, bool]:
    lead = page.modules[0] if page.modules else None
    if case["vertical"] is None:
        return {"junk": lead is not None}
    answered = bool(
        lead
        and lead.vertical == case["vertical"]
        and sum(on_topic(i, case["accept"]) for i in lead.items[:5]) >= 3
    )
    result = {"answered": answered, "empty": lead is None}
    price_max = (case.get("bound") or {}).get("price_max")
    if price_max is not None:
        result["bound_kept"] = bool(lead and all((i.price or 0) <= price_max for i in lead.items))
    return result


async def run(split: str, exact: bool, verbose: bool) -> None:
    cases = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    cases = [c for c in cases if split == "all" or c["split"] == split]
    totals: dict[str, list[bool]] = {}
    async with open_deps(Settings(planner="rule"), use_llm=False) as deps:
        engine = Engine(deps)
        for case in cases:
            payload: dict[str, object] = {"text": case["query"]}
            if exact:
                payload["exact"] = True
            request = SearchRequest.model_validate(payload)
            page = await engine.search(request)
            got = score(case, page)
            for key, value in got.items():
                totals.setdefault(key, []).append(value)
            if verbose:
                lead = page.modules[0] if page.modules else None
                shown = f"{lead.vertical}: {lead.title}" if lead else "-"
                fixed = page.model_dump().get("spelling") or {}
                print(f"{case['id']} {case['query']!r} -> {fixed.get('corrected', '')!r} "
                      f"{got} [{shown}]")  # fmt: skip
    print(f"split={split} exact={exact} cases={len(cases)}")
    for key, values in totals.items():
        print(f"  {key}: {sum(values)}/{len(values)} = {sum(values) / len(values):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", default="dev", choices=["dev", "heldout", "all"])
    parser.add_argument("--exact", action="store_true")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    asyncio.run(run(args.split, args.exact, args.verbose))


if __name__ == "__main__":
    main()
