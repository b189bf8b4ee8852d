"""Personalisation: re-rank items inside modules and modules on the page by a user's interests.

An item's affinity is its best cosine to any interest, each interest scaled by its
relative weight (`floor + (1 - floor) * weight / max weight`, so a minor interest still
counts). Affinities are mapped to [0, 1] between two cosines calibrated for the
embedder (`low` unrelated, `high` close). Inside a module an item's rank score is
`(1 - lam) * 1 / log2(position + 2) + lam * relative affinity`: the log discount
protects the retriever's confident top while letting affinity reorder the long tail.
Neither term reads the retriever's scores, only its order, so the blend behaves the
same under any fusion. The relative affinity is the item's affinity above the module's
lowest, over the module's spread (at least `spread_floor`): what moves an item is how
much closer to the user's interests it is than the module's other candidates, so a
catalog whose items are all near an interest (every dinner is close to a vegetarian's
dinners) is reordered as much as a varied one, while near-equal affinities (a profile
unrelated to the query) stay near-equal. A module's score blends in the mean
(absolute) affinity of its new top items, which is comparable across modules. `lam` is
the configured weight times the profile's strength, so thin or stale evidence moves less.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agent.models import Module, ResultItem
from agent.personal.profile import ItemKey, Profile, ProfileConfig, item_key
from agent.trace import ModuleShift, PersonalisationReport
from tools.catalog import VERTICALS, CatalogItem, Vertical
from tools.embeddings import Embedder
from tools.rows import build_row


class PersonalisationConfig(BaseModel):
    """Calibration of affinities; the blend weight itself is passed per call."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    interest_floor: float = Field(default=0.5, ge=0, le=1)
    low: float = Field(default=0.1, description="Cosine mapped to affinity 0.")
    high: float = Field(default=0.6, description="Cosine mapped to affinity 1.")
    module_top: int = Field(default=3, ge=1, description="Top items that speak for a module.")
    spread_floor: float = Field(
        default=0.2,
        gt=0,
        le=1,
        description="Smallest affinity spread an item's relative affinity is divided by.",
    )
    profile: ProfileConfig = Field(default_factory=ProfileConfig)


class CatalogLike(Protocol):
    """The part of `CatalogIndex` item vectors are read from."""

    @property
    def embedder(self) -> Embedder: ...

    @property
    def version(self) -> int: ...

    def get(self, vertical: Vertical, ids: Sequence[str]) -> list[CatalogItem]: ...


StoredFetch = Callable[[Vertical, list[str]], Mapping[str, np.ndarray]]
"""Stored embeddings of a vertical's items by id; unknown ids are left out."""


class ItemVectors:
    """Unit embeddings of catalog items by `vertical:id`, kept in an LRU.

    Vectors come from `fetch` when given, else from the index's stored embeddings
    (`CatalogIndex.embeddings(vertical, ids)`) when it has them, else the item's indexed
    text is embedded again with the index's embedder (the same text and model, so the
    same vector, but far slower). The cache empties whenever the index version changes.
    """

    def __init__(
        self, index: CatalogLike, *, fetch: StoredFetch | None = None, cache_size: int = 50_000
    ) -> None:
        self.index = index
        self.fetch: StoredFetch | None = fetch or getattr(index, "embeddings", None)
        self._size = max(0, cache_size)
        self._cache: OrderedDict[ItemKey, np.ndarray] = OrderedDict()
        self._version = -1
        self._lock = threading.Lock()

    def __call__(self, keys: Sequence[ItemKey]) -> dict[ItemKey, np.ndarray]:
        """Vectors of the catalog items named by `keys`; unknown keys are left out."""
        found, missing = self._cached(keys)
        by_vertical: dict[str, list[str]] = {}
        for key in missing:
            vertical, _, item_id = key.partition(":")
            if item_id:
                by_vertical.setdefault(vertical, []).append(item_id)
        for vertical in VERTICALS:
            ids = by_vertical.get(vertical)
            if not ids:
                continue
            if self.fetch is not None:
                stored = self.fetch(vertical, ids)
                fetched = {item_key(vertical, i): np.asarray(v) for i, v in stored.items()}
            else:
                fetched = self._embed(self.index.get(vertical, ids))
            found |= self._store(fetched)
        return found

    def of_items(self, items: Iterable[CatalogItem]) -> dict[ItemKey, np.ndarray]:
        """Vectors of items in hand (e.g. a page's hits); embedded if nothing is stored."""
        todo = {item_key(i.vertical, i.id): i for i in items}
        if self.fetch is not None:
            found = self(list(todo))
            missing = [k for k in todo if k not in found]
        else:
            found, missing = self._cached(list(todo))
        return found | self._store(self._embed([todo[k] for k in missing]))

    def _cached(self, keys: Sequence[ItemKey]) -> tuple[dict[ItemKey, np.ndarray], list[ItemKey]]:
        found: dict[ItemKey, np.ndarray] = {}
        missing: list[ItemKey] = []
        with self._lock:
            if self._version != self.index.version:
                self._cache.clear()
                self._version = self.index.version
            for key in dict.fromkeys(keys):
                vec = self._cache.get(key)
                if vec is None:
                    missing.append(key)
                else:
                    self._cache.move_to_end(key)
                    found[key] = vec
        return found, missing

    def _embed(self, items: Sequence[CatalogItem]) -> dict[ItemKey, np.ndarray]:
        if not items:
            return {}
        matrix = self.index.embedder.embed_documents([build_row(i).dense_text for i in items])
        return {item_key(i.vertical, i.id): matrix[n] for n, i in enumerate(items)}

    def _store(self, fetched: Mapping[ItemKey, np.ndarray]) -> dict[ItemKey, np.ndarray]:
        out: dict[ItemKey, np.ndarray] = {}
        with self._lock:
            for key, vec in fetched.items():
                unit = np.asarray(vec, dtype=np.float32)
                unit = unit / max(float(np.linalg.norm(unit)), 1e-12)
                unit.setflags(write=False)
                out[key] = unit
                if self._size:
                    self._cache[key] = unit
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return out


