"""The dense side of the index: one Chroma collection per vertical, cosine metric.

Embeddings are always passed in; collections are created without an embedding
function so Chroma never loads (or downloads) a model of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np

from tools.catalog import Vertical
from tools.pushdown import Where
from tools.rows import MetadataValue
from tools.store import REBUILD_HINT, IndexUnavailable
from tools.vector_files import files_problem, segment_dir

COLLECTION_PREFIX = "tessera-"


class VectorStore:
    """A Chroma `PersistentClient` and its per-vertical collections."""

    def __init__(self, path: Path, *, create: bool, embedder_name: str) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        if not create and not (path / "chroma.sqlite3").is_file():
            raise IndexUnavailable(f"No vector store at {path}: {REBUILD_HINT}.")
        self.embedder_name = embedder_name
        self.path: Path | None = path
        self._collections: dict[str, Any] = {}
        self._lock = threading.Lock()
        try:
            path.mkdir(parents=True, exist_ok=True)
            self._client = chromadb.PersistentClient(
                path=str(path), settings=ChromaSettings(anonymized_telemetry=False)
            )
            self._client.heartbeat()
        except Exception as exc:
            raise IndexUnavailable(
                f"The vector store at {path} cannot be opened ({exc}); remove the directory "
                f"{path.parent} and {REBUILD_HINT}."
            ) from exc
        self.max_batch = max(1, int(self._client.get_max_batch_size()))

    def collection(self, vertical: Vertical) -> Any:
        """The vertical's collection, created on first use."""
        with self._lock:
            col = self._collections.get(vertical)
            if col is None:
                col = self._client.get_or_create_collection(
                    COLLECTION_PREFIX + vertical,
                    embedding_function=None,
                    configuration={"hnsw": {"space": "cosine"}},
                    metadata={"embedder": self.embedder_name},
                )
                self._collections[vertical] = col
            return col

    def upsert(
        self,
        vertical: Vertical,
        ids: Sequence[str],
        embeddings: np.ndarray,
        metadatas: Sequence[dict[str, MetadataValue]],
    ) -> None:
        col = self.collection(vertical)
        for start in range(0, len(ids), self.max_batch):
            end = start + self.max_batch
            col.upsert(
                ids=list(ids[start:end]),
                embeddings=embeddings[start:end],
                metadatas=cast(Any, list(metadatas[start:end])),
            )

    def delete(self, vertical: Vertical, ids: Sequence[str]) -> None:
        col = self.collection(vertical)
        for start in range(0, len(ids), self.max_batch):
            col.delete(ids=list(ids[start : start + self.max_batch]))

    def present(self, vertical: Vertical, ids: Sequence[str]) -> set[str]:
        """The subset of `ids` the collection holds."""
        col = self.collection(vertical)
        found: set[str] = set()
        for start in range(0, len(ids), self.max_batch):
            found.update(col.get(ids=list(ids[start : start + self.max_batch]), include=[])["ids"])
        return found

    def vectors(self, vertical: Vertical, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored embeddings by id; unknown ids are left out."""
        col = self.collection(vertical)
        out: dict[str, np.ndarray] = {}
        for start in range(0, len(ids), self.max_batch):
            got = col.get(ids=list(ids[start : start + self.max_batch]), include=["embeddings"])
            matrix = np.asarray(got["embeddings"], dtype=np.float32)
            out.update({str(i): matrix[n] for n, i in enumerate(got["ids"])})
        return out

    def drop(self, vertical: Vertical) -> None:
        """Delete the vertical's collection (its files too); the next use creates it empty."""
        with self._lock:
            self._collections.pop(vertical, None)
            try:
                self._client.delete_collection(COLLECTION_PREFIX + vertical)
            except Exception:  # noqa: BLE001 - a collection that is already gone is fine
                pass

    def files_problem(self, vertical: Vertical) -> str | None:
        """Damage visible in the vertical's segment files, found without loading them."""
        if self.path is None:
            return None
        found = segment_dir(self.path, COLLECTION_PREFIX + vertical)
        return files_problem(*found) if found else None

    def ids(self, vertical: Vertical) -> set[str]:
        return set(self.collection(vertical).get(include=[])["ids"])

    def count(self, vertical: Vertical) -> int:
        return int(self.collection(vertical).count())

    def query(
        self, vertical: Vertical, vector: np.ndarray, where: Where | None, limit: int
    ) -> list[tuple[str, float]]:
        """(id, cosine similarity) best first, filtered inside Chroma before the top-k."""
        if limit <= 0:
            return []
        result = self.collection(vertical).query(
            query_embeddings=[vector], n_results=limit, where=where, include=["distances"]
        )
        ids = result["ids"][0]
        distances = (result.get("distances") or [[0.0] * len(ids)])[0]
        return [(str(i), 1.0 - float(d)) for i, d in zip(ids, distances, strict=True)]

    def close(self) -> None:
        self._collections.clear()
        close = getattr(self._client, "close", None)
        if callable(close):
            close()
