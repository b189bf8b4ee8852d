"""Settings: the one place Tessera reads its environment (prefix `TESSERA_`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from agent.settings_explore import ExploreFields
from agent.settings_llm import LLMFields
from agent.settings_serving import ServingFields
from agent.settings_tracing import TracingFields

FusionMode = Literal["rrf", "normalized"]
PlannerMode = Literal["auto", "rule", "llm", "hybrid"]
RequestKind = Literal["long", "constraint", "followup", "single", "exploratory"]
REQUEST_KINDS: tuple[RequestKind, ...] = ("long", "constraint", "followup", "single", "exploratory")
RankerMode = Literal["fusion", "ltr"]
SearchMode = Literal["hybrid", "hybrid-norm", "lexical", "dense"]
"""`hybrid` fuses with `TESSERA_FUSION`; `hybrid-norm` always with normalised scores."""
VERTICAL_MODES: dict[str, SearchMode] = {
    "ideas": "hybrid-norm",
    "shopping": "hybrid-norm",
    "video": "hybrid",
}
DENSE_WEIGHTS: dict[str, float] = {"shopping": 0.3}
"""The dense share of normalised fusion per vertical (0.5 when absent): product titles
lean on their words (Home Depot nDCG@10 0.399 at 0.3, 0.384 at 0.5, BM25 0.390)."""


class Settings(LLMFields, ExploreFields, ServingFields, TracingFields, BaseSettings):
    """Everything Tessera can be configured with. Read once at the edge, never mutated."""

    model_config = SettingsConfigDict(env_prefix="TESSERA_", frozen=True, extra="ignore")

    home: Path = Field(
        default=Path("~/.tessera"),
        description="Data directory: index, caches, threads, model files, eval runs.",
    )
    fusion: FusionMode = Field(default="rrf", description="How lexical and dense ranks merge.")
    rrf_k: int = Field(default=60, ge=1, description="Reciprocal-rank-fusion constant.")
    candidates: int = Field(default=50, ge=1, le=1000, description="Per-backend candidates.")
    vertical_modes: dict[str, SearchMode] = Field(
        default_factory=lambda: dict(VERTICAL_MODES),
        description="Retrieval mode per vertical when no learned ranker applies "
        "(docs/ranking.md gives the measurements behind the defaults).",
    )
    dense_weights: dict[str, float] = Field(
        default_factory=lambda: dict(DENSE_WEIGHTS),
        description="Dense share of normalised fusion per vertical (lexical gets the rest); "
        "0.5 for a vertical not named.",
    )
    ranker: RankerMode = Field(
        default="fusion",
        description="How shopping results are ordered: fusion of the two retrievers, or ltr, "
        "the learned ranker saved by `tessera rank train` (fusion when none is saved).",
    )
    ranker_depth: int = Field(
        default=100, ge=1, le=1000, description="Candidates per retriever the learned ranker sees."
    )
    min_similarity: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Cosine below which a hit found only by the dense side is dropped "
        "(off by default: on the page and constraint suites every floor tried cost recall).",
    )
    page_size: int = Field(default=8, ge=1, le=50, description="Items per module.")
    max_query_chars: int = Field(default=2000, ge=10, description="Longer queries are cut.")
    tool_deadline_s: float = Field(default=5.0, gt=0, description="Per-tool deadline.")
    query_cache_size: int = Field(default=4096, ge=0, description="Query-embedding LRU size.")
    planner: PlannerMode = Field(
        default="auto", description="auto: LLM when reachable, else rules; or force one."
    )
    personalisation_weight: float = Field(
        default=0.3, ge=0, le=1, description="How much a user's profile moves items and modules."
    )
    overfetch: int = Field(
        default=3, ge=1, le=10, description="Candidates per shown item for personal re-ranking."
    )
    exploration_epsilon: float = Field(
        default=0.1, ge=0, le=1, description="Share of pages whose module order is perturbed."
    )
    profile_half_life_days: float = Field(default=30.0, gt=0)
    ips_clip: float = Field(default=50.0, gt=1, description="Clip for inverse-propensity weights.")

    @field_validator("dense_weights", mode="after")
    @classmethod
    def _shares(cls, value: dict[str, float]) -> dict[str, float]:
        """Each dense share lies within [0, 1]."""
        bad = {k: v for k, v in value.items() if not 0.0 <= v <= 1.0}
        if bad:
            raise ValueError(f"dense weights must lie within [0, 1], got {bad}")
        return value

    @field_validator("llm_plan_kinds", mode="after")
    @classmethod
    def _known_kinds(cls, value: str) -> str:
        """Normalise the kind list ('Long, followup' -> 'long,followup'); unknown names fail."""
        names = [v.strip().lower() for v in value.split(",") if v.strip()]
        unknown = sorted(set(names) - set(REQUEST_KINDS))
        if unknown:
            raise ValueError(f"unknown request kinds {unknown}; use {', '.join(REQUEST_KINDS)}")
        return ",".join(k for k in REQUEST_KINDS if k in names)

    @property
    def plan_kinds(self) -> frozenset[RequestKind]:
        """The kinds of request auto mode asks the LLM about."""
        return frozenset(k for k in REQUEST_KINDS if k in self.llm_plan_kinds.split(","))

    @property
    def root(self) -> Path:
        """The data directory, expanded."""
        return self.home.expanduser()

    @property
    def index_dir(self) -> Path:
        return self.root / "index"

    @property
    def models_dir(self) -> Path:
        return self.root / "models"

    @property
    def ranker_dir(self) -> Path:
        """Where `tessera rank train` saves the learned ranker."""
        return self.root / "ranker"

    @property
    def module_weights_path(self) -> Path:
        """Where `tessera rank train-modules` saves the module ranker's weights."""
        return self.root / "module_ranker.json"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    @property
    def threads_db(self) -> Path:
        return self.root / "threads.sqlite"

    @property
    def snapshots(self) -> Path | None:
        """The snapshot directory, expanded; None in the embedded default."""
        return self.snapshot_dir.expanduser() if self.snapshot_dir else None

    @property
    def locks_dir(self) -> Path:
        """Per-thread turn locks (advisory lock files)."""
        return self.root / "locks"
