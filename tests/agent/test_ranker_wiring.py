"""`TESSERA_RANKER=ltr` in the shopping search path: the model when saved, fusion when not."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agent.cache import Caches
from agent.deps import Deps, load_ranker, open_index
from agent.engine import Engine
from agent.models import SearchRequest
from agent.settings import Settings
from tests.fakes import synthetic_training_set as synthetic
from tools.ltr.training import train


def home_with(tiny_home: Path, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    shutil.copytree(tiny_home, home)
    return home


async def shopping_trace(settings: Settings) -> tuple[list[str], list[float]]:
    index = open_index(settings)
    deps = Deps(settings=settings, index=index, caches=Caches())
    deps.ranker, deps.ranker_note = load_ranker(settings)
    try:
        page = await Engine(deps).search(SearchRequest(text="black office chair"))
    finally:
        index.close()
    steps = [s.detail for s in page.trace.steps if s.name.startswith("tool:")]
    shopping = next(m for m in page.modules if m.vertical == "shopping")
    return steps, [i.score for i in shopping.items]


async def test_without_a_model_search_falls_back_to_fusion_and_says_so(
    tiny_home: Path, tmp_path: Path
) -> None:
    settings = Settings(home=home_with(tiny_home, tmp_path), ranker="ltr", planner="rule")
    ranker, note = load_ranker(settings)
    assert ranker is None and "unavailable" in note and "rank train" in note
    steps, scores = await shopping_trace(settings)
    assert any("ltr ranker unavailable" in s and "used instead" in s for s in steps)
    assert scores


async def test_a_saved_model_ranks_shopping_with_probabilities(
    tiny_home: Path, tmp_path: Path
) -> None:
    settings = Settings(home=home_with(tiny_home, tmp_path), ranker="ltr", planner="rule")
    model, _ = train(synthetic(), dataset="synthetic", depth=12, rounds=20)
    model.save(settings.ranker_dir)
    ranker, note = load_ranker(settings)
    assert ranker is not None and note.startswith("ltr ranker (synthetic")
    steps, scores = await shopping_trace(settings)
    assert any("ltr ranker (synthetic" in s for s in steps)
    assert scores and all(0.0 <= s <= 1.0 for s in scores)
    assert scores == sorted(scores, reverse=True)


def test_fusion_setting_loads_no_model(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, vertical_modes={"shopping": "hybrid"})
    assert load_ranker(settings) == (None, "rrf fusion ranking")
    settings = Settings(home=tmp_path, vertical_modes={"shopping": "lexical"}, ranker="ltr")
    ranker, note = load_ranker(settings)
    assert ranker is None and note.startswith("ltr ranker unavailable, BM25 used instead")


def test_module_quality_uses_calibrated_relevance_when_given() -> None:
    from agent.nodes.rank import quality
    from tests.fakes import TINY
    from tools.contract import Hit

    plain = [Hit(item=TINY[4], score=0.03, lexical_rank=1, dense_rank=1)]
    assert quality(plain, "office chair") == 1.0
    judged = [Hit(item=TINY[4], score=0.2, lexical_rank=1, dense_rank=1, relevance=0.2),
              Hit(item=TINY[5], score=0.6, lexical_rank=2, relevance=0.6)]  # fmt: skip
    assert quality(judged, "office chair") == pytest.approx(0.4)


async def test_hybrid_norm_mode_fuses_with_normalised_scores(tiny_home: Path) -> None:
    from tools.contract import SubQuery
    from tools.registry import ToolContext, search_ideas

    index = open_index(Settings(home=tiny_home))
    try:
        sq = SubQuery(id="q1", tool="search_ideas", text="quick pasta dinner")
        norm = await search_ideas(ToolContext(index=index, modes={"ideas": "hybrid-norm"}), sq, 5)
        rrf = await search_ideas(ToolContext(index=index, modes={"ideas": "hybrid"}), sq, 5)
        want = index.search("ideas", sq.text, None, k=5, fusion="normalized", candidates=50)
    finally:
        index.close()
    assert [h.item.id for h in norm] == [h.item.id for h in want]
    assert [h.score for h in norm] == [h.score for h in want]
    assert [h.score for h in norm] != [h.score for h in rrf]
    settings = Settings(home=tiny_home, vertical_modes={"shopping": "hybrid-norm"}, ranker="ltr")
    assert load_ranker(settings)[1].startswith("ltr ranker unavailable, normalized fusion")


def test_vertical_mode_names_map_to_one_search_mode_and_fusion() -> None:
    from tools.registry import retrieval_mode

    assert retrieval_mode("hybrid") == ("hybrid", "rrf")
    assert retrieval_mode("hybrid", "normalized") == ("hybrid", "normalized")
    assert retrieval_mode("hybrid-norm", "rrf") == ("hybrid", "normalized")
    assert retrieval_mode("lexical") == ("lexical", "rrf")
    assert retrieval_mode("dense") == ("dense", "rrf")


async def test_shopping_fuses_with_its_own_dense_share(tiny_home: Path) -> None:
    from tools.contract import SubQuery
    from tools.registry import ToolContext, search_products

    assert Settings(home=tiny_home).dense_weights == {"shopping": 0.3}
    with pytest.raises(ValueError, match="dense weights"):
        Settings(home=tiny_home, dense_weights={"shopping": 1.5})
    index = open_index(Settings(home=tiny_home))
    try:
        sq = SubQuery(id="q1", tool="search_products", text="office chair")
        ctx = ToolContext(index=index, modes={"shopping": "hybrid-norm"})
        leaning = await search_products(
            ToolContext(index=index, modes=ctx.modes, dense_weights={"shopping": 0.3}), sq, 5
        )
        even = await search_products(ctx, sq, 5)
        want = index.search("shopping", sq.text, None, k=5, fusion="normalized", dense_weight=0.3)
    finally:
        index.close()
    assert [(h.item.id, h.score) for h in leaning] == [(h.item.id, h.score) for h in want]
    assert [h.score for h in leaning] != [h.score for h in even]
