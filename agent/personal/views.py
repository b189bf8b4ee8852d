"""What the personalisation endpoints and commands report: receipts, deletions, profiles.

Shared by the web API (`agent/api_personal.py`) and the CLI (`agent/cli_events.py`),
so both describe a user's profile the same way: each interest with its share of the
evidence, how many items it holds, and the titles of a few of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from agent.personal.profile import Profile, ProfileConfig
from tools.catalog import VERTICALS

if TYPE_CHECKING:
    from tools.index import CatalogIndex

EXAMPLES = 3
GONE = "(no longer in the catalog)"


class EventReceipt(BaseModel):
    """An engagement event as stored."""

    id: int = Field(description="The event's id; also the user's new profile revision.")
    user_id: str


class ForgetReport(BaseModel):
    """What deleting a user removed."""

    user_id: str
    events: int = Field(description="Engagement events deleted.")
    impressions: int = Field(description="Logged pages of this user deleted.")
    profile: bool = Field(description="Whether a stored profile was deleted.")
    threads: int = Field(default=0, description="Conversation threads of this user deleted.")


class ItemRef(BaseModel):
    """A catalog item named by a profile."""

    key: str = Field(description="`vertical:id`.")
    vertical: str
    id: str
    title: str


class InterestSummary(BaseModel):
    """One interest of a profile: its weight, its size and a few of its items."""

    weight: float = Field(description="Share of the profile's evidence, in [0, 1].")
    size: int = Field(description="Distinct items the interest was built from.")
    medoid: ItemRef = Field(description="The item most typical of the interest.")
    examples: list[ItemRef] = Field(description="The interest's most engaged items.")


class ProfileSummary(BaseModel):
    """A user's profile, readable: interests with sizes, weights and example titles."""

    user_id: str
    events: int = Field(description="Events the profile was built from.")
    revision: int = Field(description="The newest event id the profile reflects.")
    strength: float = Field(description="How much the profile moves a page, in [0, 1).")
    interests: list[InterestSummary] = Field(default_factory=list)


def _refs(index: CatalogIndex, keys: list[str]) -> dict[str, ItemRef]:
    """ItemRefs by key, with titles read from the index (deleted items say so)."""
    by_vertical: dict[str, list[str]] = {}
    for key in keys:
        vertical, _, item_id = key.partition(":")
        by_vertical.setdefault(vertical, []).append(item_id)
    titles: dict[str, str] = {}
    for vertical in VERTICALS:
        ids = by_vertical.get(vertical)
        if ids:
            titles |= {f"{vertical}:{i.id}": i.title for i in index.get(vertical, ids)}
    out: dict[str, ItemRef] = {}
    for key in keys:
        vertical, _, item_id = key.partition(":")
        out[key] = ItemRef(key=key, vertical=vertical, id=item_id, title=titles.get(key, GONE))
    return out


def summarise(
    profile: Profile, index: CatalogIndex, config: ProfileConfig, *, examples: int = EXAMPLES
) -> ProfileSummary:
    """The profile with item titles looked up in the index."""
    keys = list(
        dict.fromkeys(k for i in profile.interests for k in [i.medoid, *i.items[:examples]])
    )
    refs = _refs(index, keys)
    return ProfileSummary(
        user_id=profile.user_id,
        events=profile.events,
        revision=profile.revision,
        strength=round(profile.strength(config), 4),
        interests=[
            InterestSummary(
                weight=round(i.weight, 4),
                size=i.size,
                medoid=refs[i.medoid],
                examples=[refs[k] for k in i.items[:examples]],
            )
            for i in profile.interests
        ],
    )
