"""The graph with a scripted OpenAI-compatible LLM at the HTTP seam: plan, titles,
suggestions and rewrites, their fallbacks, and what the trace records."""

from __future__ import annotations

import json
from typing import Any

import httpx

from agent.deps import Deps
from agent.engine import Engine
from agent.models import Page, SearchRequest
from agent.planning.llm_planner import LLMPlanner
from tests.fakes import FakeServer, make_client, reply, step
from tests.fakes import plan_completion as completion

WRITER_ON = {"llm_titles": True, "llm_suggestions": True, "llm_rewrites": True}


def llm_deps(tiny_deps: Deps, server: FakeServer, **settings: Any) -> Deps:
    """LLM deps with the opt-in writer (titles, suggestions, rewrites) switched on."""
    settings = WRITER_ON | settings
    client = make_client(server)
    return Deps(
        settings=tiny_deps.settings.model_copy(update=settings),
        index=tiny_deps.index,
        planner=LLMPlanner(client),
        llm=client,
    )


def scripted(payload: dict[str, Any]) -> httpx.Response:
    return completion(json.dumps(payload))


async def run(deps: Deps, text: str) -> Page:
    return await Engine(deps).search(SearchRequest(text=text))


async def test_llm_plans_titles_and_suggests_within_the_budget(tiny_deps: Deps) -> None:
    server = FakeServer(
        reply(step("search_ideas", "tomato soup"), step("search_products", "office chair")),
        scripted({"titles": [{"id": "q1", "title": "Cosy tomato soups"}]}),
        scripted({"suggestions": ["lentil soup", "zzqx unknowable thing"]}),
    )
    deps = llm_deps(tiny_deps, server)
    page = await run(deps, "something warm to eat and somewhere to sit")
    assert page.trace.planner.startswith("llm:")
    assert {m.vertical for m in page.modules} == {"ideas", "shopping"}
    titles = {m.id: m.title for m in page.modules}
    assert titles["q1"] == "Cosy tomato soups"
    assert "lentil soup" in page.suggestions
    assert "zzqx unknowable thing" not in page.suggestions
    assert page.trace.llm_calls == 3 and page.trace.llm_tokens == 3 * 980
    assert [c.name for c in page.trace.llm] == ["plan", "titles", "suggest"]


async def test_junk_plan_falls_back_to_rules_and_keeps_template_titles(tiny_deps: Deps) -> None:
    server = FakeServer(
        completion("not json"),
        completion("still not json"),
        completion("junk"),
        completion("junk"),
        completion("junk"),
        completion("junk"),
    )
    deps = llm_deps(tiny_deps, server, llm_max_calls=4)
    page = await run(deps, "tomato soup ideas and a comedy to watch")
    assert page.trace.planner.startswith("rule (LLM planner failed")
    assert {m.vertical for m in page.modules} == {"ideas", "video"}
    assert all(not m.title.startswith("junk") for m in page.modules)
    assert page.trace.llm_calls <= 4


async def test_confident_single_intent_skips_the_llm(tiny_deps: Deps) -> None:
    server = FakeServer(scripted({"titles": []}), scripted({"suggestions": []}))
    page = await run(llm_deps(tiny_deps, server), "office chair under $200")
    assert "LLM skipped" in page.trace.planner
    assert [c.name for c in page.trace.llm] == ["titles", "suggest"]


async def test_weak_sub_query_is_rewritten_by_the_llm(tiny_deps: Deps) -> None:
    server = FakeServer(
        scripted({"query": "office chair"}),
        scripted({"titles": []}),
        scripted({"suggestions": []}),
    )
    page = await run(llm_deps(tiny_deps, server), "a throne for my study to buy")
    [module] = page.modules
    assert any("instead of" in r for r in module.relaxed)
    assert all("chair" in i.title.lower() for i in module.items[:4])
