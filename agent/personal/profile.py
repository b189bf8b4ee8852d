"""User profiles: a few interest embeddings distilled from a user's engagements.

Each engaged item gets a weight: its kind's weight (save > click > view) times an
exponential recency decay with a configurable half-life, measured back from the
user's newest event. Exponential decay is memoryless, so the relative weights this
gives equal those measured from "now"; only the absolute evidence (`Profile.mass`)
fades, and `Profile.strength` applies that fade when the profile is used.

The weighted items are clustered by average-linkage agglomeration on cosine
similarity: clusters merge while their mean similarity is above a threshold, and
beyond it until at most `max_interests` remain. Each cluster becomes one interest:
its medoid's embedding and its share of the weight. No randomness is involved, so a
profile is a pure function of the events, the item vectors and the configuration.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tools.events import Event, EventKind, EventStore, StoredProfile

SECONDS_PER_DAY = 86_400.0
DEFAULT_KIND_WEIGHTS: dict[EventKind, float] = {"view": 1.0, "click": 2.0, "save": 4.0}
ItemKey = str
"""`vertical:id`, unique across the catalog."""


def item_key(vertical: str, item_id: str) -> ItemKey:
    return f"{vertical}:{item_id}"


class VectorLookup(Protocol):
    """Unit embeddings of catalog items by key; unknown keys are left out."""

    def __call__(self, keys: Sequence[ItemKey]) -> Mapping[ItemKey, np.ndarray]: ...


class ProfileConfig(BaseModel):
    """How engagements become interests."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    half_life_days: float = Field(default=30.0, gt=0, description="Recency half-life.")
    kind_weights: dict[EventKind, float] = Field(
        default_factory=lambda: dict(DEFAULT_KIND_WEIGHTS),
        description="Evidence per event kind; save > click > view.",
    )
    max_interests: int = Field(default=4, ge=1, le=16)
    merge_threshold: float = Field(
        default=0.35, ge=-1, le=1, description="Average cosine above which clusters merge."
    )
    max_events: int = Field(default=500, ge=1, description="Newest events considered.")
    max_items: int = Field(default=200, ge=1, description="Heaviest items clustered.")
    min_share: float = Field(
        default=0.04, ge=0, lt=1, description="Interests lighter than this share are dropped."
    )
    saturation: float = Field(
        default=3.0, gt=0, description="Evidence mass at which strength reaches 1 - 1/e."
    )

    def key(self, embedder: str) -> str:
        """Identifies profiles built with this configuration and embedder."""
        text = f"{embedder}\n{self.model_dump_json()}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]


class Interest(BaseModel):
    """One cluster of engaged items: its medoid's embedding and share of the weight."""

    medoid: ItemKey
    vector: list[float]
    weight: float = Field(ge=0, le=1, description="Share of the profile's evidence.")
    size: int = Field(ge=1, description="Distinct items in the cluster.")
    items: list[ItemKey] = Field(default_factory=list, description="Heaviest members.")


class Profile(BaseModel):
    """A user's interests, built from events up to `revision`."""

    user_id: str
    revision: int
    key: str = Field(description="Configuration and embedder the profile was built with.")
    interests: list[Interest] = Field(default_factory=list)
    events: int = 0
    mass: float = Field(default=0.0, description="Decayed evidence at the newest event.")
    newest: datetime | None = None

    @property
    def empty(self) -> bool:
        return not self.interests

    def matrix(self) -> np.ndarray:
        """Interest vectors, shape (n_interests, dim)."""
        return np.asarray([i.vector for i in self.interests], dtype=np.float32)

    def weights(self) -> np.ndarray:
        return np.asarray([i.weight for i in self.interests], dtype=np.float32)

    def strength(self, config: ProfileConfig, now: datetime | None = None) -> float:
        """Confidence in [0, 1): grows with evidence, fades while the user is inactive."""
        if self.empty or self.newest is None:
            return 0.0
        now = now or datetime.now(UTC)
        idle_days = max(0.0, (now - self.newest).total_seconds() / SECONDS_PER_DAY)
        mass = self.mass * 0.5 ** (idle_days / config.half_life_days)
        return 1.0 - math.exp(-mass / config.saturation)


def item_weights(events: Sequence[Event], config: ProfileConfig) -> dict[ItemKey, float]:
    """Evidence per item: kind weight times recency decay from the newest event."""
    if not events:
        return {}
    newest = max(e.ts for e in events)
    out: dict[ItemKey, float] = {}
    for event in events:
        age_days = (newest - event.ts).total_seconds() / SECONDS_PER_DAY
        decay = 0.5 ** (age_days / config.half_life_days)
        key = item_key(event.vertical, event.item_id)
        out[key] = out.get(key, 0.0) + config.kind_weights.get(event.kind, 0.0) * decay
    return {k: w for k, w in out.items() if w > 0}


