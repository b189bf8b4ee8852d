"""Diet labels on the real starter recipes: titles, hand judgments and the audit.

Skipped cleanly when the starter sources are not installed
(`bash scripts/install_sources.sh`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from tools.audit import audit_catalog
from tools.catalog import Idea
from tools.sources.locate import SourceUnavailable
from tools.sources.recipes import read_recipes, recipes_report

JUDGMENTS = Path(__file__).parents[1] / "data" / "diet_judgments.jsonl"
TARGET_PRECISION = 0.99
MEAT_OR_FISH = re.compile(
    r"\b(?:chicken|beef|pork|bacon|ham|lamb|mutton|veal|turkey|duck|goose|venison|steak|sausages?"
    r"|bratwurst|meat|meatballs?|liver|fish|salmon|tuna|cod|shrimps?|prawns?|crab|lobster"
    r"|anchov(?:y|ies)|sardines?|oysters?|clams?|mussels?|squid|octopus|seafood|poultry|iguana"
    r"|prime rib|ceviche)\b",
    re.IGNORECASE,
)
SUBSTITUTE = re.compile(
    r"\b(?:vegan|vegetarian|meat-free|meatless|plant-based|tofu|seitan|tempeh|mock|faux)\b", re.I
)


@pytest.fixture(scope="module")
def recipes() -> dict[str, Idea]:
    try:
        path, report = recipes_report()
    except SourceUnavailable as exc:
        pytest.skip(f"starter sources not installed: {exc}")
    return {idea.id: idea for idea in read_recipes(path, report)}


def test_no_vegetarian_title_names_meat_or_fish(recipes: dict[str, Idea]) -> None:
    labelled = [r for r in recipes.values() if {"vegetarian", "vegan"} & set(r.diet)]
    assert len(labelled) > 1500
    offending = [
        r.title for r in labelled if MEAT_OR_FISH.search(r.title) and not SUBSTITUTE.search(r.title)
    ]
    assert offending == []


def test_pho_ga_from_the_source_has_no_diet_label(recipes: dict[str, Idea]) -> None:
    pho = recipes["wikibooks-pho-ga-vietnamese-chicken-noodle-soup"]
    assert pho.diet == [] and "vegan" not in pho.tags


def test_the_audit_finds_no_diet_contradiction_in_the_starter_recipes(
    recipes: dict[str, Idea], capsys: pytest.CaptureFixture[str]
) -> None:
    report = audit_catalog(recipes.values())
    counts = report.counts()
    with capsys.disabled():
        print(f"\nstarter recipes: {report.summary()}")
    assert counts["diet"] == 0 and counts["diet-unclear"] == 0


def _judgments() -> list[dict[str, object]]:
    with JUDGMENTS.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def test_judgments_are_a_sample_of_at_least_150_recipes() -> None:
    rows = _judgments()
    assert len({r["id"] for r in rows}) >= 150
    assert all(set(r) >= {"id", "label", "judged_ok", "reason"} for r in rows)
    assert {r["label"] for r in rows} == {"vegetarian", "vegan"}
    assert all(isinstance(r["judged_ok"], bool) and r["reason"] for r in rows)
    assert Counter(r["sample"] for r in rows)["seed16"] >= 150


@pytest.mark.parametrize("label", ["vegetarian", "vegan"])
def test_labels_meet_the_precision_target_on_the_judged_sample(
    recipes: dict[str, Idea], label: str
) -> None:
    rows = [r for r in _judgments() if r["label"] == label]
    labelled = [r for r in rows if label in recipes[str(r["id"])].diet]
    wrong = [recipes[str(r["id"])].title for r in labelled if not r["judged_ok"]]
    assert len(labelled) >= 100
    assert 1 - len(wrong) / len(labelled) >= TARGET_PRECISION, wrong
