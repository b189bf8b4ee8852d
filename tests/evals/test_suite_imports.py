"""The retrieval suite's two halves build on a shared module, never on each other."""

from __future__ import annotations

import ast
from pathlib import Path

SUITES = Path(__file__).resolve().parents[2] / "evals" / "suites"


def imported(name: str) -> set[str]:
    tree = ast.parse((SUITES / f"{name}.py").read_text(encoding="utf-8"))
    return {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }


def test_the_learned_ranker_configurations_do_not_import_the_fusion_ones() -> None:
    assert "evals.suites.retrieval" not in imported("retrieval_ltr")
    assert "evals.suites.retrieval" not in imported("retrieval_env")
    assert "evals.suites.retrieval_env" in imported("retrieval_ltr")