def affinity(profile: Profile, item_vectors: np.ndarray, *, floor: float = 0.5) -> np.ndarray:
    """Max over interests of weight-scaled cosine, shape (n_items,); zeros for no interests."""
    vectors = np.asarray(item_vectors, dtype=np.float32).reshape(len(item_vectors), -1)
    if profile.empty or len(vectors) == 0:
        return np.zeros(len(vectors), dtype=np.float32)
    weights = profile.weights()
    scale = floor + (1.0 - floor) * weights / max(float(weights.max()), 1e-12)
    sims = vectors @ profile.matrix().T
    return np.asarray((sims * scale[None, :]).max(axis=1), dtype=np.float32)


def calibrate(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Map cosines to [0, 1] linearly between `low` and `high`."""
    return np.clip((values - low) / max(high - low, 1e-6), 0.0, 1.0)


def relative(values: np.ndarray, spread_floor: float) -> np.ndarray:
    """Each value above the lowest, over the spread (at least `spread_floor`): in [0, 1]."""
    if len(values) == 0:
        return np.zeros(0)
    low = float(values.min())
    return (values - low) / max(float(values.max()) - low, spread_floor)


def _rank_prior(n: int) -> np.ndarray:
    return 1.0 / np.log2(np.arange(n, dtype=np.float64) + 2.0)


def _rerank(
    items: list[ResultItem],
    vectors: Mapping[ItemKey, np.ndarray],
    profile: Profile,
    lam: float,
    config: PersonalisationConfig,
) -> tuple[list[ResultItem], np.ndarray]:
    """Items in personalised order and their calibrated affinities in that order."""
    keys = [item_key(i.vertical, i.id) for i in items]
    known = [n for n, k in enumerate(keys) if k in vectors]
    aff = np.zeros(len(items))
    if known:
        raw = affinity(
            profile, np.stack([vectors[keys[n]] for n in known]), floor=config.interest_floor
        )
        aff[known] = calibrate(raw, config.low, config.high)
        missing = [n for n in range(len(items)) if n not in set(known)]
        aff[missing] = aff[known].mean()
    score = (1.0 - lam) * _rank_prior(len(items)) + lam * relative(aff, config.spread_floor)
    order = sorted(range(len(items)), key=lambda n: (-score[n], n))
    return [items[n] for n in order], aff[order]


def personalise(
    modules: Sequence[Module],
    hits_vectors: Mapping[ItemKey, np.ndarray],
    profile: Profile | None,
    weight: float,
    *,
    keep: int | None = None,
    config: PersonalisationConfig | None = None,
    now: datetime | None = None,
) -> tuple[list[Module], PersonalisationReport]:
    """Re-rank items inside each module, then modules by blended score.

    `hits_vectors` holds unit vectors by `vertical:id` (items without one keep a neutral
    affinity). `keep` trims each module to its first `keep` items afterwards, which lets
    a caller over-fetch candidates so personalisation can promote items from beyond
    the cut; the trim applies with or without a profile, so a user with no history
    gets exactly the page an over-fetching anonymous request gets.
    """
    config = config or PersonalisationConfig()
    weight = min(max(weight, 0.0), 1.0)
    trimmed = [m.model_copy(update={"items": m.items[:keep]}) for m in modules]
    if profile is None or profile.empty:
        reason = "no engagement history" if profile is None else "no usable engagements"
        return trimmed, PersonalisationReport(applied=False, reason=reason)
    strength = profile.strength(config.profile, now)
    lam = weight * strength
    if lam <= 0.0:
        report = PersonalisationReport(
            applied=False, reason="personalisation weight is 0", strength=strength
        )
        return trimmed, report
    reranked: list[Module] = []
    shifts: list[ModuleShift] = []
    for rank_before, module in enumerate(modules):
        items, aff = _rerank(module.items, hits_vectors, profile, lam, config)
        shown, before = items[:keep], module.items[:keep]
        top = float(aff[: config.module_top].mean()) if len(aff) else 0.0
        score = round((1.0 - lam) * module.score + lam * top, 4)
        signals = module.signals | {"affinity": round(top, 4), "blend": round(lam, 4)}
        reranked.append(
            module.model_copy(update={"items": shown, "score": score, "signals": signals})
        )
        old_ids = [i.id for i in before]
        shifts.append(
            ModuleShift(
                module_id=module.id,
                score_before=module.score,
                score_after=score,
                score_delta=round(score - module.score, 4),
                rank_before=rank_before,
                rank_after=rank_before,
                rank_delta=0,
                items_moved=sum(
                    1 for n, it in enumerate(shown) if n >= len(old_ids) or old_ids[n] != it.id
                ),
                items_new=sum(1 for it in shown if it.id not in set(old_ids)),
                affinity=round(top, 4),
            )
        )
    order = sorted(range(len(reranked)), key=lambda n: (-reranked[n].score, n))
    for rank_after, n in enumerate(order):
        shift = shifts[n]
        shift.rank_after = rank_after
        shift.rank_delta = shift.rank_before - rank_after
    report = PersonalisationReport(
        applied=True,
        reason=f"{len(profile.interests)} interest(s) from {profile.events} event(s)",
        weight=round(lam, 4),
        strength=round(strength, 4),
        interests=len(profile.interests),
        modules=shifts,
    )
    return [reranked[n] for n in order], report
