"""`tessera explore precompute`: common intents stored ahead of time through the scripted
LLM at the HTTP seam, so their pages cost no call; intents already stored cost none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.cache import Caches
from agent.deps import Deps, open_index
from agent.planning.aspects import normalise_intent
from agent.planning.expand import proposals
from agent.planning.precompute import COMMON_INTENTS, precompute, read_intents
from agent.settings import Settings
from evals.suites import DATA_DIR
from tests.fakes import FakeServer, completion, make_client
from tools.expansions import SqliteExpansions


def reply(ideas: list[str], products: list[str]) -> object:
    return completion(json.dumps({"ideas": ideas, "products": products, "films": []}))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    open_index(Settings(home=tmp_path), create=True).close()
    return tmp_path


def deps_for(home: Path, server: FakeServer) -> Deps:
    return Deps(
        settings=Settings(home=home, planner="auto"),
        index=open_index(Settings(home=home)),
        caches=Caches(),
        llm=make_client(server),
        expansions=SqliteExpansions.at(home),
    )


def test_the_list_is_read_normalised_without_comments_or_repeats(tmp_path: Path) -> None:
    path = tmp_path / "intents.txt"
    path.write_text("# heads\nPoker Night!\n\npoker  night\nramen night # noodles\n")
    assert read_intents(path) == ["poker night", "ramen night"]


def test_the_shipped_list_is_its_own_not_the_suites_intents() -> None:
    shipped = set(read_intents(COMMON_INTENTS))
    suite = {
        normalise_intent(json.loads(line)["intent"])
        for line in (DATA_DIR / "exploratory.jsonl").read_text().splitlines()
    }
    assert len(shipped) >= 40
    assert not shipped & suite


async def test_intents_are_stored_once_and_then_cost_no_call(home: Path) -> None:
    server = FakeServer(reply(["ramen"], ["chopsticks"]), reply(["nachos"], []))
    deps = deps_for(home, server)
    first = await precompute(deps, ["ramen night", "poker night"], seconds=5)
    assert [(r.intent, r.outcome, r.kept) for r in first] == [
        ("ramen night", "stored", 2),
        ("poker night", "stored", 1),
    ]
    again = await precompute(deps_for(home, FakeServer()), ["ramen night"], seconds=5)
    assert again[0].outcome == "already stored"
    live = deps_for(home, FakeServer())
    found, source, usage = await proposals(live, "Ramen  Night", 0.1)
    assert found is not None and [p.text for p in found] == ["ramen", "chopsticks"]
    assert source.endswith("(stored expansion)") and usage == []


async def test_a_failed_call_is_reported_and_stores_nothing(home: Path) -> None:
    server = FakeServer(completion("not json at all"), completion("still not json"))
    results = await precompute(deps_for(home, server), ["sushi night"], seconds=5)
    assert results[0].outcome == "failed" and "failed" in results[0].detail
    later = FakeServer(reply([], []))
    found, source, _ = await proposals(deps_for(home, later), "sushi night", 5)
    assert found == [] and not source.endswith("(stored expansion)")
    assert len(later.bodies()) == 1
