"""A retrieval configuration with spelling searches the engine's correction of each query."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console

from agent.settings import Settings
from evals.beir import BeirDataset, BeirQuery
from evals.suites import EvalContext
from evals.suites.retrieval import CONFIGS
from evals.suites.retrieval_env import RetrievalEnv


class _Hit:
    def __init__(self, item_id: str) -> None:
        self.item = type("Item", (), {"id": item_id})()


class _Searcher:
    def __init__(self) -> None:
        self.asked: list[str] = []

    def titles(self, vertical: str) -> list[str]:
        return ["Toilet seat", "Toilet paper holder", "Vinyl flooring"] * 3

    def search(self, vertical: str, text: str, filters: Any, **_: Any) -> list[_Hit]:
        self.asked.append(text)
        return [_Hit("d1")]


async def test_the_spelling_configuration_searches_the_corrected_query(tmp_path: Path) -> None:
    searcher = _Searcher()
    ctx = EvalContext(settings=Settings(home=tmp_path), console=Console(quiet=True))
    dataset = BeirDataset(name="tiny", path=tmp_path, split="test", queries=[], qrels={})
    env = RetrievalEnv(ctx=ctx, dataset=dataset, open_searcher=lambda: searcher)  # type: ignore[arg-type,return-value]
    query = BeirQuery(id="q1", text="toliet seat")
    for name, expected in (("bm25", "toliet seat"), ("bm25+spell", "toilet seat")):
        async with CONFIGS[name](env) as system:
            assert await system.call(query) == ["d1"]
        assert searcher.asked[-1] == expected
