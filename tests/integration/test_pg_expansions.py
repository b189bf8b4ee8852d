"""Expansions of broad intents in real PostgreSQL: the table migration 2 creates, shared by
two workers' stores, the newest write winning; and a page's LLM call stored by one worker
is read by another with no call (scripted LLM at the HTTP seam)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.backends import open_expansions
from agent.cache import Caches
from agent.deps import Deps, open_index
from agent.planning.expand import proposals
from agent.settings import Settings
from tests.fakes import FakeServer, completion, make_client
from tests.integration.services import ServiceMissing, postgres
from tools.pg_expansions import PgExpansions
from tools.pg_schema import upgrade

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    try:
        with postgres() as cluster:
            upgrade(cluster.url)
            yield cluster.url
    except ServiceMissing as exc:
        pytest.skip(str(exc))


def test_two_workers_share_one_table_and_the_newest_write_wins(postgres_url: str) -> None:
    settings = Settings(database_url=postgres_url)
    one, two = open_expansions(settings), open_expansions(settings)
    try:
        assert isinstance(one, PgExpansions) and isinstance(two, PgExpansions)
        assert two.get("burger night", "m#1") is None
        one.put("burger night", "m#1", '{"ideas": ["fries"]}')
        assert two.get("burger night", "m#1") == '{"ideas": ["fries"]}'
        two.put("burger night", "m#1", '{"ideas": ["slaw"]}')
        assert one.get("burger night", "m#1") == '{"ideas": ["slaw"]}'
        assert one.get("burger night", "m#2") is None
    finally:
        one.close()
        two.close()


async def test_an_expansion_one_worker_asked_for_costs_another_no_call(
    postgres_url: str, tmp_path: Path
) -> None:
    open_index(Settings(home=tmp_path), create=True).close()
    settings = Settings(home=tmp_path, planner="auto", database_url=postgres_url)
    body = json.dumps({"ideas": ["nachos"], "products": ["cooler"], "films": []})
    asked = FakeServer(completion(body))
    idle = FakeServer()
    workers = [
        Deps(
            settings=settings,
            index=open_index(settings),
            caches=Caches(),
            llm=make_client(server),
            expansions=open_expansions(settings),
        )
        for server in (asked, idle)
    ]
    try:
        first, _, _ = await proposals(workers[0], "Tailgate Party", 5)
        second, source, usage = await proposals(workers[1], "tailgate  party", 5)
    finally:
        for deps in workers:
            assert deps.expansions is not None
            deps.expansions.close()
            deps.index.close()
    assert first is not None and second is not None
    assert [p.text for p in second] == [p.text for p in first] == ["nachos", "cooler"]
    assert source.endswith("(stored expansion)") and usage == []
    assert len(asked.bodies()) == 1 and idle.bodies() == []