def cluster(
    vectors: np.ndarray, weights: np.ndarray, *, threshold: float, max_clusters: int
) -> list[list[int]]:
    """Weighted average-linkage clusters of unit `vectors`, as lists of row indices."""
    n = len(vectors)
    if n == 0:
        return []
    sim = (vectors @ vectors.T).astype(np.float64)
    np.fill_diagonal(sim, -np.inf)
    mass = weights.astype(np.float64).copy()
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    while len(members) > 1:
        a, b = divmod(int(np.argmax(sim)), n)
        if sim[a, b] < threshold and len(members) <= max_clusters:
            break
        merged = (mass[a] * sim[a] + mass[b] * sim[b]) / (mass[a] + mass[b])
        sim[a], sim[:, a] = merged, merged
        sim[b], sim[:, b] = -np.inf, -np.inf
        sim[a, a] = -np.inf
        mass[a] += mass[b]
        members[a] += members.pop(b)
    return [sorted(m) for m in members.values()]


def medoid(rows: list[int], vectors: np.ndarray, weights: np.ndarray) -> int:
    """The member with the highest weighted similarity to the rest of its cluster."""
    sub = vectors[rows]
    score = (sub @ sub.T) @ weights[rows]
    return rows[int(np.argmax(score))]


def build_profile(
    user_id: str,
    events: Sequence[Event],
    vectors: Mapping[ItemKey, np.ndarray],
    config: ProfileConfig,
    *,
    revision: int,
    key: str,
) -> Profile:
    """Cluster the user's engaged items into at most `max_interests` weighted interests.

    Items without a vector (deleted from the catalog) are skipped.
    """
    weighted = item_weights(events, config)
    known = sorted((k for k in weighted if k in vectors), key=lambda k: (-weighted[k], k))
    known = sorted(known[: config.max_items])
    newest = max((e.ts for e in events), default=None)
    profile = Profile(user_id=user_id, revision=revision, key=key, events=len(events))
    if not known:
        return profile.model_copy(update={"newest": newest})
    matrix = np.stack([np.asarray(vectors[k], dtype=np.float32) for k in known])
    matrix /= np.clip(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12, None)
    mass = np.asarray([weighted[k] for k in known], dtype=np.float64)
    groups = cluster(
        matrix, mass, threshold=config.merge_threshold, max_clusters=config.max_interests
    )
    total = float(mass.sum())
    interests: list[Interest] = []
    for rows in groups:
        share = float(mass[rows].sum()) / total
        if share < config.min_share:
            continue
        centre = medoid(rows, matrix, mass)
        heaviest = sorted(rows, key=lambda r: (-mass[r], known[r]))[:20]
        interests.append(
            Interest(
                medoid=known[centre],
                vector=[round(float(x), 6) for x in matrix[centre]],
                weight=share,
                size=len(rows),
                items=[known[r] for r in heaviest],
            )
        )
    kept = sum(i.weight for i in interests) or 1.0
    interests = [i.model_copy(update={"weight": i.weight / kept}) for i in interests]
    interests.sort(key=lambda i: (-i.weight, i.medoid))
    return profile.model_copy(update={"interests": interests, "mass": total, "newest": newest})


class ProfileService:
    """Profiles on demand, cached in memory and in the event store.

    A cached profile is reused only while the user's revision (newest event id) and
    the configuration key are unchanged, so a new event invalidates it and a deleted
    user (revision 0) has none.
    """

    def __init__(
        self,
        store: EventStore,
        lookup: VectorLookup,
        *,
        embedder: str,
        config: ProfileConfig | None = None,
        cache_size: int = 1024,
    ) -> None:
        self.store = store
        self.lookup = lookup
        self.config = config or ProfileConfig()
        self.key = self.config.key(embedder)
        self.builds = 0
        self._cache: OrderedDict[str, Profile] = OrderedDict()
        self._size = max(0, cache_size)
        self._lock = threading.Lock()

    def get(self, user_id: str | None) -> Profile | None:
        """The user's current profile; None for an anonymous or unknown user."""
        if not user_id:
            return None
        revision = self.store.revision(user_id)
        if revision == 0:
            self.forget(user_id)
            return None
        profile = self._remembered(user_id, revision) or self._stored(user_id, revision)
        if profile is None:
            events = self.store.events(user_id, limit=self.config.max_events)
            keys = list(dict.fromkeys(item_key(e.vertical, e.item_id) for e in events))
            profile = build_profile(
                user_id, events, self.lookup(keys), self.config, revision=revision, key=self.key
            )
            self.builds += 1
            body = profile.model_dump_json()
            stored = StoredProfile(user_id=user_id, revision=revision, key=self.key, body=body)
            if not self.store.save_profile(stored):
                return profile
        self._remember(profile)
        return profile

    def forget(self, user_id: str) -> None:
        """Drop the in-memory copy (call after deleting the user from the store)."""
        with self._lock:
            self._cache.pop(user_id, None)

    def _remembered(self, user_id: str, revision: int) -> Profile | None:
        with self._lock:
            profile = self._cache.get(user_id)
            if profile is not None and profile.revision == revision and profile.key == self.key:
                self._cache.move_to_end(user_id)
                return profile
        return None

    def _stored(self, user_id: str, revision: int) -> Profile | None:
        stored = self.store.load_profile(user_id)
        if stored is None or stored.revision != revision or stored.key != self.key:
            return None
        try:
            return Profile.model_validate_json(stored.body)
        except ValidationError:
            return None

    def _remember(self, profile: Profile) -> None:
        if self._size == 0:
            return
        with self._lock:
            self._cache[profile.user_id] = profile
            self._cache.move_to_end(profile.user_id)
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
