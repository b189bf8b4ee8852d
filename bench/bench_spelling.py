"""Spelling correction on its own: build time, per-query time, and what it changes.

Usage: PYTHONPATH=. .venv/bin/python bench/bench_spelling.py [--show 30]
Builds the speller from the index under TESSERA_HOME, then corrects the queries of
the planning, constraint and answerability suites (written correctly) and the Home
Depot dev queries (real shoppers' queries; some carry real slips), and prints how many
each set changes, with the changes themselves to read, and the p50 time per query.
The Home Depot queries are corrected twice: against the starter catalog (whose words
are not a hardware store's) and against the Home Depot corpus's own titles, as when
that corpus is the indexed catalog (`tessera eval retrieval`).
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
SUITES = [
    "planning.jsonl",
    "planning_kinds.jsonl",
    "planning_long_fresh.jsonl",
    "constraints.jsonl",
    "answerability.jsonl",
    "exploratory.jsonl",
]


def suite_queries() -> list[str]:
    queries: list[str] = []
    for name in SUITES:
        for line in (ROOT / "evals/data" / name).read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                queries.append(row.get("query") or row["intent"])
    return list(dict.fromkeys(queries))


def home_depot_titles(datasets: Path) -> list[str]:
    corpus = datasets / "home_depot_search_relevance/beir/corpus.jsonl"
    return [json.loads(line)["title"] for line in corpus.read_text().splitlines() if line]


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
    misspelled = [
        json.loads(line)["query"]
        for line in (ROOT / "evals/data/understanding/misspell.jsonl").read_text().splitlines()
        if line.strip()
    ]
    slips = report("misspelling suite", speller, misspelled, 0)
    print(f"per misspelled query: p50 {statistics.median(slips):.3f} ms, max {max(slips):.2f} ms")
    times = report("suite queries (spelled right)", speller, suite_queries(), args.show)
    shoppers = home_depot_dev(args.datasets)
    times += report("Home Depot dev, starter catalog's words", speller, shoppers, args.show)
    print(f"per query: p50 {statistics.median(times):.3f} ms, max {max(times):.2f} ms")
    index.close()
    store = Speller(CatalogWords.from_texts(home_depot_titles(args.datasets)))
    report("Home Depot dev, Home Depot titles' words", store, shoppers, args.show)


if __name__ == "__main__":
    main()
