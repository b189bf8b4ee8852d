"""The web API through ASGI on a small real index: pages, streams, threads, limits, auth."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent.cache import Caches
from agent.deps import Deps, open_index
from agent.models import Module, Page
from agent.personal.setup import open_personal
from agent.settings import Settings
from agent.trace import TraceStep
from agent.web.guard import Limiter
from app import MAX_BODY_BYTES
from tests.fakes import LAMPS, build_home, serve_app


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_home(tmp_path_factory.mktemp("api-home"))


@pytest.fixture(scope="module")
def deps(home: Path) -> Iterator[Deps]:
    settings = Settings(home=home, planner="rule")
    index = open_index(settings)
    yield Deps(settings=settings, index=index, caches=Caches())
    index.close()


@pytest.fixture
async def client(home: Path, deps: Deps) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_app(Settings(home=home, planner="rule"), deps) as c:
        yield c


def events(text: str) -> list[tuple[str, str]]:
    """Parse an SSE body into (event, data) pairs."""
    out: list[tuple[str, str]] = []
    for block in text.strip().split("\n\n"):
        name, data = "message", []
        for line in block.splitlines():
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip())
        out.append((name, "\n".join(data)))
    return out


async def chat(client: httpx.AsyncClient, query: str, thread_id: str | None = None) -> Page:
    body: dict[str, Any] = {"query": query}
    if thread_id:
        body["thread_id"] = thread_id
    response = await client.post("/v1/chat", json=body)
    assert response.status_code == 200, response.text
    name, data = events(response.text)[-2]
    assert name == "page"
    return Page.model_validate_json(data)


def shop_prices(page: Page) -> list[float]:
    return [i.price for m in page.modules if m.vertical == "shopping" for i in m.items if i.price]


async def test_search_returns_a_multi_intent_page(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/search", json={"query": "vegetarian soup recipes and a desk lamp under $40", "k": 4}
    )
    assert response.status_code == 200, response.text
    assert response.headers["x-request-id"]
    page = Page.model_validate(response.json())
    assert page.thread_id is None
    assert {m.vertical for m in page.modules} >= {"ideas", "shopping"}
    assert all(len(m.items) <= 4 for m in page.modules)
    assert shop_prices(page) and max(shop_prices(page)) <= 40
    ideas = next(m for m in page.modules if m.vertical == "ideas")
    assert all("vegetarian" in i.diet for i in ideas.items)
    assert page.trace.planner.startswith("rule")


async def test_chat_streams_thread_steps_page_then_done(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/chat", json={"query": "vegetarian soup and a desk lamp"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    stream = events(response.text)
    names = [name for name, _ in stream]
    assert names[0] == "thread" and names[-2:] == ["page", "done"]
    assert set(names[1:-2]) == {"step", "module"} and len(names) > 4
    thread_id = json.loads(stream[0][1])["thread_id"]
    page = Page.model_validate_json(stream[-2][1])
    assert page.thread_id == thread_id and page.modules
    early = [Module.model_validate_json(data).id for name, data in stream if name == "module"]
    assert sorted(early) == sorted(m.id for m in page.modules)
    streamed = [TraceStep.model_validate_json(data).name for name, data in stream if name == "step"]
    assert sorted(streamed) == sorted(s.name for s in page.trace.steps if s.name != "page")


async def test_cheaper_follow_up_keeps_the_thread_and_lowers_prices(
    client: httpx.AsyncClient,
) -> None:
    first = await chat(client, "a desk lamp under $40")
    assert first.thread_id
    ceiling = max(shop_prices(first))
    assert ceiling <= 40
    response = await client.post(
        "/v1/chat", json={"query": "cheaper", "thread_id": first.thread_id}
    )
    names = [name for name, _ in events(response.text)]
    assert "thread" not in names
    second = Page.model_validate_json(events(response.text)[-2][1])
    assert second.thread_id == first.thread_id
    assert shop_prices(second) and max(shop_prices(second)) < ceiling

    thread = await client.get(f"/v1/threads/{first.thread_id}")
    assert thread.status_code == 200
    turns = thread.json()["turns"]
    assert [t["text"] for t in turns] == ["a desk lamp under $40", "cheaper"]
    assert all(t["modules"] for t in turns)
    listed = await client.get("/v1/threads")
    assert first.thread_id in listed.json()["threads"]


async def test_search_can_continue_a_chat_thread(client: httpx.AsyncClient) -> None:
    first = await chat(client, "tomato soup recipes")
    response = await client.post(
        "/v1/search", json={"query": "show me videos instead", "thread_id": first.thread_id}
    )
    assert response.status_code == 200
    page = Page.model_validate(response.json())
    assert page.thread_id == first.thread_id
    assert [m.vertical for m in page.modules] == ["video"]


@pytest.mark.parametrize(
    ("body", "field", "phrase"),
    [
        ({"query": "   "}, "query", "query is empty"),
        ({"query": "x" * 2001}, "query", "too long"),
        ({"query": "lamp", "k": 0}, "k", "greater than or equal to 1"),
        ({"query": "lamp", "k": 51}, "k", "less than or equal to 50"),
        ({"query": "lamp", "filters": {"price_max": "cheap"}}, "filters.price_max", "number"),
        ({"query": "lamp", "filters": {"colour": ["red"]}}, "filters.colour", "not permitted"),
        ({"query": "lamp", "filters": {"price_min": 50, "price_max": 10}}, "filters", "greater"),
        ({"query": "lamp", "thread_id": "../etc"}, "thread_id", "pattern"),
        ({"query": "lamp", "user_id": ""}, "user_id", "at least 1 character"),
        ({"text": "lamp"}, "query", "query is empty"),
    ],
)
@pytest.mark.parametrize("path", ["/v1/search", "/v1/chat"])
async def test_bad_input_is_a_422_naming_the_field(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], field: str, phrase: str
) -> None:
    response = await client.post(path, json=body)
    assert response.status_code == 422
    error = response.json()
    assert phrase in error["detail"] and error["request_id"]
    assert field in [e["field"] for e in error["errors"]]


async def test_malformed_json_and_missing_body(client: httpx.AsyncClient) -> None:
    headers = {"content-type": "application/json"}
    bad = await client.post("/v1/search", content=b'{"query": "lamp",', headers=headers)
    assert bad.status_code == 422 and "not valid JSON" in bad.json()["detail"]
    empty = await client.post("/v1/search", content=b"", headers=headers)
    assert empty.status_code == 422 and "missing" in empty.json()["detail"]
    listed = await client.post("/v1/search", content=b'["lamp"]', headers=headers)
    assert listed.status_code == 422 and "JSON object" in listed.json()["detail"]


async def test_oversize_body_is_413_declared_or_streamed(client: httpx.AsyncClient) -> None:
    big = json.dumps({"query": "lamp " * (MAX_BODY_BYTES // 4)}).encode()
    declared = await client.post("/v1/search", content=big, headers={"content-type": "json"})
    assert declared.status_code == 413 and "64 KiB" in declared.json()["detail"]

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 8192):
            yield big[start : start + 8192]

    streamed = await client.post("/v1/chat", content=chunks())
    assert streamed.status_code == 413 and streamed.json()["request_id"]


async def test_unknown_thread_is_404_with_advice(client: httpx.AsyncClient) -> None:
    for response in (
        await client.post("/v1/chat", json={"query": "lamp", "thread_id": "nope123"}),
        await client.post("/v1/search", json={"query": "lamp", "thread_id": "nope123"}),
        await client.get("/v1/threads/nope123"),
    ):
        assert response.status_code == 404
        assert "omit thread_id to start a new conversation" in response.json()["detail"]


async def test_busy_server_answers_503_with_retry_after(home: Path, deps: Deps) -> None:
    settings = Settings(home=home, planner="rule", max_concurrency=1, queue_wait_s=0.05)
    async with serve_app(settings, deps) as client:
        limiter: Limiter = client.app.state.services.limiter  # type: ignore[attr-defined]
        release = await limiter.acquire()
        busy = await client.post("/v1/search", json={"query": "desk lamp"})
        assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
        assert "busy" in busy.json()["detail"]
        release()
        assert (await client.post("/v1/chat", json={"query": "desk lamp"})).status_code == 200
        assert (await client.post("/v1/search", json={"query": "desk lamp"})).status_code == 200


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer wrong"}, 401),
        ({"Authorization": "Bearer s3cret"}, 200),
        ({"X-API-Key": "s3cret"}, 200),
    ],
)
async def test_api_key_guards_v1_only(
    home: Path, deps: Deps, headers: dict[str, str], status: int
) -> None:
    async with serve_app(Settings(home=home, planner="rule", api_key="s3cret"), deps) as client:
        response = await client.post("/v1/search", json={"query": "lamp"}, headers=headers)
        assert response.status_code == status
        if status == 401:
            assert response.headers["www-authenticate"] == "Bearer"
            assert "API key" in response.json()["detail"]
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/")).status_code == 200


async def test_without_a_key_setting_auth_is_off(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/search", json={"query": "lamp"})
    assert response.status_code == 200


async def test_healthz_reports_index_planner_and_threads(home: Path) -> None:
    async with serve_app(Settings(home=home, planner="rule"), None) as client:
        response = await client.get("/healthz")
    assert response.status_code == 200
    health = response.json()
    assert health["status"] == "ok" and health["version"]
    assert health["index"]["counts"] == {"ideas": 5, "shopping": len(LAMPS), "video": 2}
    assert health["index"]["version"] >= 1
    assert health["llm"]["planner"] == "rule" and health["llm"]["reachable"] is None
    assert health["threads"]["ok"] is True


async def test_without_an_index_the_api_is_unavailable_not_broken(tmp_path: Path) -> None:
    async with serve_app(Settings(home=tmp_path, planner="rule"), None) as client:
        health = await client.get("/healthz")
        search = await client.post("/v1/search", json={"query": "lamp"})
    assert health.status_code == 503 and health.json()["status"] == "unavailable"
    assert "tessera index" in health.json()["index"]["detail"]
    assert search.status_code == 503 and "tessera index" in search.json()["detail"]


async def test_unexpected_errors_are_json_with_a_request_id(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = client.app.state.services.engine  # type: ignore[attr-defined]

    async def boom(*_: object, **__: object) -> Page:
        raise RuntimeError("disk on fire")

    async def boom_stream(*_: object, **__: object) -> AsyncIterator[object]:
        raise RuntimeError("disk on fire")
        yield None

    monkeypatch.setattr(engine, "search", boom)
    monkeypatch.setattr(engine, "stream", boom_stream)
    failed = await client.post(
        "/v1/search", json={"query": "lamp"}, headers={"X-Request-ID": "r-1"}
    )
    assert failed.status_code == 500
    assert failed.json()["request_id"] == "r-1" and "disk on fire" not in failed.text
    streamed = await client.post("/v1/chat", json={"query": "lamp"})
    name, data = events(streamed.text)[-1]
    assert name == "error" and json.loads(data)["request_id"]
    assert "Traceback" not in streamed.text


async def test_page_and_assets_are_served_offline(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "http" not in page.text.split("<body>")[0].replace("http-equiv", "")
    for asset in ("/static/app.js", "/static/app.css"):
        assert (await client.get(asset)).status_code == 200
    assert (await client.get("/openapi.json")).json()["paths"]["/v1/chat"]


async def test_unknown_routes_and_methods_are_json(client: httpx.AsyncClient) -> None:
    missing = await client.get("/v1/nothing")
    assert missing.status_code == 404 and missing.json()["request_id"]
    wrong = await client.get("/v1/search")
    assert wrong.status_code == 405 and wrong.json()["detail"]


async def test_cors_allows_configured_origins(home: Path, deps: Deps) -> None:
    settings = Settings(home=home, planner="rule", cors_origins=["http://shop.test"])
    async with serve_app(settings, deps) as client:
        preflight = await client.options(
            "/v1/search",
            headers={"Origin": "http://shop.test", "Access-Control-Request-Method": "POST"},
        )
        other = await client.options(
            "/v1/search",
            headers={"Origin": "http://evil.test", "Access-Control-Request-Method": "POST"},
        )
    assert preflight.headers["access-control-allow-origin"] == "http://shop.test"
    assert "access-control-allow-origin" not in other.headers


@pytest.fixture
async def personal_client(deps: Deps, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The API over the shared index, with events under this test's own home."""
    settings = Settings(home=tmp_path, planner="rule", exploration_epsilon=0.0)
    personal = open_personal(settings, deps.index)
    wired = Deps(settings=settings, index=deps.index, caches=Caches(), personal=personal)
    try:
        async with serve_app(settings, wired) as c:
            yield c
    finally:
        personal.close()


