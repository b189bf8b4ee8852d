"""The default LLM path with a scripted server at the HTTP seam: at most one blocking call
per request, the breaker, and a hung endpoint that never starves requests needing no LLM."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from agent.deps import Deps
from agent.engine import Engine
from agent.llm.client import LLMClient
from agent.models import Page, SearchRequest
from agent.planning.llm_planner import LLMPlanner
from agent.planning.router import Router
from agent.settings import Settings
from tests.fakes import FakeServer, Sleeps, make_client, reply, serve_app, step

QUERIES = [
    "office chair under $200",
    "vegetarian soup",
    "a comedy to watch tonight",
    "easy vegetarian soup recipes and a desk lamp under $40",
    "tomato soup ideas and a comedy to watch",
    "something warm to eat and somewhere to sit",
]


def deps_with(tiny_deps: Deps, client: LLMClient, *, routed: bool = True, **settings: Any) -> Deps:
    router = Router.load(tiny_deps.index.embedder) if routed else None
    assert router is not None or not routed, "the shipped router weights are missing"
    return Deps(
        settings=tiny_deps.settings.model_copy(update={"planner": "auto", **settings}),
        index=tiny_deps.index,
        planner=LLMPlanner(client),
        llm=client,
        router=router,
    )


def planning_reply(_: httpx.Request) -> httpx.Response:
    return reply(step("search_ideas", "vegetarian soup"), step("search_products", "desk lamp"))


async def test_default_path_makes_at_most_one_blocking_call_per_request(
    tiny_deps: Deps,
) -> None:
    server = FakeServer(*[planning_reply] * len(QUERIES))
    deps = deps_with(tiny_deps, make_client(server))
    pages = [await Engine(deps).search(SearchRequest(text=q)) for q in QUERIES]
    calls = [page.trace.llm_calls for page in pages]
    assert all(n <= 1 for n in calls), calls
    assert sum(calls) / len(calls) <= 1.0
    assert calls[0] == 0 and "router" in pages[0].trace.planner
    names = {c.name for page in pages for c in page.trace.llm if c.outcome != "budget"}
    assert names <= {"plan", "aspects"}, names
    for page in pages:
        for call in page.trace.llm:
            assert call.outcome == "budget" or call.prompt_tokens == 900


async def test_breaker_opens_after_consecutive_failures_and_says_so(tiny_deps: Deps) -> None:
    server = FakeServer(down=True)
    deps = deps_with(tiny_deps, make_client(server), planner="llm", llm_breaker_failures=2)
    engine = Engine(deps)
    text = "tomato soup ideas and a comedy to watch"
    first = await engine.search(SearchRequest(text=text + " tonight"))
    second = await engine.search(SearchRequest(text=text + " now"))
    tried = len(server.requests)
    assert tried == 2 and first.modules and second.modules
    assert "LLM planner failed" in second.trace.planner
    third = await engine.search(SearchRequest(text=text))
    assert len(server.requests) == tried, "an open breaker must not call the LLM"
    assert "circuit open" in third.trace.planner
    assert third.trace.llm_calls == 0 and third.modules


class Hung:
    """An endpoint that accepts chat calls and never answers them."""

    def __init__(self, expected: int) -> None:
        self.calls = 0
        self.expected = expected
        self.reached = asyncio.Event()

    async def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/models"):
            return httpx.Response(200, json={"object": "list", "data": []})
        self.calls += 1
        if self.calls >= self.expected:
            self.reached.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def test_hung_llm_never_starves_a_request_that_needs_no_llm(tiny_deps: Deps) -> None:
    hung = Hung(expected=2)
    client = LLMClient(
        Settings(llm_base_url="http://llm.test/v1", llm_timeout_s=600),
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(hung.handler)),
        sleep=Sleeps(),
    )
    deps = deps_with(
        tiny_deps,
        client,
        routed=False,
        llm_plan_budget_s=600,
        llm_budget_s=600,
        llm_concurrency=2,
    )
    settings = deps.settings.model_copy(update={"max_concurrency": 8, "queue_wait_s": 2.0})
    deps.settings = settings
    async with serve_app(settings, deps) as http:
        waiting = [
            asyncio.create_task(
                http.post("/v1/search", json={"query": f"something warm to eat and a seat {i}"})
            )
            for i in range(8)
        ]
        await hung.reached.wait()
        ninth = await http.post("/v1/search", json={"query": "office chair under $200"})
        assert ninth.status_code == 200
        page = Page.model_validate(ninth.json())
        assert page.modules and page.trace.llm_calls == 0
        hung_now = sum(not t.done() for t in waiting)
        assert hung_now >= 2, "the hung calls were still in flight when the ninth was served"
        assert hung.calls == 2, "only the LLM slots may wait on the endpoint"
        for task in waiting:
            task.cancel()
        await asyncio.gather(*waiting, return_exceptions=True)
