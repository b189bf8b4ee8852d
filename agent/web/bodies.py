"""Request and response bodies of the web API (`app.py`), beside the shared `Page`.

Limits that depend on settings (query length) are checked by the routes; what a
body can say on its own (empty query, k range, filter types) is checked here, so
a bad request is answered with a 422 that names the field.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from agent.backends import BackendHealth
from agent.state import Turn
from tools.catalog import Vertical
from tools.filters import Filters
from tools.text_clean import strip_controls

THREAD_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


MAX_IMAGE_CHARS = 60_000
"""A data URL of a picture scaled to the model's input size (the page sends about 30 KB)."""


class SearchBody(BaseModel):
    """`POST /v1/search`: one request, answered with one page."""

    model_config = ConfigDict(extra="forbid")

    image: str | None = Field(
        default=None,
        max_length=MAX_IMAGE_CHARS,
        description="A picture to search with, as a `data:image/...;base64,` URL "
        "of at most 60,000 characters: scale pictures down to about 320 px first (the vision "
        "model reads 224 px). With an image the query may be empty.",
    )

    query: str = Field(
        default="",
        validate_default=True,
        max_length=10_000,
        description="What the person typed; may be empty only with an image. "
        "Longer than `TESSERA_MAX_QUERY_CHARS` is rejected with a 422.",
        examples=["vegetarian soup recipes and a desk lamp under $40"],
    )
    filters: Filters | None = Field(default=None, description="Explicit filters for every module.")
    exact: bool = Field(
        default=False,
        description="Search the words as typed, without spelling correction (what the "
        "page's 'Search instead for ...' link sends).",
    )
    k: int | None = Field(
        default=None, ge=1, le=50, description="Items per module (1-50); default page size."
    )
    thread_id: str | None = Field(
        default=None,
        pattern=THREAD_ID_PATTERN,
        description="Continue this conversation; omit for a single, unthreaded page. "
        "An unknown id is a 404.",
    )
    user_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Who is searching: pages adapt to this user's events and are logged "
        "(with the page's `page_id`) so events can refer back to them. Omit for anonymous.",
    )

    @field_validator("image")
    @classmethod
    def _data_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("data:image/"):
            raise ValueError("image must be a data:image/...;base64, URL (an uploaded picture)")
        return value

    @field_validator("query")
    @classmethod
    def _something_to_search(cls, value: str, info: ValidationInfo) -> str:
        value = strip_controls(value)
        if not value.strip() and info.data.get("image") is None:
            raise ValueError("query is empty: type a few words, e.g. 'pasta recipes'")
        return value


class ChatBody(SearchBody):
    """`POST /v1/chat`: one turn of a conversation, streamed as Server-Sent Events.

    Without `thread_id` a new conversation starts and its id is sent first (a
    `thread` event) and on the page. An unknown `thread_id` is a 404: omit it
    to start a new conversation.
    """

    thread_id: str | None = Field(
        default=None,
        pattern=THREAD_ID_PATTERN,
        description="The conversation to continue; omit to start a new one.",
    )


class ThreadEvent(BaseModel):
    """Data of the `thread` event, sent first when a chat turn starts a new thread."""

    thread_id: str


class WithdrawnEvent(BaseModel):
    """Data of the `withdrawn` event: modules streamed earlier that the final page does
    not hold (merged into another module, or replaced by a plan's aspects)."""

    module_ids: list[str]


class DoneEvent(BaseModel):
    """Data of the `done` event that ends every successful chat stream."""

    thread_id: str | None = None


class FieldError(BaseModel):
    """One problem with one field of a request."""

    field: str = Field(description="Dotted path, e.g. 'filters.price_max'; '' for the body.")
    message: str


class ErrorBody(BaseModel):
    """Every error the API returns: a sentence a person can act on and a request id."""

    detail: str
    request_id: str = ""
    errors: list[FieldError] = Field(default_factory=list)


class TurnView(BaseModel):
    """One turn of a conversation as shown to clients."""

    text: str
    modules: list[str] = Field(description="Titles of the modules the turn showed.")
    planner: str = ""
    max_price_seen: float | None = None

    @classmethod
    def from_turn(cls, turn: Turn) -> TurnView:
        return cls(
            text=turn.text,
            modules=list(turn.page_summary),
            planner=turn.plan.planner,
            max_price_seen=turn.max_price_seen,
        )


class ThreadView(BaseModel):
    """`GET /v1/threads/{id}`: the turns of one conversation, oldest first."""

    thread_id: str
    turns: list[TurnView]


class ThreadList(BaseModel):
    """`GET /v1/threads`: recently active conversations, newest first."""

    threads: list[str]


class IndexHealth(BaseModel):
    """Whether the catalog index is open, and what it holds."""

    ok: bool
    path: str
    version: int | None = None
    counts: dict[Vertical, int] = Field(default_factory=dict)
    vectors: dict[Vertical, str] = Field(
        default_factory=dict,
        description="Verticals whose vectors are damaged, searched lexically only, and why "
        "(`tessera index --repair` fixes them).",
    )
    detail: str = ""


class LLMHealth(BaseModel):
    """Which planner serves requests; `reachable` is None when no LLM is in use."""

    mode: str = Field(description="The configured planner mode: auto, rule, llm or hybrid.")
    planner: str = Field(description="'rule' or the LLM planner's name.")
    note: str = ""
    reachable: bool | None = None


class ThreadStoreHealth(BaseModel):
    """Whether the conversation store answers."""

    ok: bool
    path: str
    detail: str = ""


class PublicHealth(BaseModel):
    """`GET /healthz` without the API key (when one is set): the status alone."""

    status: Literal["ok", "degraded", "unavailable"]


class Health(BaseModel):
    """`GET /healthz`: ok, degraded (no LLM, no thread store or damaged vectors) or
    unavailable (no index). With TESSERA_API_KEY set, only callers with the key see this."""

    status: Literal["ok", "degraded", "unavailable"]
    version: str
    index: IndexHealth
    llm: LLMHealth
    threads: ThreadStoreHealth
    backends: list[BackendHealth] = Field(
        default_factory=list,
        description="Each backend (vectors, items, database): its kind, where, and whether "
        "it answers; one that does not makes the status unavailable.",
    )
