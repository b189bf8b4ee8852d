"""Settings: the one place Tessera reads its environment (prefix `TESSERA_`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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


class Settings(BaseSettings):
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
    llm_base_url: str | None = Field(
        default=None, description="OpenAI-compatible base URL; unset means the local server."
    )
    llm_model: str = Field(
        default="qwen2.5-coder-1.5b-instruct",
        description="The model asked. The local 1.5B opens broad intents into aspects the "
        "catalog grounds (the 0.5B copies the request back or invents: exploratory "
        "coverage 0.21 against 0.29-0.33) and splits long requests as well as the 0.5B "
        "(routing F1 0.933 both); it is slower (split p50 8.0 s against 4.1 s with a "
        "loaded machine), so more long requests fall back to the router's plan under "
        "load. Set qwen2.5-coder-0.5b-instruct for the smaller one (docs/exploratory.md).",
    )
    llm_api_key: str = Field(default="sk-local")
    llm_timeout_s: float = Field(default=20.0, gt=0)
    llm_max_tokens: int = Field(default=384, ge=16)
    llm_max_calls: int = Field(default=5, ge=0, description="LLM calls allowed per request.")
    llm_titles: bool = Field(
        default=False,
        description="Let the LLM title modules (a blocking call; template titles otherwise).",
    )
    llm_suggestions: bool = Field(
        default=False,
        description="Let the LLM suggest searches (a blocking call; catalog ones otherwise).",
    )
    llm_rewrites: bool = Field(
        default=False, description="Let the LLM rewrite weak sub-queries (a call each)."
    )
    llm_plan_calls: int = Field(
        default=1, ge=1, description="LLM attempts a plan may use (retries and repairs count)."
    )
    llm_plan_budget_s: float = Field(
        default=6.0, gt=0, description="Longest a plan waits for the LLM before the router plans."
    )
    llm_plan_max_tokens: int = Field(default=160, ge=16, description="Tokens a plan may generate.")
    llm_plan_kinds: str = Field(
        default="long",
        description="Kinds of request auto mode asks the LLM planner about (comma-separated: "
        "long, constraint, followup, single, exploratory); the others the router plans alone. "
        "Exploratory requests are opened into aspects either way (TESSERA_EXPLORE_*).",
    )
    llm_plan_task: Literal["split", "plan"] = Field(
        default="split",
        description="For long requests: split (the LLM only cuts the text into clauses, the "
        "router routes them) or plan (the LLM's full plan, grounded).",
    )
    llm_split_max_tokens: int = Field(
        default=96, ge=16, description="Tokens a clause split may generate."
    )
    explore_deadline_s: float = Field(
        default=6.0,
        gt=0,
        description="How long a page waits for the aspects of a broad intent (burger night) "
        "before it is returned with what has arrived; the trace says what was cut.",
    )
    explore_max_tokens: int = Field(
        default=70, ge=16, description="Tokens the aspect call may generate (about 25-35 used)."
    )
    explore_similarity: float = Field(
        default=0.0,
        ge=-1,
        le=1,
        description="Cosine between a request and an aspect's first items below which the "
        "aspect is not shown: unrelated to the request. MiniLM puts good aspects anywhere "
        "from 0.02 (a mouse for a home office) to 0.4, so this only drops the opposed; the "
        "relevance gate has already judged the items against the aspect.",
    )
    explore_group_similarity: float = Field(
        default=0.3,
        ge=-1,
        le=1,
        description="Without the LLM: the cosine to the request an item needs to join one of "
        "the catalog groups shown for a broad request.",
    )
    llm_concurrency: int = Field(
        default=1,
        ge=1,
        description="LLM calls at once, apart from the web request limit; also the local "
        "server's parallel slots (on 2 shared cores two at once were slower, not faster).",
    )
    llm_queue_wait_s: float = Field(
        default=0.2, ge=0, description="How long a request waits for an LLM slot before skipping."
    )
    llm_breaker_failures: int = Field(
        default=3, ge=1, description="Consecutive LLM timeouts or errors that open the breaker."
    )
    llm_breaker_cooldown_s: float = Field(
        default=30.0, ge=0, description="How long an open breaker skips the LLM."
    )
    llm_autostart: bool = Field(
        default=True,
        description="In auto mode, start the local server when its model is assembled and no "
        "server answers (never when TESSERA_LLM_BASE_URL is set).",
    )
    llm_budget_s: float = Field(default=30.0, gt=0, description="LLM wall time per request.")
    llm_port: int = Field(default=8088, ge=1, le=65535, description="Local llama.cpp port.")
    llm_threads: int = Field(
        default_factory=lambda: max(1, (os.cpu_count() or 2) - 1),
        ge=1,
        description="llama.cpp threads (default: one fewer than the cores). On 2 shared cores "
        "2 threads generate ~40 tok/s when idle but 1-2 tok/s once other work runs; 1 thread "
        "kept ~8 tok/s under the same load.",
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
    api_key: str | None = Field(default=None, description="Require this key on the web API.")
    cors_origins: list[str] = Field(default_factory=list)
    max_concurrency: int = Field(
        default=8, ge=1, description="Web API requests run at once; more wait, then get a 503."
    )
    queue_wait_s: float = Field(
        default=2.0, ge=0, description="How long a web API request waits for a free slot."
    )
    turn_wait_s: float = Field(
        default=60.0, gt=0, description="How long a turn waits for its thread's previous turn."
    )
    chroma_url: str | None = Field(
        default=None,
        description="A Chroma server (`chroma run`), e.g. http://127.0.0.1:8010; unset means "
        "the embedded PersistentClient under TESSERA_HOME.",
    )
    database_url: str | None = Field(
        default=None,
        description="postgresql://... for threads, events, impressions and profiles; unset "
        "means SQLite files under TESSERA_HOME.",
    )
    snapshot_dir: Path | None = Field(
        default=None,
        description="Where `tessera index` publishes immutable item-store snapshots that "
        "workers open read-only; unset means the writable store under TESSERA_HOME.",
    )
    snapshot_poll_s: float = Field(
        default=1.0, ge=0, description="How often a worker looks for a newer snapshot."
    )

    @field_validator("chroma_url", "database_url", "snapshot_dir", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """An empty variable (`TESSERA_CHROMA_URL=`) means the embedded default."""
        return None if isinstance(value, str) and not value.strip() else value

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
