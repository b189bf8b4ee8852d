"""(query, item) pairs judged by people, with the relevance gate's features.

- Shopping: the Home Depot search relevance judgments (`home_depot_search_relevance`,
  BEIR layout, `qrels/dev.tsv`): real shoppers' queries and the products their search
  showed, each graded by three people (0-4 here, the mean of their 1-3 ratings). An
  item is relevant at grade 3 or more (a mean rating of 2.33 or more: most raters found
  it a match). Every judged product was already shown for its query, so each query also
  gets `NEGATIVES` products drawn at random from the whole corpus as irrelevant: a gate
  must also reject what is far in meaning. Features come from the query and product
  title (the only text the dataset keeps) embedded with the project's MiniLM.
- Ideas and films: `evals/data/judgments/*.jsonl` (see its README), one judgment a
  line (`query`, `vertical`, `item_id`, `label`: 2 answers, 1 answers part of it, 0
  does not), written by reading catalog items. An item is relevant at label 1 or more:
  a page should rather show the right dish in another style than nothing. The item's
  stored vector and indexed words give the features, as at search time.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import defaultdict
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from agent.quality.relevance import head_word, query_terms, signals
from agent.quality.words import item_terms, words_of
from tools.embeddings import Embedder
from tools.index import CatalogIndex

JUDGMENTS = Path(__file__).resolve().parent / "data" / "judgments"
RELEVANT_GRADE = 3
NEGATIVES = 2
PARTIAL = 1


class Pair(BaseModel):
    """One judged (query, item) pair: its features, its label and where it came from."""

    query: str
    vertical: str
    features: list[float]
    label: float
    sampled: bool = False


def held_out(query: str, share: int = 3) -> bool:
    """Whether a query is in the held-out part (`share` in ten, by a hash of the query)."""
    return int(hashlib.sha1(query.encode()).hexdigest(), 16) % 10 < share


def home_depot_pairs(folder: Path, embedder: Embedder, queries: int, seed: int) -> list[Pair]:
    """Shopping pairs from the Home Depot judgments (see the module docstring)."""
    rng = random.Random(seed)
    texts = {
        row["_id"]: row["text"]
        for row in map(json.loads, (folder / "queries.jsonl").open(encoding="utf-8"))
    }
    titles = {
        row["_id"]: row["title"]
        for row in map(json.loads, (folder / "corpus.jsonl").open(encoding="utf-8"))
    }
    judged: dict[str, list[tuple[str, int]]] = defaultdict(list)
    with (folder / "qrels" / "dev.tsv").open(encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            qid, doc, grade_text = line.rstrip("\n").split("\t")
            judged[qid].append((doc, int(grade_text)))
    usable = sorted(q for q in judged if q in texts and query_terms(texts[q]))
    chosen = rng.sample(usable, min(queries, len(usable)))
    corpus = sorted(titles)
    plan: list[tuple[str, str, float, bool]] = []
    for qid in chosen:
        for doc, grade in judged[qid]:
            if doc in titles:
                plan.append((qid, doc, float(grade >= RELEVANT_GRADE), False))
        for doc in rng.sample(corpus, NEGATIVES):
            plan.append((qid, doc, 0.0, True))
    docs = sorted({doc for _, doc, _, _ in plan})
    doc_vectors = dict(zip(docs, embedder.embed_documents([titles[d] for d in docs]), strict=True))
    pairs: list[Pair] = []
    for qid, doc, label, sampled in plan:
        text = texts[qid]
        vector = embedder.embed_query(text)
        words = words_of(titles[doc])
        cosine = float(np.dot(doc_vectors[doc], vector))
        row = signals(query_terms(text), head_word(text), words, words, cosine, "shopping")
        pairs.append(
            Pair(query=text, vertical="shopping", features=row, label=label, sampled=sampled)
        )
    return pairs


def judged_pairs(index: CatalogIndex, seed: int = 13, folder: Path = JUDGMENTS) -> list[Pair]:
    """Ideas and film pairs from the judgments written by reading catalog items, and for
    each request `NEGATIVES` items of its vertical drawn at random as irrelevant (the
    judged items were all found by searching for the request: none is far from it)."""
    rng = random.Random(seed)
    rows = [
        json.loads(line)
        for path in sorted(folder.glob("*.jsonl"))
        for line in path.open(encoding="utf-8")
        if line.strip()
    ]
    by_vertical: dict[str, list[tuple[str, str, float, bool]]] = defaultdict(list)
    for row in rows:
        query, vertical = str(row["query"]), str(row.get("vertical"))
        if vertical in ("ideas", "video") and query_terms(query):
            label = float(int(str(row["label"])) >= PARTIAL)
            by_vertical[vertical].append((query, str(row["item_id"]), label, False))
    pairs: list[Pair] = []
    for vertical, group in by_vertical.items():
        everything = [h.item.id for h in index.search(vertical, "", None, k=index.count(vertical))]  # type: ignore[arg-type]
        for query in sorted({q for q, _, _, _ in group}):
            group += [(query, i, 0.0, True) for i in rng.sample(everything, NEGATIVES)]
        ids = [item_id for _, item_id, _, _ in group]
        items = {item.id: item for item in index.get(vertical, ids)}  # type: ignore[arg-type]
        vectors = index.embeddings(vertical, ids)  # type: ignore[arg-type]
        for query, item_id, label, sampled in group:
            if item_id not in items or item_id not in vectors:
                continue
            title, full = item_terms(items[item_id])
            cosine = float(np.dot(vectors[item_id], index.embedder.embed_query(query)))
            features = signals(query_terms(query), head_word(query), title, full, cosine, vertical)
            pairs.append(
                Pair(
                    query=query, vertical=vertical, features=features, label=label, sampled=sampled
                )
            )
    return pairs


def elsewhere_pairs(index: CatalogIndex, queries: list[str], per_query: int = 3) -> list[Pair]:
    """Recipes and films a shopper's hardware query finds by meaning, as irrelevant: a
    Home Depot query ('angle bracket', 'deck over') asks for a product, so the closest
    recipes and films are what a gate must reject when a catalog cannot answer."""
    pairs: list[Pair] = []
    for vertical in ("ideas", "video"):
        for query in queries:
            terms, head = query_terms(query), head_word(query)
            for hit in index.search(vertical, query, None, k=per_query, mode="dense"):  # type: ignore[arg-type]
                title, full = item_terms(hit.item)
                cosine = hit.similarity if hit.similarity is not None else 0.0
                features = signals(terms, head, title, full, cosine, vertical)
                pairs.append(
                    Pair(query=query, vertical=vertical, features=features, label=0.0, sampled=True)
                )
    return pairs
