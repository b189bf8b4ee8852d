"""Request limits at the API: bounded list filters and finite numbers are 422s naming the
field; without the API key /healthz tells only the status."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from agent.settings import Settings
from tests.fakes import build_home, serve_home


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_home(tmp_path_factory.mktemp("limits-home"))


@asynccontextmanager
async def api(home: Path, **settings: object) -> AsyncIterator[httpx.AsyncClient]:
    config = Settings(home=home, planner="rule", **settings)  # type: ignore[arg-type]
    async with serve_home(config) as client:
        yield client


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"colors": [f"colour{n}" for n in range(1000)]}, "filters.colors"),
        ({"brands": ["b"] * 21}, "filters.brands"),
        ({"diet": ["vegan"] * 50}, "filters.diet"),
        ({"colors": ["x" * 500]}, "filters.colors.0"),
    ],
)
async def test_long_list_filters_are_a_422_naming_the_field(
    home: Path, filters: dict[str, object], field: str
) -> None:
    async with api(home) as client:
        response = await client.post("/v1/search", json={"query": "lamp", "filters": filters})
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]


@pytest.mark.parametrize("number", ["Infinity", "-Infinity", "NaN", "1e999"])
async def test_non_finite_numbers_are_rejected(home: Path, number: str) -> None:
    body = '{"query": "lamp", "filters": {"price_max": NUMBER}}'.replace("NUMBER", number)
    async with api(home) as client:
        response = await client.post(
            "/v1/search", content=body, headers={"content-type": "application/json"}
        )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "filters.price_max"


async def test_twenty_colours_are_still_fine(home: Path) -> None:
    filters = {"colors": ["black", "white", *[f"c{n}" for n in range(18)]]}
    async with api(home) as client:
        response = await client.post("/v1/search", json={"query": "lamp", "filters": filters})
    assert response.status_code == 200


async def test_public_health_without_the_key_is_the_status_alone(home: Path) -> None:
    async with api(home, api_key="s3cret") as client:
        public = await client.get("/healthz")
        wrong = await client.get("/healthz", headers={"Authorization": "Bearer nope"})
        full = await client.get("/healthz", headers={"Authorization": "Bearer s3cret"})
    assert public.status_code == 200 and public.json() == {"status": "ok"}
    assert wrong.json() == {"status": "ok"}
    assert str(home) not in public.text and str(home) not in wrong.text
    assert full.json()["index"]["path"].startswith(str(home))


async def test_docs_are_served_without_the_network(home: Path) -> None:
    async with api(home) as client:
        docs = await client.get("/docs")
        assert docs.status_code == 200
        assert "cdn" not in docs.text.lower() and "https://" not in docs.text
        for asset in ("/docs-assets/swagger-ui-bundle.js", "/docs-assets/swagger-ui.css"):
            assert asset in docs.text
            fetched = await client.get(asset)
            assert fetched.status_code == 200 and len(fetched.content) > 10_000
        assert (await client.get("/openapi.json")).json()["info"]["title"] == "Tessera"
