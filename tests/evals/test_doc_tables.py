"""Documents whose tables are rendered from saved reports."""

from __future__ import annotations

from pathlib import Path

from evals.doc_tables import refresh
from evals.report import ConfigResult, Report, collect_environment


def test_a_stale_table_is_rendered_again_from_its_report(tmp_path: Path) -> None:
    report = Report(
        suite="suggestions", primary_metric="nowhere", metrics=["nowhere"],
        environment=collect_environment(13, ["tessera", "eval", "suggestions"]),
        configs=[ConfigResult(name="rule", summary={"nowhere": 0.0125, "cases": 88})],
    )  # fmt: skip
    folder = tmp_path / "docs" / "reports" / "run-suggestions"
    folder.mkdir(parents=True)
    (folder / "report.json").write_text(report.model_dump_json(), encoding="utf-8")
    doc = "\n".join([
        "# Figures", "",
        "`tessera eval suggestions` · report `docs/reports/run-suggestions/report.json`", "",
        "| suggestions | rule |", "|---|---:|", "| nowhere | 0.9999 |", "| cases | 88 |", "",
        "Prose after the table stays.",
    ])  # fmt: skip
    text, sources = refresh(doc, tmp_path)
    assert sources == ["docs/reports/run-suggestions/report.json"]
    assert "| nowhere | 0.0125 |" in text and "0.9999" not in text
    assert text.startswith("# Figures\n") and text.endswith("Prose after the table stays.")
    assert refresh(text, tmp_path)[0] == text


def test_suggestion_words_outside_the_catalog_are_found() -> None:
    from evals.suites.suggestions import stray_words
    from tools.facets import FacetVocabulary
    from tools.terms import build_terms

    terms = build_terms([("ideas", "Corn Pancakes"), ("ideas", "Blini Pancakes")],
                        FacetVocabulary(genres={"war": 3}))  # fmt: skip
    assert stray_words("pancakes ready in under 30 minutes", terms) == []
    assert stray_words("war movies from the 1970s", terms) == []
    assert stray_words("shop how", terms) == ["how"]
    assert stray_words("1970 ideas", terms) == ["1970"]
    assert stray_words("pancakes under $12", terms) == []


def test_suggestion_shares_are_pooled_over_suggestions_and_split_by_source() -> None:
    from evals.report import CaseResult
    from evals.suites.suggestions import summarise

    cases = [
        CaseResult(id="planning:a", detail={"suggestions": ["x", "y", "z"], "nowhere": ["x"]}),
        CaseResult(id="exploratory:b", detail={"suggestions": ["w"], "stray": {"w": ["w"]}}),
        CaseResult(id="exploratory:c", detail={"suggestions": []}),
    ]
    summary = summarise(cases)
    assert summary["nowhere"] == 0.25 and summary["not_catalog_word"] == 0.25
    assert summary["nowhere (planning)"] == 1 / 3 and summary["not_catalog_word (exploratory)"] == 1
    assert summary["with_suggestions"] == 2 / 3 and summary["cases"] == 3


def test_every_kept_report_is_cited_and_every_cited_table_renders() -> None:
    from evals.report import REPO_ROOT

    docs = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
    text = "\n".join(p.read_text(encoding="utf-8") for p in docs)
    for folder in sorted((REPO_ROOT / "docs" / "reports").iterdir()):
        stamp = folder.name.split("-")[1]
        assert stamp in text, f"docs/reports/{folder.name} is cited nowhere"
    evaluation = (REPO_ROOT / "docs" / "EVALUATION.md").read_text(encoding="utf-8")
    rendered, sources = refresh(evaluation)
    assert rendered == evaluation and len(sources) >= 10
