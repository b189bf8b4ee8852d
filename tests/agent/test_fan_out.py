"""A clause sent to several verticals shows only those close in meaning to the best."""

from __future__ import annotations

from agent.models import Module, ResultItem, ToolResult
from agent.nodes.gate import FAN_OUT_MARGIN, fan_out_losers, gate
from tools.catalog import Idea, Product, Video
from tools.contract import Hit, SubQuery


def result(
    qid: str, tool: str, sim: float | None, title: str, text: str = "scissors"
) -> ToolResult:
    sq = SubQuery(id=qid, text=text, tool=tool, note="a pair of scissors")  # type: ignore[arg-type]
    item = {
        "search_products": lambda: Product(id=f"p{qid}", title=title, price=5.0),
        "search_ideas": lambda: Idea(id=f"r{qid}", title=title),
        "search_videos": lambda: Video(id=f"v{qid}", title=title),
    }[tool]()
    return ToolResult(subquery=sq, hits=[Hit(item=item, score=1.0, lexical_rank=1, similarity=sim)])


def fanned(video_sim: float) -> list[ToolResult]:
    return [
        result("q1", "search_ideas", 0.24, "Nigerian Coleslaw"),
        result("q2", "search_products", 0.71, "Fiskars Scissors"),
        result("q3", "search_videos", video_sim, "Running with Scissors"),
    ]


def test_far_siblings_lose_to_a_near_one() -> None:
    assert fan_out_losers(fanned(0.5)) == {"q1", "q3"}


def test_a_sibling_within_the_margin_stays() -> None:
    assert fan_out_losers(fanned(0.71 - FAN_OUT_MARGIN + 0.01)) == {"q1"}


def test_siblings_compete_when_none_is_near() -> None:
    results = [
        result("q1", "search_ideas", 0.17, "Beer Batter", "batteries"),
        result("q2", "search_products", 0.42, "Contemporary Battery Charger", "batteries"),
        result("q3", "search_videos", 0.47, "Batteries Not Included", "batteries"),
    ]
    assert fan_out_losers(results) == {"q1"}


def test_different_clauses_and_unread_similarities_do_not_compete() -> None:
    apart = [
        result("q1", "search_products", 0.9, "Fiskars Scissors"),
        result("q2", "search_videos", 0.2, "Pizza", "pizza"),
    ]
    assert fan_out_losers(apart) == set()
    unread = [*fanned(0.5)[:2], result("q3", "search_videos", None, "Running with Scissors")]
    assert fan_out_losers(unread) == set()


def test_the_gate_drops_losers() -> None:
    results = fanned(0.5)
    modules = [
        Module(
            id=r.subquery.id,
            title="t",
            vertical=r.subquery.vertical,
            reason="r",
            items=[ResultItem.from_hit(r.hits[0])],
        )  # fmt: skip
        for r in results
    ]
    shown, odds = gate(modules, results)
    assert "q2" in {m.id for m in shown}
    assert not {"q1", "q3"} & {m.id for m in shown}
    assert odds["q1"] == odds["q3"] == 0.0
