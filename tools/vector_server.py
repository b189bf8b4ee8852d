"""The dense side on a Chroma server (`chroma run`), through `chromadb.HttpClient`.

Same collections, names, metadata and `where` filters as the embedded
`VectorStore`; only the client differs, so every worker on every machine sees
one set of vectors. A server that does not answer is `BackendUnavailable`
naming the URL, never an empty result. Each query is a `chroma.query` client span
(the httpx instrumentation adds the HTTP call under it when tracing is on).
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from opentelemetry.trace import SpanKind
from opentelemetry.util.types import AttributeValue

from tools.backend_errors import BackendUnavailable
from tools.catalog import Vertical
from tools.pushdown import Where
from tools.tracing import span
from tools.vector import VectorStore


def parse_chroma_url(url: str) -> tuple[str, int, bool]:
    """(host, port, ssl) of `http://host:port`; the port defaults to 8000 (443 for https)."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BackendUnavailable("chroma", f"TESSERA_CHROMA_URL {url!r} is not http://host:port")
    ssl = parts.scheme == "https"
    return parts.hostname, parts.port or (443 if ssl else 8000), ssl


class ServerVectorStore(VectorStore):
    """A `VectorStore` whose collections live on a Chroma server."""

    def __init__(self, url: str, *, embedder_name: str) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        host, port, ssl = parse_chroma_url(url)
        self.url = url
        self.path = None
        self._span_attributes: dict[str, AttributeValue] = {
            "db.system.name": "chromadb",
            "db.operation.name": "query",
            "server.address": host,
            "server.port": port,
        }
        self.embedder_name = embedder_name
        self._collections: dict[str, Any] = {}
        self._lock = threading.Lock()
        try:
            self._client = chromadb.HttpClient(
                host=host, port=port, ssl=ssl, settings=ChromaSettings(anonymized_telemetry=False)
            )
            self._client.heartbeat()
            self.max_batch = max(1, int(self._client.get_max_batch_size()))
        except Exception as exc:
            raise BackendUnavailable(
                "chroma", f"the Chroma server at {url} is down ({exc})"
            ) from exc

    def ping(self) -> None:
        """Raise `BackendUnavailable` unless the server answers a heartbeat."""
        try:
            self._client.heartbeat()
        except Exception as exc:
            raise BackendUnavailable("chroma", f"the Chroma server at {self.url} is down") from exc

    def collection(self, vertical: Vertical) -> Any:
        try:
            return super().collection(vertical)
        except Exception as exc:
            raise BackendUnavailable("chroma", f"the Chroma server at {self.url}: {exc}") from exc

    def query(
        self, vertical: Vertical, vector: np.ndarray, where: Where | None, limit: int
    ) -> list[tuple[str, float]]:
        attributes = {**self._span_attributes, "db.collection.name": vertical}
        try:
            with span("chroma.query", attributes, kind=SpanKind.CLIENT):
                return super().query(vertical, vector, where, limit)
        except BackendUnavailable:
            raise
        except Exception as exc:
            raise BackendUnavailable("chroma", f"the Chroma server at {self.url}: {exc}") from exc

    def close(self) -> None:
        self._collections.clear()
