"""Film pairs labelled by the catalog's own genres.

People gave each film its genres; `evals/data/gate_facets.jsonl` asks for a genre in
words a person would type, most of them sharing no word with it ("ranch and outlaw
films" for westerns). (Recipes are left out: most carry no category, or one of several
that would fit.) Each request is searched
by meaning in its vertical; its first `DEPTH` items (the near misses the gate must judge),
`POSITIVES` random items of the facet and `FAR` random items of the vertical are judged
relevant when the item carries the facet (items filed under nothing are left out).
Lexical overlap is never the label.
"""

from __future__ import annotations

import random
from pathlib import Path

from pydantic import BaseModel

from agent.quality.relevance import head_word, query_terms, signals
from agent.quality.words import item_terms
from evals.gate_labels import Pair
from tools.catalog import CatalogItem, Idea, Video
from tools.index import CatalogIndex

FACETS = Path(__file__).resolve().parent / "data" / "gate_facets.jsonl"
DEPTH, POSITIVES, FAR = 10, 4, 3


class FacetQueries(BaseModel):
    """Requests, in a person's words, for one genre or recipe category."""

    vertical: str
    facet: str
    queries: list[str]


def carries(item: CatalogItem, facet: str) -> bool | None:
    """Whether people filed `item` under `facet`; None when they filed it nowhere."""
    if isinstance(item, Video) and item.genre:
        return facet in {g.lower() for g in item.genre}
    if isinstance(item, Idea) and item.category:
        return item.category.lower() == facet
    return None


def facet_pairs(index: CatalogIndex, seed: int, path: Path = FACETS) -> list[Pair]:
    """Judged pairs for every request of the facet file."""
    rng = random.Random(seed)
    rows = [FacetQueries.model_validate_json(line) for line in path.open(encoding="utf-8")]
    everything = {
        v: [h.item for h in index.search(v, "", None, k=index.count(v))]  # type: ignore[arg-type]
        for v in ("ideas", "video")
    }
    pairs: list[Pair] = []
    for row in rows:
        vertical = row.vertical
        items = everything[vertical]
        members = [i for i in items if carries(i, row.facet)]
        for query in row.queries:
            hits = index.search(vertical, query, None, k=DEPTH, mode="dense")  # type: ignore[arg-type]
            chosen = [h.item for h in hits]
            chosen += rng.sample(members, min(POSITIVES, len(members)))
            chosen += rng.sample(items, FAR)
            unique = list({i.id: i for i in chosen}.values())
            vectors = index.embeddings(vertical, [i.id for i in unique])  # type: ignore[arg-type]
            query_vector = index.embedder.embed_query(query)
            terms, head = query_terms(query), head_word(query)
            if not terms:
                continue
            for item in unique:
                judged = carries(item, row.facet)
                if item.id not in vectors or judged is None:
                    continue
                title, full = item_terms(item)
                cosine = float(vectors[item.id] @ query_vector)
                features = signals(terms, head, title, full, cosine, vertical)
                label = float(judged)
                pairs.append(Pair(query=query, vertical=vertical, features=features, label=label))
    return pairs