VALID_EVENT = {"user_id": "ann", "item_id": "soup-2", "vertical": "ideas", "kind": "click"}


@pytest.mark.parametrize(
    ("change", "phrase"),
    [
        ({"kind": "like"}, "kind"),
        ({"vertical": "books"}, "vertical"),
        ({"user_id": ""}, "user_id"),
        ({"item_id": "no-such-soup"}, "no ideas item 'no-such-soup'"),
        ({"module_id": "q1"}, "module_id was given without the page_id"),
        ({"ts": "2999-01-01T00:00:00Z"}, "in the future"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_bad_events_are_a_422_with_the_reason(
    personal_client: httpx.AsyncClient, change: dict[str, str], phrase: str
) -> None:
    response = await personal_client.post("/v1/events", json=VALID_EVENT | change)
    assert response.status_code == 422
    assert phrase in response.json()["detail"] and response.json()["request_id"]


async def test_events_need_a_json_object(personal_client: httpx.AsyncClient) -> None:
    listed = await personal_client.post("/v1/events", json=[VALID_EVENT])
    assert listed.status_code == 422
    missing = await personal_client.post(
        "/v1/events", content=b"", headers={"content-type": "application/json"}
    )
    assert missing.status_code == 422


async def test_events_shape_pages_and_deleting_a_user_undoes_it(
    personal_client: httpx.AsyncClient,
) -> None:
    query = {"query": "soup recipes", "k": 5}

    async def soups(user: str | None) -> tuple[Page, list[str]]:
        body = query | ({"user_id": user} if user else {})
        page = Page.model_validate((await personal_client.post("/v1/search", json=body)).json())
        return page, [i.id for m in page.modules if m.vertical == "ideas" for i in m.items]

    _, anonymous = await soups(None)
    first, shown = await soups("ann")
    assert first.user_id == "ann" and first.page_id and shown == anonymous
    assert first.trace.personalisation.reason == "no engagement history"
    liked = anonymous[-1]
    module = next(m.id for m in first.modules if m.vertical == "ideas")
    ids = []
    for item, vertical, kind in [(liked, "ideas", "click"), (liked, "ideas", "save"),
                                 ("vid-soup", "video", "view")]:  # fmt: skip
        body = {"user_id": "ann", "item_id": item, "vertical": vertical, "kind": kind}
        if vertical == "ideas":
            body |= {"page_id": first.page_id, "module_id": module}
        stored = await personal_client.post("/v1/events", json=body)
        assert stored.status_code == 201, stored.text
        assert stored.json()["user_id"] == "ann"
        ids.append(stored.json()["id"])
    assert ids == sorted(ids) and len(set(ids)) == 3

    profile = await personal_client.get("/v1/users/ann/profile")
    assert profile.status_code == 200
    summary = profile.json()
    assert summary["user_id"] == "ann" and summary["events"] == 3 and summary["interests"]
    examples = {e["id"] for i in summary["interests"] for e in i["examples"]}
    assert liked in examples and all(
        e["title"] for i in summary["interests"] for e in i["examples"]
    )
    assert all(i["size"] >= 1 and 0 < i["weight"] <= 1 for i in summary["interests"])

    personal, ranked = await soups("ann")
    report = personal.trace.personalisation
    assert report.applied is True
    shift = next(m for m in report.modules if m.module_id == module)
    assert shift.affinity > 0 and shift.score_after != shift.score_before
    assert shift.score_after == next(m.score for m in personal.modules if m.id == module)
    assert sorted(ranked) == sorted(anonymous)

    deleted = await personal_client.delete("/v1/users/ann")
    assert deleted.status_code == 200
    assert deleted.json() == {
        "user_id": "ann",
        "events": 3,
        "impressions": 2,
        "profile": True,
        "threads": 0,
    }
    gone = await personal_client.get("/v1/users/ann/profile")
    assert gone.status_code == 404 and "no events recorded" in gone.json()["detail"]
    after, again = await soups("ann")
    assert after.trace.personalisation.applied is False and again == anonymous


async def test_chat_pages_carry_the_user_and_are_logged(
    personal_client: httpx.AsyncClient,
) -> None:
    response = await personal_client.post(
        "/v1/chat", json={"query": "a desk lamp", "user_id": "ben"}
    )
    page = Page.model_validate_json(events(response.text)[-2][1])
    assert page.user_id == "ben"
    assert page.trace.personalisation.exploration.logged is True
    deleted = await personal_client.delete("/v1/users/ben")
    assert deleted.json()["impressions"] == 1 and deleted.json()["events"] == 0


async def test_without_personalisation_events_are_unavailable(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/events", json=VALID_EVENT)
    assert response.status_code == 503 and "personalisation is off" in response.json()["detail"]
    assert (await client.delete("/v1/users/ann")).status_code == 503


async def test_event_routes_are_documented_and_guarded(home: Path, deps: Deps) -> None:
    async with serve_app(Settings(home=home, planner="rule", api_key="k"), deps) as c:
        spec = (await c.get("/openapi.json")).json()
        assert (await c.post("/v1/events", json=VALID_EVENT)).status_code == 401
        assert (await c.get("/v1/users/ann/profile")).status_code == 401
    body = spec["paths"]["/v1/events"]["post"]["requestBody"]["content"]["application/json"]
    schema = spec["components"]["schemas"][body["schema"]["$ref"].rsplit("/", 1)[-1]]
    assert set(schema["required"]) == {"user_id", "item_id", "vertical", "kind"}
    assert {"get", "delete"} <= set(spec["paths"]["/v1/users/{user_id}"]) | set(
        spec["paths"]["/v1/users/{user_id}/profile"]
    )


async def test_picture_search_takes_a_small_data_url(client: httpx.AsyncClient) -> None:
    import base64
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(buffer, format="JPEG")
    url = "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()
    response = await client.post("/v1/search", json={"query": "", "image": url})
    assert response.status_code == 200, response.text
    assert response.json()["trace"]["image"]
    wrong = await client.post("/v1/search", json={"query": "", "image": "/etc/passwd"})
    assert wrong.status_code == 422 and "data:image" in wrong.text
    nothing = await client.post("/v1/search", json={"query": "  "})
    assert nothing.status_code == 422 and "query is empty" in nothing.text
