"""The LLM's settings, a section of `Settings` (env names `TESSERA_LLM_*` unchanged).

Kept apart only to keep each file short: `Settings` inherits these fields and is
still the one object read from the environment, once, at the edge.
"""

from __future__ import annotations

import os
from typing import Literal

from pydantic import BaseModel, Field


class LLMFields(BaseModel):
    """Where the LLM is, what it may be asked, and how long and how often."""

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
    llm_install_wait_s: float = Field(
        default=900.0,
        gt=0,
        description="How long starting the local LLM waits for set-up's background install "
        "of its model (download, assembly, sha256 check) before it gives up with an error.",
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
