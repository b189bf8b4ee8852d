"""Spelling correction on its own: build time, per-query time, and what it changes.

Usage: PYTHONPATH=. .venv/bin/python bench/bench_spelling.py [--show 30]
Builds the speller from the index under TESSERA_HOME, then corrects the queries of
the planning, constraint and answerability suites (written correctly) and the Home
Depot dev queries (real shoppers' queries; some carry real slips), and prints how many
each set changes, with the changes themselves to read, and the p50 time per query.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import time
from pathlib import Path

from agent.deps import open_index
from agent.settings import Settings
from agent.understand.spelling import Speller
from agent.understand.words import CatalogWords

ROOT = Path(__file__).resolve().parents[1]
SUITES = ["planning.jsonl", "planning_kinds.jsonl", "constraints.jsonl", "answerability.jsonl"]


def suite_queries() -> list[str]:
    queries: list[str] = []
    for name in SUITES:
        for line in (ROOT / "evals/data" / name).read_text().splitlines():
            if line.strip():
                queries.append(json.loads(line)["query"])
    return list(dict.fromkeys(queries))


def home_depot_dev(datasets: Path) -> list[str]:
    beir = datasets / "home_depot_search_relevance/beir"
    with (beir / "qrels/dev.tsv").open() as f:
        wanted = {row[0] for row in csv.reader(f, delimiter="\t")}
    texts = {}
    for line in (beir / "queries.jsonl").read_text().splitlines():
        row = json.loads(line)
        texts[row["_id"]] = row["text"]
    return [texts[q] for q in sorted(wanted) if q in texts]


def report(name: str, speller: Speller, queries: list[str], show: int) -> list[float]:
    times: list[float] = []
    changed: list[tuple[str, str]] = []
    for query in queries:
        started = time.perf_counter()
        fixed = speller.correct(query)
        times.append((time.perf_counter() - started) * 1000)
        if fixed != query:
            changed.append((query, fixed))
    share = len(changed) / max(len(queries), 1)
    print(f"{name}: {len(changed)}/{len(queries)} changed ({share:.3f})")
    for query, fixed in changed[:show]:
        print(f"    {query!r} -> {fixed!r}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--show", type=int, default=30)
    parser.add_argument("--datasets", type=Path, default=ROOT.parent / "shared/datasets")
    args = parser.parse_args()
    index = open_index(Settings())
    started = time.perf_counter()
    speller = Speller(CatalogWords.from_index(index))
    print(f"built in {time.perf_counter() - started:.2f} s")
    times = report("suite queries (spelled right)", speller, suite_queries(), args.show)
    times += report("Home Depot dev", speller, home_depot_dev(args.datasets), args.show)
    print(f"per query: p50 {statistics.median(times):.3f} ms, max {max(times):.2f} ms")
    index.close()


if __name__ == "__main__":
    main()
