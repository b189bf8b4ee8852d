"""The eval gate's comparison with baselines, and the README table of a saved run."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.gate import GATE, Baselines, GateEntry, SuiteBaseline, compare, measured_baselines
from evals.report import (
    CaseResult,
    ConfigResult,
    Reference,
    Report,
    collect_environment,
    save_report,
)
from evals.tables import markdown_table, report_command

ENTRY = GateEntry("page", ("rule",), ("module_f1", "top_module"))


def page_report(f1: float, top: float, cases: int = 20, error: str | None = None) -> Report:
    results = [CaseResult(id=str(n)) for n in range(cases)]
    config = ConfigResult(
        name="rule",
        summary={"module_f1": f1, "top_module": top, "cases": float(cases)},
        cases=results,
        error=error,
    )
    return Report(
        suite="page", dataset="pages.jsonl", primary_metric="module_f1",
        metrics=["module_f1", "top_module"], params={"cases": cases, "on": {"rule": 0.5}},
        environment=collect_environment(13, ["tessera", "eval", "page"]), configs=[config],
    )  # fmt: skip


BASE = SuiteBaseline(
    cases=20, tolerance=0.02, tolerances={"top_module": 0.05},
    metrics={"rule": {"module_f1": 0.90, "top_module": 0.80}},
)  # fmt: skip


def statuses(report: Report, baseline: SuiteBaseline | None = BASE) -> dict[str, str]:
    return {c.metric: c.status for c in compare(ENTRY, report, baseline)}


def test_within_tolerance_passes_and_a_larger_drop_fails() -> None:
    assert statuses(page_report(0.885, 0.75)) == {
        "cases": "ok", "module_f1": "ok", "top_module": "ok",
    }  # fmt: skip
    assert statuses(page_report(0.87, 0.80))["module_f1"] == "drop"
    assert statuses(page_report(0.90, 0.70))["top_module"] == "drop"
    assert statuses(page_report(0.95, 0.80))["module_f1"] == "above"


def test_fewer_cases_an_error_or_no_baseline_fail() -> None:
    checks = compare(ENTRY, page_report(0.95, 0.9, cases=19), BASE)
    assert [c.status for c in checks if c.failed] == ["fewer cases"]
    broken = compare(ENTRY, page_report(0.9, 0.8, error="boom"), BASE)
    assert {c.status for c in broken if c.metric != "cases"} == {"error"}
    assert compare(ENTRY, None, BASE, "DatasetError: no cranfield")[0].status == "error"
    assert compare(ENTRY, page_report(0.9, 0.8), None)[0].failed


def test_updating_keeps_stated_tolerances_and_the_gate_order() -> None:
    previous = Baselines(per_source=500, suites={"page": BASE})
    fresh = measured_baselines([ENTRY], {"page": page_report(0.93, 0.85)}, previous, 500)
    page = fresh.suites["page"]
    assert page.metrics == {"rule": {"module_f1": 0.93, "top_module": 0.85}}
    assert page.tolerances == {"top_module": 0.05} and page.cases == 20
    assert {e.suite for e in GATE} >= {"retrieval", "planning", "constraints", "page",
                                       "personalisation", "images"}  # fmt: skip


def test_the_committed_baselines_cover_every_gate_entry() -> None:
    baselines = Baselines.model_validate_json(
        (Path(__file__).resolve().parents[2] / "evals" / "baselines.json").read_text()
    )
    for entry in GATE:
        suite = baselines.suites[entry.suite]
        assert suite.cases > 0
        for config in entry.configs:
            assert set(entry.metrics) <= set(suite.metrics[config])


def test_report_prints_the_readme_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = page_report(0.9143, 0.8)
    table = markdown_table(report, "docs/reports/page.json")
    lines = table.splitlines()
    assert lines[0].startswith("`tessera eval page` · report `docs/reports/page.json`")
    assert "| page | rule |" in lines and "| module_f1 | 0.9143 |" in lines
    assert "| on | 0.5000 |" in lines and lines[-1] == "| cases | 20 |"
    report.references = [Reference(label="BM25 paper", config="rule", metrics={"module_f1": 0.7})]
    with_ref = markdown_table(report, "r.json").splitlines()
    assert "| page | rule | reference: BM25 paper |" in with_ref
    assert "| module_f1 | 0.9143 | 0.7000 |" in with_ref and with_ref[-1] == "| cases | 20 | - |"
    path = save_report(report, tmp_path)
    assert report_command(path.parent.name, tmp_path) == 0
    assert "| top_module | 0.8000 |" in capsys.readouterr().out
    assert report_command("no-such-run", tmp_path) == 2
