"""The starter catalog: real public data read from installed registry packages.

`build_starter` reads four sources (Wikibooks recipes, Wikidata films, the
tau2 retail store and the Superstore orders) into catalog items, with a report
per source of what was read, kept and skipped. Nothing is downloaded here: the
packages are installed at set-up by `scripts/install_sources.sh`.

Run `python -m tools.starter` to print those reports as JSON.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from pydantic import BaseModel, Field

from tools.catalog import CatalogItem, Vertical
from tools.sources.locate import SourceReport, SourceUnavailable, superstore_csv
from tools.sources.movies import movies_report, read_movies
from tools.sources.recipes import read_recipes, recipes_report
from tools.sources.retail import read_retail, retail_report
from tools.sources.superstore import read_superstore, superstore_report

__all__ = ["SourceReport", "SourceUnavailable", "StarterCatalog", "build_starter"]

Reader = Callable[[Path, SourceReport, int | None], Iterator[CatalogItem]]


class StarterCatalog(BaseModel):
    """The starter items of every vertical and how each source contributed."""

    items: list[CatalogItem] = Field(default_factory=list)
    sources: list[SourceReport] = Field(default_factory=list)

    def counts(self) -> dict[Vertical, int]:
        """Items per vertical."""
        return dict(Counter(item.vertical for item in self.items))


def _locate_all() -> list[tuple[Path, SourceReport, Reader]]:
    located: list[tuple[Path, SourceReport, Reader]] = []
    problems: list[str] = []
    finders: list[tuple[Callable[[], tuple[Path, SourceReport]], Reader]] = [
        (recipes_report, read_recipes),
        (movies_report, read_movies),
        (retail_report, read_retail),
        (_superstore, read_superstore),
    ]
    for find, reader in finders:
        try:
            path, report = find()
        except SourceUnavailable as exc:
            problems.append(str(exc))
            continue
        located.append((path, report, reader))
    if problems:
        raise SourceUnavailable("starter sources missing:\n- " + "\n- ".join(problems))
    return located


def _superstore() -> tuple[Path, SourceReport]:
    path = superstore_csv()
    return path, superstore_report(path)


def build_starter(limit_per_source: int | None = None) -> StarterCatalog:
    """Read every starter source; `limit_per_source` keeps the first N items of each.

    Raises `SourceUnavailable` naming every missing source (and the set-up
    command) before anything is read.
    """
    if limit_per_source is not None and limit_per_source < 0:
        raise ValueError("limit_per_source must be zero or more")
    catalog = StarterCatalog()
    for path, report, reader in _locate_all():
        catalog.items.extend(reader(path, report, limit_per_source))
        catalog.sources.append(report)
    return catalog


def main() -> int:
    """Print the source reports of a full build as JSON (used to fill the data card)."""
    try:
        catalog = build_starter()
    except SourceUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for report in catalog.sources:
        print(report.model_dump_json(indent=2))
    print(f"items per vertical: {catalog.counts()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
