"""The catalog's own group names by meaning: recipe categories, product categories, genres.

A request is compared with each name of a vertical as a phrase of that vertical ("war
films", "pancake recipes", "chairs"; the request is read the same way: "indian" as
"indian recipes"). The names' vectors are embedded once per index version (`warm`, at
start-up when serving), so a request costs one query embedding (the embedder caches it).
The relaxation ladder takes the nearest name when no item is close; the catalog groups
shown without the LLM keep only groups whose name is among the nearest to the request
("Scary Movie" is a comedy, but comedy is not what "scary movies for a sleepover" asks
for).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from tools.index import CatalogIndex

NOUN = {"ideas": " recipes", "video": " films"}
VERTICALS = ("ideas", "shopping", "video")
_CACHE: dict[tuple[int, str], tuple[int, list[str], np.ndarray]] = {}
"""Per (index, vertical), the names and vectors of the index version last read: a new
version replaces them, so a long-running server does not keep every version's."""


def name_vectors(index: CatalogIndex, vertical: str) -> tuple[list[str], np.ndarray]:
    """The vertical's group names (lower case, sorted) and their unit vectors."""
    key, version = (id(index), vertical), index.version
    cached = _CACHE.get(key)
    if cached is None or cached[0] != version:
        vocab = index.facets()
        table = {"ideas": vocab.idea_categories, "shopping": vocab.categories}.get(
            vertical, vocab.genres
        )
        names = sorted(table)
        phrases = [f"{name}{NOUN.get(vertical, '')}" for name in names]
        vectors = index.embedder.embed_documents(phrases) if names else np.zeros((0, 1))
        cached = _CACHE[key] = (version, names, np.asarray(vectors, dtype=np.float32))
    return cached[1], cached[2]


def warm(index: CatalogIndex) -> None:
    """Embed every vertical's names now (about half a second on the starter catalog), at
    start-up, rather than on the first request that reaches the ladder."""
    for vertical in VERTICALS:
        name_vectors(index, vertical)


def name_cosines(index: CatalogIndex, vertical: str, text: str) -> dict[str, float]:
    """Each group name of `vertical` with its cosine to `text` read as a request there."""
    names, vectors = name_vectors(index, vertical)
    if not names:
        return {}
    query = index.embedder.embed_query(f"{text}{NOUN.get(vertical, '')}")
    cosines = vectors @ np.asarray(query, dtype=np.float32)
    return dict(zip(names, map(float, cosines), strict=True))


def nearest_name(index: CatalogIndex, vertical: str, text: str) -> tuple[str, float] | None:
    """The group name of `vertical` closest in meaning to `text`, and that cosine."""
    cosines = name_cosines(index, vertical, text)
    if not cosines:
        return None
    best = max(cosines, key=lambda n: cosines[n])
    return best, cosines[best]


def nearer_share(index: CatalogIndex, vertical: str, text: str) -> dict[str, float]:
    """Per group name, the share of the vertical's names nearer to `text` than it is
    (0.0 for the nearest): a rank that means the same across verticals and cosine scales."""
    cosines = name_cosines(index, vertical, text)
    ordered = sorted(cosines, key=lambda n: -cosines[n])
    return {name: i / len(ordered) for i, name in enumerate(ordered)}
