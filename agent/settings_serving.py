"""Serving and scale-out settings, a section of `Settings` (env names unchanged).

The web API's limits and the shared backends a deployment may point at. `Settings`
inherits these fields and is still the one object read from the environment.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, field_validator


class ServingFields(BaseModel):
    """The web API's key, origins and limits; the Chroma server, database and snapshots."""

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
