"""BEIR-format datasets: `corpus.jsonl`, `queries.jsonl` and `qrels/<split>.tsv`.

Any folder with that layout loads; the split is the only qrels file, or `test`, `dev`
or `train` in that order, unless one is named. Queries without a positive judgment are
left out (as BEIR does), so every scored query can be answered. Datasets are read in
place and never copied: the default root is `$TESSERA_DATASETS`, else
`../shared/datasets` beside the repository.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tools.errors import UserError

SPLIT_PREFERENCE = ("test", "dev", "validation", "train")
REPO_ROOT = Path(__file__).resolve().parent.parent
M = TypeVar("M", bound=BaseModel)


class DatasetError(UserError, ValueError):
    """A dataset is missing or malformed; the message says what to fix."""


class BeirDoc(BaseModel):
    """One corpus row."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    id: str = Field(alias="_id", min_length=1)
    title: str = ""
    text: str = ""


class BeirQuery(BaseModel):
    """One query; `id` is the BEIR `_id`."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    id: str = Field(alias="_id", min_length=1)
    text: str


class BeirDataset(BaseModel):
    """Queries and judgments of one split; the corpus stays on disk until iterated."""

    name: str
    path: Path
    split: str
    queries: list[BeirQuery]
    qrels: dict[str, dict[str, int]]

    @property
    def corpus_path(self) -> Path:
        return self.path / "corpus.jsonl"

    def corpus(self) -> Iterator[BeirDoc]:
        """Stream the corpus in file order."""
        yield from _read_jsonl(self.corpus_path, BeirDoc)


def datasets_root(env: dict[str, str] | None = None) -> Path:
    """Where public datasets live: `$TESSERA_DATASETS`, else `../shared/datasets`."""
    value = (env if env is not None else os.environ).get("TESSERA_DATASETS")
    if value:
        return Path(value).expanduser()
    return (REPO_ROOT.parent / "shared" / "datasets").resolve()


def resolve_dataset(spec: str, root: Path | None = None) -> Path:
    """A dataset folder from a path, or a name under the datasets root (`cranfield`).

    A name may point at a folder whose BEIR files sit in a `beir/` subfolder.
    """
    base = root if root is not None else datasets_root()
    for candidate in (Path(spec).expanduser(), base / spec):
        for folder in (candidate, candidate / "beir"):
            if (folder / "corpus.jsonl").is_file():
                return folder
    raise DatasetError(
        f"No BEIR dataset at '{spec}' (looked in it and under {base}). Pass a folder with "
        "corpus.jsonl, queries.jsonl and qrels/<split>.tsv, or set TESSERA_DATASETS to the "
        "folder that holds the public datasets."
    )


def detect_split(path: Path, split: str | None = None) -> str:
    """The qrels split to use: `split` if given (and present), else the only or best one."""
    qrels_dir = path / "qrels"
    available = sorted(p.stem for p in qrels_dir.glob("*.tsv")) if qrels_dir.is_dir() else []
    if not available:
        raise DatasetError(f"{qrels_dir} has no <split>.tsv files: not a BEIR folder.")
    if split is not None:
        if split not in available:
            raise DatasetError(f"No split '{split}' in {qrels_dir}; available: {available}.")
        return split
    if len(available) == 1:
        return available[0]
    for name in SPLIT_PREFERENCE:
        if name in available:
            return name
    raise DatasetError(f"Several splits in {qrels_dir} ({available}): choose one with --split.")


def load_beir(path: Path, split: str | None = None, name: str | None = None) -> BeirDataset:
    """Load the queries and qrels of one split of the BEIR folder at `path`."""
    for required in ("corpus.jsonl", "queries.jsonl"):
        if not (path / required).is_file():
            raise DatasetError(f"{path / required} is missing: not a BEIR folder.")
    chosen = detect_split(path, split)
    qrels = read_qrels(path / "qrels" / f"{chosen}.tsv")
    queries = [q for q in _read_jsonl(path / "queries.jsonl", BeirQuery) if q.id in qrels]
    missing = set(qrels) - {q.id for q in queries}
    if missing:
        raise DatasetError(
            f"{len(missing)} judged queries are not in {path / 'queries.jsonl'} "
            f"(e.g. {sorted(missing)[:3]}): the files do not belong together."
        )
    label = name or (path.parent.name if path.name == "beir" else path.name)
    return BeirDataset(
        name=label,
        path=path,
        split=chosen,
        queries=queries,
        qrels={q.id: qrels[q.id] for q in queries},
    )


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """`{qid: {docid: gain}}` from a BEIR qrels TSV, keeping only queries with a positive gain."""
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t")
        for lineno, row in enumerate(reader, start=1):
            if not row or (lineno == 1 and row[0] == "query-id"):
                continue
            if len(row) < 3:
                raise DatasetError(f"{path}:{lineno}: expected query-id, corpus-id, score.")
            try:
                gain = int(float(row[2]))
            except ValueError as exc:
                raise DatasetError(f"{path}:{lineno}: score '{row[2]}' is not a number.") from exc
            qrels.setdefault(row[0], {})[row[1]] = gain
    return {qid: docs for qid, docs in qrels.items() if any(g > 0 for g in docs.values())}


def _read_jsonl(path: Path, model: type[M]) -> Iterator[M]:
    with path.open(encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield model.model_validate(json.loads(line))
            except (json.JSONDecodeError, ValidationError) as exc:
                raise DatasetError(f"{path}:{lineno}: not a valid {model.__name__}: {exc}") from exc
