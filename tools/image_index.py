"""Visual similarity over catalog images: the Chroma collection `tessera-images`.

It lives in the same Chroma directory as `CatalogIndex`'s per-vertical collections
(`<index dir>/chroma`); clients on one path share one Chroma system, so both can be
open at once. Only images on this machine are indexed (a path, relative to `base_dir`,
or a `file://` or `data:` URL): remote URLs are counted, never fetched. An image that
is missing, unreadable or over the size limits is skipped with its reason and the rest
go on. Re-adding is cheap: an item whose image file (path, size, mtime) is unchanged is
not decoded again, and an item that lost its image loses its vector.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple, cast
from urllib.parse import urlparse

import numpy as np
from pydantic import BaseModel, Field

from tools.catalog import VERTICALS, CatalogItem, Vertical
from tools.store import IndexUnavailable
from tools.vision import (
    ImageRejected,
    VisionLike,
    VisionUnavailable,
    load_image,
    parse_image_ref,
)

__all__ = ["COLLECTION", "ImageIndex", "ImageIndexReport", "SimilarImage", "SkippedImage"]

COLLECTION = "tessera-images"
CHROMA_DIR = "chroma"
REMOTE_SCHEMES = frozenset({"http", "https", "ftp", "s3", "gs"})


class SkippedImage(BaseModel):
    """An item whose image was not indexed, and why."""

    vertical: str
    id: str
    reason: str


class ImageIndexReport(BaseModel):
    """What `ImageIndex.add` did, counted per input item."""

    indexed: int = Field(default=0, description="Images decoded, embedded and stored.")
    unchanged: int = Field(default=0, description="Already stored from the same file.")
    no_image: int = Field(default=0, description="Items without an image_url.")
    remote: int = Field(default=0, description="Items whose image is a remote URL (not fetched).")
    removed: int = Field(default=0, description="Stale vectors of items that lost their image.")
    skipped: list[SkippedImage] = Field(default_factory=list)


class SimilarImage(NamedTuple):
    """One visually similar catalog item."""

    vertical: Vertical
    id: str
    similarity: float


class ImageIndex:
    """Image embeddings of catalog items in one cosine Chroma collection."""

    def __init__(self, index_dir: Path, vision: VisionLike, *, create: bool = True) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        path = Path(index_dir).expanduser() / CHROMA_DIR
        if not create and not (path / "chroma.sqlite3").is_file():
            raise IndexUnavailable(f"No vector store at {path}: build the index first.")
        self.vision = vision
        self._lock = threading.Lock()
        try:
            path.mkdir(parents=True, exist_ok=True)
            self._client = chromadb.PersistentClient(
                path=str(path), settings=ChromaSettings(anonymized_telemetry=False)
            )
            self._collection = self._open_collection()
        except IndexUnavailable:
            raise
        except Exception as exc:
            raise IndexUnavailable(f"The image index at {path} cannot be opened ({exc}).") from exc
        self.max_batch = max(1, int(self._client.get_max_batch_size()))

    def _open_collection(self) -> Any:
        col = self._client.get_or_create_collection(
            COLLECTION,
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"model": self.vision.name, "dim": self.vision.dim},
        )
        stored = (col.metadata or {}).get("model")
        if stored != self.vision.name:
            raise IndexUnavailable(
                f"The image index was built with the model {stored}, not {self.vision.name}; "
                "call ImageIndex.reset() and add the items again."
            )
        return col

    def add(
        self,
        items: Iterable[CatalogItem],
        *,
        base_dir: Path | None = None,
        batch_size: int = 64,
        progress: Callable[[int], None] | None = None,
    ) -> ImageIndexReport:
        """Index the local images of `items`; never stops on a bad image."""
        report = ImageIndexReport()
        base = Path(base_dir) if base_dir is not None else Path.cwd()
        batch: list[CatalogItem] = []
        for item in items:
            batch.append(item)
            if len(batch) >= max(1, batch_size):
                self._add_batch(batch, base, report)
                if progress:
                    progress(len(batch))
                batch = []
        if batch:
            self._add_batch(batch, base, report)
            if progress:
                progress(len(batch))
        return report

    def _add_batch(self, items: list[CatalogItem], base: Path, report: ImageIndexReport) -> None:
        sources: dict[str, tuple[CatalogItem, Path | bytes, str]] = {}
        gone: list[str] = []
        for item in items:
            key = _key(item.vertical, item.id)
            url = (item.image_url or "").strip()
            if not url:
                report.no_image += 1
                gone.append(key)
                continue
            if urlparse(url).scheme.lower() in REMOTE_SCHEMES:
                report.remote += 1
                gone.append(key)
                continue
            try:
                source = _resolve(parse_image_ref(url), base)
                sources[key] = (item, source, _fingerprint(source))
            except (ImageRejected, OSError) as exc:
                report.skipped.append(
                    SkippedImage(vertical=item.vertical, id=item.id, reason=str(exc))
                )
                gone.append(key)
        known = self._fingerprints(list(sources))
        ids: list[str] = []
        vectors: list[np.ndarray] = []
        metadatas: list[dict[str, str | int]] = []
        for key, (item, source, fingerprint) in sources.items():
            if known.get(key) == fingerprint:
                report.unchanged += 1
                continue
            try:
                vector = self.vision.embed(load_image(source))
            except VisionUnavailable:
                raise
            except Exception as exc:
                reason = str(exc) if isinstance(exc, ImageRejected) else _failure(exc)
                report.skipped.append(
                    SkippedImage(vertical=item.vertical, id=item.id, reason=reason)
                )
                gone.append(key)
                continue
            ids.append(key)
            vectors.append(np.asarray(vector, dtype=np.float32))
            metadatas.append({"vertical": item.vertical, "item_id": item.id,
                              "source": _describe(source), "fingerprint": fingerprint})  # fmt: skip
        for start in range(0, len(ids), self.max_batch):
            end = start + self.max_batch
            self._collection.upsert(
                ids=ids[start:end],
                embeddings=np.stack(vectors[start:end]),
                metadatas=cast(Any, metadatas[start:end]),
            )
        report.indexed += len(ids)
        stale = sorted(self._present(gone))
        if stale:
            self._collection.delete(ids=stale)
            report.removed += len(stale)

    def _fingerprints(self, keys: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for start in range(0, len(keys), self.max_batch):
            got = self._collection.get(
                ids=keys[start : start + self.max_batch], include=["metadatas"]
            )
            for key, meta in zip(got["ids"], got["metadatas"] or [], strict=False):
                found[str(key)] = str((meta or {}).get("fingerprint", ""))
        return found

    def _present(self, keys: list[str]) -> set[str]:
        return set(self._fingerprints(keys)) if keys else set()

    def similar(
        self, vector: np.ndarray, k: int = 10, *, verticals: Sequence[Vertical] | None = None
    ) -> list[SimilarImage]:
        """The `k` items whose images are closest to `vector`, most similar first."""
        if k <= 0 or self.count() == 0:
            return []
        wanted = list(dict.fromkeys(verticals or []))
        for vertical in wanted:
            if vertical not in VERTICALS:
                raise ValueError(f"unknown vertical {vertical!r}; expected one of {VERTICALS}")
        where = {"vertical": {"$in": wanted}} if wanted else None
        result = self._collection.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)],
            n_results=min(k, self.count()),
            where=cast(Any, where),
            include=["metadatas", "distances"],
        )
        metas = (result.get("metadatas") or [[]])[0]
        distances = (result.get("distances") or [[]])[0]
        return [
            SimilarImage(cast(Vertical, m["vertical"]), str(m["item_id"]), 1.0 - float(d))
            for m, d in zip(metas, distances, strict=True)
            if m is not None
        ]

    def delete(self, vertical: Vertical, ids: Sequence[str]) -> None:
        keys = [_key(vertical, i) for i in dict.fromkeys(ids)]
        for start in range(0, len(keys), self.max_batch):
            self._collection.delete(ids=keys[start : start + self.max_batch])

    def count(self) -> int:
        return int(self._collection.count())

    def reset(self) -> None:
        """Drop every stored image vector (e.g. after changing the vision model)."""
        with self._lock:
            self._client.delete_collection(COLLECTION)
            self._collection = self._open_collection()

    def close(self) -> None:
        close = getattr(self._client, "close", None)
        if callable(close):
            close()


def _key(vertical: str, item_id: str) -> str:
    return f"{vertical}/{item_id}"


def _resolve(source: Path | bytes, base: Path) -> Path | bytes:
    if isinstance(source, bytes) or source.is_absolute():
        return source
    return base / source


def _fingerprint(source: Path | bytes) -> str:
    """What identifies the image's content cheaply: path, size and mtime, or a digest."""
    if isinstance(source, bytes):
        return "sha1:" + hashlib.sha1(source, usedforsecurity=False).hexdigest()
    try:
        stat = source.stat()
    except OSError as exc:
        raise ImageRejected(f"no image file at {source} ({exc.strerror})") from exc
    return f"{source.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"


def _failure(exc: Exception) -> str:
    return f"the image could not be embedded ({type(exc).__name__}: {exc})"


def _describe(source: Path | bytes) -> str:
    return str(source) if isinstance(source, Path) else f"data:({len(source)} bytes)"
