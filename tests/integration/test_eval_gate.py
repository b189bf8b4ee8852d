"""The eval gate on a real slice of the starter catalog: a broken ranking weight fails it.

The gate builds its own index of the slice (real Chroma and SQLite in a temporary
TESSERA_HOME), measures the personalisation suite with the shipped settings, takes that
as the baseline, then runs again with personalisation switched off by a zero weight.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from agent.settings import Settings
from evals.gate import GATE, Baselines, GateResult, measured_baselines, run_gate
from evals.report import Report

PER_SOURCE = 100
ENTRIES = [e for e in GATE if e.suite == "personalisation"]


async def gate(
    settings: Settings, baselines: Baselines | None = None
) -> tuple[GateResult, dict[str, Report]]:
    return await run_gate(
        settings, ENTRIES, baselines, per_source=PER_SOURCE,
        runs_dir=settings.root / "runs", console=Console(quiet=True),
    )  # fmt: skip


async def test_a_broken_personalisation_weight_fails_the_gate(tmp_path: Path) -> None:
    good = Settings(home=tmp_path)
    first, reports = await gate(good)
    baselines = measured_baselines(ENTRIES, reports, None, PER_SOURCE)
    figures = baselines.suites["personalisation"].metrics
    assert figures["personalised"]["recall@10"] > figures["baseline"]["recall@10"] + 0.02

    again, _ = await gate(good, baselines)
    assert again.passed, [c for c in again.checks if c.failed]

    broken, _ = await gate(Settings(home=tmp_path, personalisation_weight=0.0), baselines)
    assert not broken.passed
    failed = {(c.suite, c.config, c.metric) for c in broken.checks if c.failed}
    assert ("personalisation", "personalised", "recall@10") in failed
    assert all(c.status == "drop" for c in broken.checks if c.failed)
    assert Path(broken.reports["personalisation"]).is_file()


def test_the_gate_names_an_unknown_suite(capsys: pytest.CaptureFixture[str]) -> None:
    from evals.gate import gate_command

    assert gate_command(Settings(), ["answerability-typo"]) == 2
    assert "not in the gate" in capsys.readouterr().err
