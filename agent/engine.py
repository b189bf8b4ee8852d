"""The engine: one object that runs the graph for requests, streamed or not.

Single requests run on a graph without memory; requests with a `thread_id`
run on the checkpointed graph so follow-ups see earlier turns. A turn's state
is written once, when the turn ends (`durability="exit"`): a turn cut short
leaves the thread as it was before that turn. Turns of one thread run one at a
time (`TurnLocks`, across workers and processes), so every answered turn is
kept and each follow-up reads the turn before it. A streamed turn runs in its own
task, so a client that leaves mid-stream still gets its turn kept. Each request is
one `search` span (agent/spans.py) when tracing is on.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from pydantic import BaseModel

from agent.deps import Deps
from agent.graph import build_graph
from agent.memory import forget_threads
from agent.models import Module, Page, SearchRequest
from agent.spans import describe_page, request_span
from agent.state import State, Turn
from agent.trace import TraceStep
from agent.turns import turn_locks
from tools.errors import UserError

logger = logging.getLogger("tessera.engine")
DRAIN_S = 30.0
"""How long closing the engine waits for streamed turns still running."""


class UnknownThread(UserError, LookupError):
    """A thread id that no conversation has; start a new thread instead."""


class StreamEvent(BaseModel):
    """One streamed update: a finished graph step, a module as soon as it is ready (those
    that need no LLM once ranked, then each aspect module of a broad request as it is
    grounded), or the final page (whose order and contents are the ones to keep). With the
    page come the ids of modules streamed earlier that it no longer holds (merged into
    another module, or left when a plan's aspects carried the page)."""

    kind: Literal["step", "module", "page"]
    step: TraceStep | None = None
    module: Module | None = None
    page: Page | None = None
    withdrawn: list[str] = []


class Engine:
    """Runs search requests through the graph with the given dependencies."""

    def __init__(self, deps: Deps, checkpointer: BaseCheckpointSaver[Any] | None = None) -> None:
        self.deps = deps
        self._graph = build_graph()
        self._checkpointer = checkpointer
        self._threaded = build_graph(checkpointer) if checkpointer is not None else None
        self.locks = turn_locks(deps.settings)
        self._running: set[asyncio.Task[None]] = set()

    async def aclose(self) -> None:
        """Let streamed turns finish, then release what the turn locks hold open (a
        PostgreSQL pool, if one was opened)."""
        await self.drain()
        await self.locks.aclose()

    def new_thread(self) -> str:
        """A fresh thread id."""
        return uuid.uuid4().hex[:16]

    async def history(self, thread_id: str) -> list[Turn]:
        """The turns of a thread; raises `UnknownThread` if it has none."""
        if self._threaded is None:
            raise UnknownThread("conversations are not enabled in this process")
        snapshot = await self._threaded.aget_state({"configurable": {"thread_id": thread_id}})
        values = snapshot.values if snapshot else None
        if not values:
            raise UnknownThread(f"unknown thread {thread_id!r}: start a new conversation")
        return list(State.model_validate(values).history)

    async def threads(self, limit: int = 50) -> list[str]:
        """Most recently active thread ids, newest first."""
        if self._checkpointer is None:
            return []
        seen: dict[str, None] = {}
        async for item in self._checkpointer.alist(None, limit=limit * 20):
            thread = item.config.get("configurable", {}).get("thread_id")
            if thread:
                seen.setdefault(str(thread), None)
            if len(seen) >= limit:
                break
        return list(seen)

    async def _target(self, request: SearchRequest, new_thread: bool) -> tuple[Any, dict[str, Any]]:
        """The graph to run and its invoke options (thread config and durability)."""
        if request.thread_id is None:
            return self._graph, {}
        if self._threaded is None:
            raise UnknownThread("conversations are not enabled in this process")
        if not new_thread:
            await self.history(request.thread_id)
        config = {"configurable": {"thread_id": request.thread_id}}
        return self._threaded, {"config": config, "durability": "exit"}

    async def forget_threads(self, user_id: str) -> int:
        """Delete every thread a request of `user_id` ran in; returns how many."""
        if self._checkpointer is None:
            return 0
        return await forget_threads(self._checkpointer, user_id, self.locks)

    @asynccontextmanager
    async def _turn(self, request: SearchRequest) -> AsyncIterator[None]:
        """Hold the request's thread (if any) for the whole turn."""
        if request.thread_id is None or self._threaded is None:
            yield
            return
        async with self.locks.hold(request.thread_id):
            yield

    async def search(self, request: SearchRequest, *, new_thread: bool = False) -> Page:
        """Run one request to its page."""
        content = self.deps.settings.trace_content
        with request_span(request, streamed=False, content=content) as root:
            async with self._turn(request):
                graph, options = await self._target(request, new_thread)
                out = await graph.ainvoke({"request": request}, context=self.deps, **options)
            page = out["page"]
            page = page if isinstance(page, Page) else Page.model_validate(page)
            describe_page(root, page)
        return page

    async def stream(
        self, request: SearchRequest, *, new_thread: bool = False
    ) -> AsyncIterator[StreamEvent]:
        """Yield each graph step as it finishes and each module as it is ready, then the page.

        The turn runs in a task of its own: a consumer that stops listening (a client
        that dropped the stream) does not cut it short. It runs to its page and, in a
        thread, is kept there like any other turn.
        """
        turn = _StreamedTurn()
        task = asyncio.create_task(self._run_streamed(request, new_thread, turn))
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        try:
            while (item := await turn.queue.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            turn.listening = False

    async def _run_streamed(
        self, request: SearchRequest, new_thread: bool, turn: _StreamedTurn
    ) -> None:
        """Run the turn to its end, handing each event to `turn` while anyone listens."""
        content = self.deps.settings.trace_content
        streamed: list[str] = []
        try:
            with request_span(request, streamed=True, content=content) as root:
                async with self._turn(request):
                    graph, options = await self._target(request, new_thread)
                    async for mode, update in graph.astream(
                        {"request": request},
                        context=self.deps,
                        stream_mode=["updates", "custom"],
                        **options,
                    ):
                        if mode == "custom":
                            if isinstance(update, dict) and update.get("module") is not None:
                                module = Module.model_validate(update["module"])
                                streamed.append(module.id)
                                turn.put(StreamEvent(kind="module", module=module))
                            continue
                        for node, values in update.items():
                            if not isinstance(values, dict):
                                continue
                            for step in values.get("steps") or []:
                                turn.put(StreamEvent(kind="step", step=step))
                            if node == "rank":
                                for ranked in values.get("modules") or []:
                                    module = Module.model_validate(ranked)
                                    streamed.append(module.id)
                                    turn.put(StreamEvent(kind="module", module=module))
                            if values.get("page") is not None:
                                page = Page.model_validate(values["page"])
                                describe_page(root, page)
                                kept = {m.id for m in page.modules}
                                gone = [i for i in dict.fromkeys(streamed) if i not in kept]
                                turn.put(StreamEvent(kind="page", page=page, withdrawn=gone))
        except Exception as exc:
            if not turn.listening:
                logger.exception("a turn nobody was listening to failed")
            turn.put(exc)
            return
        except asyncio.CancelledError:
            turn.put(asyncio.CancelledError())
            raise
        turn.put(None)

    async def drain(self, timeout_s: float = DRAIN_S) -> None:
        """Wait (up to `timeout_s`) for streamed turns whose clients left to finish."""
        if self._running:
            await asyncio.wait(set(self._running), timeout=timeout_s)


class _StreamedTurn:
    """The hand-over between a streamed turn's task and its consumer."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[StreamEvent | BaseException | None] = asyncio.Queue()
        self.listening = True

    def put(self, item: StreamEvent | BaseException | None) -> None:
        if self.listening:
            self.queue.put_nowait(item)
