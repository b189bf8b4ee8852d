"""Query recommendations from a term-item-query graph over the catalog and the query log.

Candidate queries come from the catalog (facet phrases carried by at least
`min_support` items: "vegetarian soup recipes", "sci-fi thriller movies", "black
chairs") and from logged queries typed by at least `min_users` distinct users (so no
one person's query is shown to others). Terms from item titles and tags link to
items, items to the candidates they support, and logged queries to each other through
session transitions (typed one after the other) and co-clicks (engaged with the same
items).

For a query, a candidate's relevance mixes a two-step walk query terms -> items ->
candidates plus shared terms (`lexical`), the cosine of the two texts (`semantic`),
and where the log's similar queries led (`transition`). A profile then scales that
relevance by how close the candidate's result items are to the user's interests,
never adding relevance of its own, so an unrelated interest is not recommended.
A greedy maximal-marginal-relevance pass keeps the list diverse.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agent.personal.personalise import affinity, calibrate
from agent.personal.profile import ItemKey, Profile, ProfileConfig, VectorLookup, item_key
from tools.catalog import VERTICALS, CatalogItem, Idea, Product, Video
from tools.embeddings import Embedder
from tools.impressions import LoggedPage

if TYPE_CHECKING:
    from tools.index import CatalogIndex

STOPWORDS = frozenset(
    "a an and are at for from how i in is it me my of on or show some the to what with "
    "idea ideas recipe recipes movie movies film films video videos watch shop buy".split()
)


def terms(text: str) -> frozenset[str]:
    """Lower-cased content words, a trailing plural 's' removed."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return frozenset(w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words) - {
        w[:-1] if len(w) > 3 and w.endswith("s") else w for w in STOPWORDS
    }


