"""`POST /v1/chat` as Server-Sent Events: the graph's steps as they finish, then the page.

The stream holds one concurrency slot for as long as it runs; `LeasedStream`
gives it back however the response ends (done, failed, or the client left). A
client that leaves does not cut its turn short: the engine runs it to its page
and keeps it in the thread (`Engine.stream`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from agent.engine import Engine
from agent.models import SearchRequest
from agent.turns import ThreadBusy
from agent.web.bodies import DoneEvent, ErrorBody, ThreadEvent, WithdrawnEvent

logger = logging.getLogger("tessera.web")


def sse(event: str, data: BaseModel) -> bytes:
    """One Server-Sent Event whose data is the model's JSON (always one line)."""
    return f"event: {event}\ndata: {data.model_dump_json()}\n\n".encode()


class LeasedStream(StreamingResponse):
    """A streamed response that gives its concurrency slot back however it ends."""

    def __init__(self, content: AsyncIterator[bytes], release: Callable[[], None]) -> None:
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        super().__init__(content, media_type="text/event-stream", headers=headers)
        self._release = release

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._release()


async def chat_events(
    engine: Engine, request: SearchRequest, new_thread: bool, rid: str
) -> AsyncIterator[bytes]:
    """`thread` (new threads only), one `step` per graph step, one `module` per module as
    soon as it is ready (the aspects of a broad request arrive after the others),
    `withdrawn` (the ids of streamed modules the page no longer holds, when there are
    any), `page`, then `done`.

    A failure after the response has started cannot change its status, so it
    ends the stream with an `error` event carrying the request id instead.
    """
    if new_thread and request.thread_id:
        yield sse("thread", ThreadEvent(thread_id=request.thread_id))
    try:
        async for event in engine.stream(request, new_thread=new_thread):
            if event.step is not None:
                yield sse("step", event.step)
            elif event.module is not None:
                yield sse("module", event.module)
            elif event.page is not None:
                if event.withdrawn:
                    yield sse("withdrawn", WithdrawnEvent(module_ids=event.withdrawn))
                yield sse("page", event.page)
    except ThreadBusy as exc:
        yield sse("error", ErrorBody(detail=str(exc), request_id=rid))
        return
    except Exception:
        logger.exception("chat stream failed (request %s)", rid)
        detail = "the search failed before its page was ready; try again"
        yield sse("error", ErrorBody(detail=detail, request_id=rid))
        return
    yield sse("done", DoneEvent(thread_id=request.thread_id))
