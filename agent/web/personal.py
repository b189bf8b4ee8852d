"""Web API routes for personalisation: engagement events, a user's profile, forgetting a user.

- `POST /v1/events`: one engagement (`view`, `click` or `save` of an item, with the
  `page_id` and `module_id` it was shown on when known); 201 with the stored id, 422
  naming the bad field.
- `GET /v1/users/{user_id}/profile`: the user's interests, readable.
- `DELETE /v1/users/{user_id}`: every event, logged page, profile and thread of the user.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path

from agent.personal.views import EventReceipt, ForgetReport, ProfileSummary
from agent.web.bodies import ErrorBody
from agent.web.guard import ApiError
from agent.web.services import EngineDep, PersonalDep, require_key
from tools.events import Event, EventError, EventStoreError

UserId = Annotated[str, Path(min_length=1, max_length=200, description="The user's id.")]
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody} for code in (401, 404, 413, 422, 503)
}

router = APIRouter(prefix="/v1", dependencies=[Depends(require_key)], responses=ERRORS)


def _unavailable(exc: EventStoreError) -> ApiError:
    return ApiError(503, f"the events database is unavailable: {exc}", headers={"Retry-After": "5"})


@router.post("/events", status_code=201, response_model=EventReceipt)
async def post_event(
    event: Annotated[Event, Body(description="An engagement event.")],
    personal: PersonalDep,
) -> EventReceipt:
    """Record that a user viewed, clicked or saved an item; it shapes their next pages."""
    try:
        event_id = await asyncio.to_thread(personal.record, event)
    except EventError as exc:
        raise ApiError(422, str(exc)) from None
    except EventStoreError as exc:
        raise _unavailable(exc) from None
    return EventReceipt(id=event_id, user_id=event.user_id)


@router.get("/users/{user_id}/profile", response_model=ProfileSummary)
async def get_profile(user_id: UserId, personal: PersonalDep) -> ProfileSummary:
    """The user's interests: weight, size and a few example items of each."""
    try:
        summary = await asyncio.to_thread(personal.profile_summary, user_id)
    except EventStoreError as exc:
        raise _unavailable(exc) from None
    if summary is None:
        raise ApiError(404, f"no events recorded for user {user_id!r}")
    return summary


@router.delete("/users/{user_id}", response_model=ForgetReport)
async def delete_user(user_id: UserId, personal: PersonalDep, engine: EngineDep) -> ForgetReport:
    """Delete every event, logged page, profile and conversation thread of the user."""
    try:
        report = await asyncio.to_thread(personal.forget, user_id)
    except EventStoreError as exc:
        raise _unavailable(exc) from None
    threads = await engine.forget_threads(user_id)
    return report.model_copy(update={"threads": threads})
