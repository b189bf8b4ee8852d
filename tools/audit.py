"""The catalog audit: derived facts that contradict the item's own text, with evidence.

Facets such as diet, genre, brand, price and duration are often derived (the
starter catalog infers diets from recipe text and brands from repeated leading
words) or typed in by hand. `audit_catalog` checks every item against its own
title, ingredients and steps, and against the rest of its category, and
returns an `AuditReport` of `Finding`s, each with the lines of evidence that
raised it. It runs on any catalog, the starter one or a user's file.

    report = audit_catalog(items)
    print(report.summary())          # one line, printed after `tessera index`
    for line in report.lines():      # `tessera index --audit`
        print(line)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pydantic import BaseModel, Field

from tools.audit_checks import (
    FINDING_KINDS,
    Finding,
    FindingKind,
    brand_findings,
    count_kinds,
    diet_findings,
    genre_findings,
    outlier_findings,
)
from tools.catalog import CatalogItem

__all__ = ["AuditReport", "Finding", "FindingKind", "audit_catalog"]

KIND_NAMES: dict[FindingKind, str] = {
    "diet": "diet contradictions",
    "diet-unclear": "unclear diet labels",
    "genre": "late genres in noisy lists",
    "brand": "brands that are product words",
    "price": "price outliers",
    "duration": "duration outliers",
}


class AuditReport(BaseModel):
    """Every finding of one audit run, and how many items it read."""

    items: int = Field(ge=0, description="Items audited.")
    findings: list[Finding] = Field(default_factory=list)

    def counts(self) -> dict[FindingKind, int]:
        """Findings per kind (every kind present)."""
        return count_kinds(self.findings)

    def of(self, kind: FindingKind) -> list[Finding]:
        return [f for f in self.findings if f.kind == kind]

    def summary(self) -> str:
        """One line: 'audit of 23,084 items: 0 diet contradictions, 3 unclear diet labels, ...'."""
        counts = self.counts()
        parts = [f"{counts[k]} {KIND_NAMES[k]}" for k in FINDING_KINDS]
        return f"audit of {self.items:,} items: " + ", ".join(parts)

    def lines(self, per_kind: int | None = None) -> Iterator[str]:
        """The report as text: a heading per kind, then each finding and its evidence."""
        for kind in FINDING_KINDS:
            found = self.of(kind)
            yield f"== {KIND_NAMES[kind]}: {len(found)}"
            for finding in found[:per_kind] if per_kind is not None else found:
                yield f"{finding.vertical}/{finding.item_id} {finding.title!r} ({finding.fact})"
                yield from (f"    {line}" for line in finding.evidence)
            if per_kind is not None and len(found) > per_kind:
                yield f"    ... and {len(found) - per_kind} more"


def audit_catalog(items: Iterable[CatalogItem]) -> AuditReport:
    """Run every check over `items` (any mix of verticals)."""
    catalog = list(items)
    findings = [
        *diet_findings(catalog),
        *genre_findings(catalog),
        *brand_findings(catalog),
        *outlier_findings(catalog),
    ]
    return AuditReport(items=len(catalog), findings=findings)
