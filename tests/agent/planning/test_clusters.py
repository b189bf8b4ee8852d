"""Catalog groups without the LLM: a group is shown only when its name is near the request."""

from __future__ import annotations

from agent.deps import Deps
from agent.planning.clusters import Cluster, cluster_modules, name_shares
from agent.quality.category_names import nearer_share
from tools.catalog import Video
from tools.contract import Hit


def films(genre: str, n: int = 3) -> list[Hit]:
    return [
        Hit(item=Video(id=f"{genre}{i}", title=f"{genre} film {i}", genre=[genre]), score=1.0,
            similarity=0.6)
        for i in range(n)
    ]  # fmt: skip


def test_a_group_whose_name_is_far_from_the_request_is_dropped() -> None:
    found = [Cluster(name="Comedy", vertical="video", hits=films("Comedy")),
             Cluster(name="Horror", vertical="video", hits=films("Horror"))]  # fmt: skip
    shares = {"video": {"horror": 0.0, "comedy": 0.4}}
    modules, notes = cluster_modules("scary movies for a sleepover", found, {}, 5, shares)
    assert [m.aspect for m in modules] == ["Horror"]
    assert any("video/Comedy: dropped (its name is far" in n for n in notes)
    kept, _ = cluster_modules("scary movies for a sleepover", found, {}, 5)
    assert [m.aspect for m in kept] == ["Comedy", "Horror"]


def test_names_are_ranked_by_meaning_in_the_real_embedding(tiny_deps: Deps) -> None:
    shares = nearer_share(tiny_deps.index, "video", "gangsters planning a bank robbery")
    assert shares["crime"] == 0.0
    assert shares["comedy"] > 0.0 and shares["fantasy"] > 0.0
    found = [Cluster(name="Crime", vertical="video", hits=films("Crime"))]
    assert set(name_shares(tiny_deps, "heist films", found)) == {"video"}


def test_name_vectors_are_kept_for_the_index_version_last_read(tiny_deps: Deps) -> None:
    from agent.quality import category_names

    category_names.warm(tiny_deps.index)
    held = [k for k in category_names._CACHE if k[0] == id(tiny_deps.index)]
    assert sorted(v for _, v in held) == ["ideas", "shopping", "video"]
    names, vectors = category_names.name_vectors(tiny_deps.index, "video")
    assert "crime" in names and vectors.shape[0] == len(names)
