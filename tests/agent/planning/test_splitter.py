"""The clause splitter and request kinds: the LLM only cuts the text, spans are verified."""

from __future__ import annotations

import json

import httpx
import pytest
from pydantic import ValidationError

from agent.deps import Deps
from agent.engine import Engine
from agent.models import SearchRequest
from agent.planning.kinds import request_kind
from agent.planning.llm_planner import LLMPlanner
from agent.planning.router import Router, Routing
from agent.planning.splitter import clauses, cut_points, join_modifiers
from agent.settings import Settings
from agent.understand.reader import understand
from tests.fakes import FakeServer, completion, make_client
from tools.facets import FacetVocabulary

LONG = "i need an office chair under 200 dollars and also some soup recipes and maybe a comedy"
VOCAB = FacetVocabulary(colors={"black": 3}, brands={}, categories={}, genres={}, diets={})


def split_reply(*parts: str) -> httpx.Response:
    body = json.dumps({"parts": list(parts)})
    return completion(body, prompt_tokens=300, completion_tokens=30, cached_tokens=260)


def test_clauses_cut_where_verified_parts_start_and_keep_every_word() -> None:
    parts = ["an office chair", "some soup recipes", "a comedy"]
    assert clauses(LONG, parts) == [
        "i need an office chair under 200 dollars",
        "some soup recipes",
        "a comedy",
    ]


def test_parts_that_are_not_spans_of_the_request_are_dropped() -> None:
    assert cut_points(LONG, ["a comfy armchair", "some soup recipes"]) == [10]
    assert clauses(LONG, ["a red sofa", "cheap pizza"]) == [LONG]
    assert clauses("salt and pepper shakers", ["salt and pepper shakers"]) == [
        "salt and pepper shakers"
    ]


def test_a_nearly_verbatim_part_still_cuts_and_modifiers_stay_with_their_thing() -> None:
    text = "logitech keyboards under $80 and some documentaries about space and also bread recipes"
    parts = ["logitech keyboards", "$80", "some documentaries about space and bread recipes"]
    assert join_modifiers(clauses(text, parts)) == [
        "logitech keyboards under $80",
        "some documentaries about space and also bread recipes",
    ]
    text = "a desk lamp and a bookcase for the new flat"
    parts = ["a desk lamp", "a bookcase", "the new flat"]
    assert join_modifiers(clauses(text, parts)) == ["a desk lamp", "a bookcase for the new flat"]


def test_request_kind_reads_thread_length_and_constraint_words() -> None:
    multi = Routing(scores={"ideas": 0.9, "shopping": 0.9, "video": 0.7}, multi=0.9)
    single = Routing(scores={"ideas": 0.1, "shopping": 0.95, "video": 0.1}, multi=0.05)
    assert request_kind(understand(LONG, VOCAB), multi, follow_up=False) == "long"
    assert request_kind(understand(LONG, VOCAB), multi, follow_up=True) == "followup"
    assert request_kind(understand("lamp for less than forty bucks", VOCAB), single,
                        follow_up=False) == "constraint"  # fmt: skip
    assert request_kind(understand("wireless mouse", VOCAB), single, follow_up=False) == "single"
    short_multi = understand("soup recipes and a comedy", VOCAB)
    assert request_kind(short_multi, multi, follow_up=False) == "single"


def test_plan_kinds_setting_is_normalised_and_checked() -> None:
    assert Settings(llm_plan_kinds=" Followup, long").plan_kinds == {"long", "followup"}
    assert Settings(llm_plan_kinds="").plan_kinds == frozenset()
    with pytest.raises(ValidationError, match="unknown request kinds"):
        Settings(llm_plan_kinds="long,everything")


def _deps(tiny_deps: Deps, server: FakeServer, **settings: object) -> Deps:
    client = make_client(server)
    router = Router.load(tiny_deps.index.embedder)
    assert router is not None, "the shipped router weights are missing"
    return Deps(
        settings=tiny_deps.settings.model_copy(update={"planner": "auto", **settings}),
        index=tiny_deps.index,
        planner=LLMPlanner(client),
        llm=client,
        router=router,
    )


async def test_a_long_request_is_split_by_the_llm_and_routed_by_the_router(
    tiny_deps: Deps,
) -> None:
    server = FakeServer(split_reply("an office chair", "some soup recipes", "a comedy"))
    page = await Engine(_deps(tiny_deps, server)).search(SearchRequest(text=LONG))
    assert page.trace.planner.startswith("llm:") and "(clauses)" in page.trace.planner
    assert [c.name for c in page.trace.llm] == ["split"]
    [call] = page.trace.llm
    assert (call.prompt_tokens, call.cached_tokens, call.completion_tokens) == (300, 260, 30)
    assert call.max_tokens == tiny_deps.settings.llm_split_max_tokens
    [planned] = [s.detail for s in page.trace.steps if s.name == "planned"]
    routes = planned.rsplit(": ", 1)[1]
    assert routes == "q1->search_products, q2->search_ideas, q3->search_videos", planned
    body = server.bodies()[0]
    assert body["max_tokens"] == tiny_deps.settings.llm_split_max_tokens
    assert body["response_format"]["type"] == "json_schema"


async def test_invented_parts_leave_the_routers_plan_standing(tiny_deps: Deps) -> None:
    server = FakeServer(split_reply("a red sofa", "cheap pizza"))
    page = await Engine(_deps(tiny_deps, server)).search(SearchRequest(text=LONG))
    assert page.trace.planner.startswith("router:"), page.trace.planner
    assert "no second part" in page.trace.planner
    assert page.trace.llm_calls == 1 and page.modules


async def test_kinds_not_named_never_call_the_llm(tiny_deps: Deps) -> None:
    deps = _deps(tiny_deps, FakeServer())
    engine = Engine(deps)
    for text in ("office chair for less than forty bucks", "vegetarian soup", "soup and a lamp"):
        page = await engine.search(SearchRequest(text=text))
        assert page.trace.llm_calls == 0 and "LLM not asked" in page.trace.planner, text