class QueryGraphConfig(BaseModel):
    """Sources, thresholds and the weights of the relevance mix."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_support: int = Field(default=2, ge=1, description="Items a catalog phrase needs.")
    min_users: int = Field(default=2, ge=1, description="Users a logged query needs.")
    session_gap_min: float = Field(default=30.0, gt=0)
    lexical: float = 0.4
    semantic: float = 0.4
    transition: float = 0.2
    personal: float = Field(default=0.6, ge=0, le=1, description="Profile's pull on the order.")
    min_spread: float = Field(
        default=0.3, gt=0, description="Affinity range below which the profile pulls less."
    )
    unrelated: float = Field(default=0.3, description="Affinities below this count as none.")
    min_relevance: float = Field(default=0.15, ge=0)
    diversity: float = Field(default=0.3, ge=0, le=1, description="MMR redundancy penalty.")
    centroid_items: int = Field(default=20, ge=1)
    profile: ProfileConfig = Field(default_factory=ProfileConfig)


class QueryLogEntry(BaseModel):
    """One logged search: who, what, when, and the items engaged with from its page."""

    user_id: str | None = None
    query: str
    ts: datetime
    clicked: list[ItemKey] = Field(default_factory=list)


class Recommendation(BaseModel):
    """One recommended query and why."""

    text: str
    score: float
    lexical: float
    semantic: float
    transition: float
    personal: float | None = None


def log_entries(pages: Iterable[LoggedPage]) -> list[QueryLogEntry]:
    """Query log entries from logged pages joined with their engagements."""
    return [
        QueryLogEntry(
            user_id=p.impression.user_id, query=p.impression.query, ts=p.impression.ts,
            clicked=p.items,
        )
        for p in pages
        if p.impression.query.strip()
    ]  # fmt: skip


PERSON = "films by "
"""A person's phrase is suggested only to a request that names the person (or led there
in the log): a name shares words and embeddings with anything ('Guy Green' with 'thai
green curry'), which says nothing about wanting that person's films."""


def catalog_phrases(items: Iterable[CatalogItem]) -> dict[str, list[ItemKey]]:
    """Facet phrases and the items carrying them, e.g. 'vegetarian soup recipes'."""
    out: dict[str, list[ItemKey]] = defaultdict(list)
    for item in items:
        key = item_key(item.vertical, item.id)
        phrases: set[str] = set()
        if isinstance(item, Idea):
            noun = "recipes" if item.kind == "recipe" else "ideas"
            topics = {t for t in [*item.tags, (item.category or "").lower()] if t}
            topics -= {"recipe", item.kind, *item.diet}
            phrases |= {f"{d} {noun}" for d in item.diet} | {f"{t} {noun}" for t in topics}
            phrases |= {f"{d} {t} {noun}" for d in item.diet for t in topics}
        elif isinstance(item, Video):
            genres = sorted(g.lower() for g in item.genre)
            phrases |= {f"{g} movies" for g in genres}
            phrases |= {f"{a} {b} movies" for a in genres for b in genres if a < b}
            if item.creator:
                phrases.add(f"{PERSON}{item.creator}")
        elif isinstance(item, Product) and item.category_path:
            leaf = item.category_path[-1].lower()
            phrases.add(leaf)
            phrases |= {f"{c} {leaf}" for c in item.colors}
            if item.brand:
                phrases.add(f"{item.brand.lower()} {leaf}")
        for phrase in phrases:
            out[" ".join(phrase.split())].append(key)
    return out


class QueryGraph:
    """Candidate queries, their term and item links, transitions and vectors."""

    def __init__(
        self,
        texts: list[str],
        support: list[list[ItemKey]],
        item_terms: dict[ItemKey, frozenset[str]],
        transitions: dict[str, dict[str, float]],
        text_vectors: np.ndarray,
        centroids: np.ndarray,
        embedder: Embedder,
        config: QueryGraphConfig,
    ) -> None:
        self.texts, self.config, self.embedder = texts, config, embedder
        self.text_vectors, self.centroids = text_vectors, centroids
        self.transitions = transitions
        self._index = {t.lower(): n for n, t in enumerate(texts)}
        self._terms = [terms(t) for t in texts]
        self._people = {
            n: terms(t[len(PERSON) :]) for n, t in enumerate(texts) if t.startswith(PERSON)
        }
        self._term_items: dict[str, set[ItemKey]] = defaultdict(set)
        for key, words in item_terms.items():
            for word in words:
                self._term_items[word].add(key)
        self._item_cands: dict[ItemKey, list[int]] = defaultdict(list)
        for n, keys in enumerate(support):
            for key in keys:
                self._item_cands[key].append(n)
        self._n_items = max(1, len(item_terms))

    def __len__(self) -> int:
        return len(self.texts)

    @classmethod
    def build(
        cls,
        items: Iterable[CatalogItem],
        log: Sequence[QueryLogEntry],
        *,
        embedder: Embedder,
        vectors: VectorLookup | None = None,
        config: QueryGraphConfig | None = None,
    ) -> QueryGraph:
        """Build from catalog items and the query log; `vectors` enables personal scores."""
        config = config or QueryGraphConfig()
        items = list(items)
        item_terms = {
            item_key(i.vertical, i.id): terms(" ".join([i.title, *i.tags])) for i in items
        }
        phrases = {
            p: ks for p, ks in catalog_phrases(items).items() if len(ks) >= config.min_support
        }
        users: dict[str, set[str]] = defaultdict(set)
        clicked: dict[str, set[ItemKey]] = defaultdict(set)
        for entry in log:
            text = " ".join(entry.query.lower().split())
            users[text].add(entry.user_id or "")
            clicked[text].update(entry.clicked)
        logged = [q for q, who in users.items() if len(who - {""}) >= config.min_users]
        known = {p.lower() for p in phrases}
        texts = sorted(phrases) + sorted(q for q in logged if q not in known)
        support = [sorted(set(phrases.get(t, [])) | clicked.get(t.lower(), set())) for t in texts]
        text_vectors = embedder.embed_documents(texts) if texts else np.zeros((0, embedder.dim))
        centroids = text_vectors.copy()
        if vectors is not None and texts:
            sample = [s[: config.centroid_items] for s in support]
            found = vectors(sorted({k for s in sample for k in s}))
            for n, keys in enumerate(sample):
                got = [found[k] for k in keys if k in found]
                if got:
                    mean = np.mean(got, axis=0)
                    centroids[n] = mean / max(float(np.linalg.norm(mean)), 1e-12)
        transitions = _transitions(log, {t.lower() for t in texts}, config)
        return cls(texts, support, item_terms, transitions, text_vectors, centroids, embedder,
                   config)  # fmt: skip

    @classmethod
    def from_index(
        cls,
        index: CatalogIndex,
        log: Sequence[QueryLogEntry],
        *,
        vectors: VectorLookup | None = None,
        config: QueryGraphConfig | None = None,
    ) -> QueryGraph:
        """Build over every item of `index`; rebuild when `index.version` changes."""
        items = [
            hit.item
            for vertical in VERTICALS
            for hit in index.search(vertical, "", None, k=max(1, index.count(vertical)))
        ]
        return cls.build(items, log, embedder=index.embedder, vectors=vectors, config=config)

    def recommend(
        self, query: str, profile: Profile | None = None, k: int = 6, *, now: datetime | None = None
    ) -> list[str]:
        """Up to `k` queries to try next, personalised when a profile is given."""
        return [r.text for r in self.explain(query, profile, k, now=now)]

    def explain(
        self, query: str, profile: Profile | None = None, k: int = 6, *, now: datetime | None = None
    ) -> list[Recommendation]:
        """`recommend` with the score parts of each recommendation."""
        if not self.texts or k <= 0 or not query.strip():
            return []
        cfg, q_terms = self.config, terms(query)
        q_vec = self.embedder.embed_query(query)
        semantic = calibrate(self.text_vectors @ q_vec, 0.2, 0.7)
        lexical = self._walk(q_terms)
        transition = self._transition(query, q_vec)
        relevance = cfg.lexical * lexical + cfg.semantic * semantic + cfg.transition * transition
        q_norm = " ".join(query.lower().split())
        eligible = [
            n for n in range(len(self.texts))
            if relevance[n] >= cfg.min_relevance and self.texts[n].lower() != q_norm
            and not self._terms[n] <= q_terms
            and (n not in self._people or self._people[n] <= q_terms or transition[n] > 0)
        ]  # fmt: skip
        score, personal = relevance.copy(), None
        if profile is not None and not profile.empty and eligible:
            lam = cfg.personal * profile.strength(cfg.profile, now)
            raw = np.maximum(affinity(profile, self.centroids), cfg.unrelated)
            low, high = float(raw[eligible].min()), float(raw[eligible].max())
            personal = np.clip((raw - low) / max(high - low, cfg.min_spread), 0.0, 1.0)
            score = relevance * (1.0 - lam + lam * personal)
        eligible.sort(key=lambda n: (-score[n], n))
        eligible = eligible[: 20 * k]
        chosen: list[int] = []
        while eligible and len(chosen) < k:
            redundancy = (
                (self.text_vectors[eligible] @ self.text_vectors[chosen].T).max(axis=1)
                if chosen else np.zeros(len(eligible))
            )  # fmt: skip
            mmr = score[eligible] - cfg.diversity * redundancy * float(score.max())
            chosen.append(eligible.pop(int(np.argmax(mmr))))
        return [
            Recommendation(
                text=self.texts[n], score=round(float(score[n]), 4),
                lexical=round(float(lexical[n]), 4), semantic=round(float(semantic[n]), 4),
                transition=round(float(transition[n]), 4),
                personal=None if personal is None else round(float(personal[n]), 4),
            )
            for n in chosen
        ]  # fmt: skip

    def _walk(self, q_terms: frozenset[str]) -> np.ndarray:
        """Query terms -> items -> candidates, plus directly shared terms; max 1."""
        out = np.zeros(len(self.texts))
        idf = {
            t: math.log(1 + self._n_items / (1 + len(self._term_items.get(t, ())))) for t in q_terms
        }
        total = sum(idf.values()) or 1.0
        for term, weight in idf.items():
            linked = self._term_items.get(term, set())
            for key in linked:
                cands = self._item_cands.get(key, [])
                for n in cands:
                    out[n] += weight / total / len(linked) / len(cands)
        if out.max() > 0:
            out /= out.max()
        direct = np.array([sum(idf[t] for t in q_terms & ts) / total for ts in self._terms])
        return np.asarray(0.5 * out + 0.5 * direct)

    def _transition(self, query: str, q_vec: np.ndarray) -> np.ndarray:
        """Where logged queries like this one led, as a share per candidate."""
        out = np.zeros(len(self.texts))
        q_norm = " ".join(query.lower().split())
        for source, targets in self.transitions.items():
            n = self._index.get(source)
            sim = 1.0 if source == q_norm else (
                float(self.text_vectors[n] @ q_vec) if n is not None else 0.0
            )  # fmt: skip
            if sim < 0.8:
                continue
            total = sum(targets.values())
            for target, weight in targets.items():
                out[self._index[target]] += sim * weight / total
        return np.clip(out, 0.0, 1.0)


def _transitions(
    log: Sequence[QueryLogEntry], known: set[str], config: QueryGraphConfig
) -> dict[str, dict[str, float]]:
    """Session successors and co-clicked queries, between candidate texts only."""
    edges: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    gap = timedelta(minutes=config.session_gap_min)
    by_user: dict[str, list[QueryLogEntry]] = defaultdict(list)
    for entry in log:
        if entry.user_id:
            by_user[entry.user_id].append(entry)
    for entries in by_user.values():
        entries.sort(key=lambda e: e.ts)
        for prev, nxt in zip(entries, entries[1:], strict=False):
            a, b = (" ".join(e.query.lower().split()) for e in (prev, nxt))
            if a != b and b in known and nxt.ts - prev.ts <= gap:
                edges[a][b] += 1.0
    by_item: dict[ItemKey, set[str]] = defaultdict(set)
    for entry in log:
        for key in entry.clicked:
            by_item[key].add(" ".join(entry.query.lower().split()))
    for queries in by_item.values():
        for a in queries:
            for b in queries - {a}:
                if b in known:
                    edges[a][b] += 0.5
    return {a: dict(bs) for a, bs in edges.items()}
