"""Does spelling correction help or hurt lexical retrieval? Home Depot dev, BM25 on titles.

Usage: PYTHONPATH=. .venv/bin/python bench/bench_spelling_bm25.py [--datasets DIR]
A proxy for the retrieval suite that needs no embeddings: the Home Depot titles go into
an in-memory SQLite FTS5 table (porter unicode61, as the index's), each dev query is
searched as typed and as the speller (built from those titles) corrects it, with the
index's own query terms (`tools.lexical`), and nDCG@10 / Recall@100 are compared over
all queries and over the queries the speller changed, with a paired permutation p.
"""

from __future__ import annotations

import argparse
import csv
import json
import sqlite3
from pathlib import Path

from agent.understand.spelling import Speller
from agent.understand.words import CatalogWords
from evals.metrics import mean, paired_permutation_p, per_query, ranking_to_run
from tools.lexical import match_expression, query_terms

ROOT = Path(__file__).resolve().parents[1]


def load(datasets: Path) -> tuple[dict[str, str], dict[str, str], dict[str, dict[str, int]]]:
    beir = datasets / "home_depot_search_relevance/beir"
    titles = {}
    for line in (beir / "corpus.jsonl").read_text().splitlines():
        row = json.loads(line)
        titles[row["_id"]] = row["title"]
    qrels: dict[str, dict[str, int]] = {}
    with (beir / "qrels/dev.tsv").open() as f:
        for qid, doc, score in list(csv.reader(f, delimiter="\t"))[1:]:
            qrels.setdefault(qid, {})[doc] = int(float(score))
    queries = {}
    for line in (beir / "queries.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row["_id"] in qrels:
            queries[row["_id"]] = row["text"]
    return titles, queries, qrels


def search(db: sqlite3.Connection, text: str, depth: int = 100) -> list[str]:
    expression = match_expression(query_terms(text))
    if expression is None:
        return []
    rows = db.execute(
        "SELECT id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?", (expression, depth)
    ).fetchall()
    return [r[0] for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datasets", type=Path, default=ROOT.parent / "shared/datasets")
    args = parser.parse_args()
    titles, queries, qrels = load(args.datasets)
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, tokenize='porter unicode61')"
    )
    db.executemany("INSERT INTO docs VALUES (?, ?)", titles.items())
    speller = Speller(CatalogWords.from_texts(titles.values()))
    fixed = {qid: speller.correct(text) for qid, text in queries.items()}
    runs = {
        "as typed": {q: ranking_to_run(search(db, t)) for q, t in queries.items()},
        "corrected": {q: ranking_to_run(search(db, t)) for q, t in fixed.items()},
    }
    scores = {name: per_query(qrels, run) for name, run in runs.items()}
    changed = [q for q in queries if fixed[q] != queries[q]]
    for label, ids in (("all", list(queries)), ("changed", changed)):
        for metric in ("ndcg@10", "recall@100"):
            a = [scores["as typed"][q][metric] for q in ids]
            b = [scores["corrected"][q][metric] for q in ids]
            p = paired_permutation_p(a, b)
            print(f"{label} ({len(ids)} queries) {metric}: as typed {mean(a):.4f}, "
                  f"corrected {mean(b):.4f} (p={p:.3f})")  # fmt: skip


if __name__ == "__main__":
    main()
