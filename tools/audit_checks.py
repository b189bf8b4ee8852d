"""The audit's checks: each reads plain catalog items and yields findings with evidence.

- `diet_findings`: a vegetarian or vegan label that the recipe's own title,
  ingredients or steps contradict (or leave unclear);
- `genre_findings`: genres that only come late in a long, noisy list;
- `brand_findings`: a brand that the catalog itself uses as a product word;
- `outlier_findings`: prices and durations far from the rest of their category
  (robust z-score of the logarithm, median and MAD).
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Literal

from pydantic import BaseModel, Field

from tools.catalog import CatalogItem, Idea, Product, Video
from tools.diet import diet_evidence

FindingKind = Literal["diet", "diet-unclear", "genre", "brand", "price", "duration"]
FINDING_KINDS: tuple[FindingKind, ...] = (
    "diet",
    "diet-unclear",
    "genre",
    "brand",
    "price",
    "duration",
)
MAX_EVIDENCE = 3
NOISY_GENRES = 5
LATE_GENRE = 4
MIN_INSIDE_USES = 3
INSIDE_SHARE = 0.3
MIN_GROUP = 8
OUTLIER_Z = 3.5
MIN_PRICE_RATIO = 3.0
MIN_DURATION_RATIO = 8.0
_AFTER_PREPOSITION = re.compile(
    r"(?:\bfor|\bby|\bfrom|\bwith|\bfits|\bcompatible|-|–|—|/|\+)\s*$", re.IGNORECASE
)


class Finding(BaseModel):
    """A derived fact that the item's own text, or its category, contradicts."""

    kind: FindingKind
    vertical: str
    item_id: str
    title: str
    fact: str = Field(description="The fact in question, e.g. 'diet: vegan'.")
    evidence: list[str] = Field(default_factory=list, description="Why, one line each.")


def _finding(item: CatalogItem, kind: FindingKind, fact: str, evidence: list[str]) -> Finding:
    return Finding(
        kind=kind,
        vertical=item.vertical,
        item_id=item.id,
        title=item.title,
        fact=fact,
        evidence=evidence[:MAX_EVIDENCE],
    )


def diet_findings(items: Iterable[CatalogItem]) -> Iterator[Finding]:
    """Vegetarian and vegan labels against the recipe's title, ingredients and steps."""
    for item in items:
        if not isinstance(item, Idea):
            continue
        labels = {d.lower() for d in item.diet} & {"vegetarian", "vegan"}
        if not labels:
            continue
        evidence = diet_evidence(item.title, item.ingredients, item.steps, category=item.category)
        against = evidence.of("meat") + (evidence.of("animal") if "vegan" in labels else [])
        fact = "diet: " + ", ".join(sorted(labels))
        if against:
            yield _finding(item, "diet", fact, [hit.line() for hit in against])
        elif evidence.unclear:
            lines = evidence.notes + [hit.line() for hit in evidence.of("unclear")]
            yield _finding(item, "diet-unclear", fact, lines)


def genre_findings(items: Iterable[CatalogItem]) -> Iterator[Finding]:
    """Genres from position `LATE_GENRE` + 1 on, in lists of at least `NOISY_GENRES`."""
    for item in items:
        if not isinstance(item, Video) or len(item.genre) < NOISY_GENRES:
            continue
        listed = ", ".join(item.genre)
        lines = [
            f'"{genre}" is genre {n} of {len(item.genre)}: {listed}'
            for n, genre in enumerate(item.genre, 1)
            if n > LATE_GENRE
        ]
        yield _finding(item, "genre", "genre: " + ", ".join(item.genre[LATE_GENRE:]), lines)


def brand_findings(items: Iterable[CatalogItem]) -> Iterator[Finding]:
    """Brands that other product names use as an ordinary word, or that name a category."""
    products = [i for i in items if isinstance(i, Product)]
    words = (w for p in products for c in p.category_path for w in c.split())
    categories = {w.lower().rstrip("s") for w in words}
    by_brand: dict[str, list[Product]] = defaultdict(list)
    for product in products:
        if product.brand:
            by_brand[product.brand].append(product)
    for brand, members in by_brand.items():
        word = re.compile(rf"(?<!^)\b{re.escape(brand)}s?\b", re.IGNORECASE)
        inside = [
            p.title
            for p in products
            if p.brand != brand
            and (m := word.search(p.title))
            and not _AFTER_PREPOSITION.search(p.title[: m.start()])
        ]
        lines: list[str] = []
        if brand.lower().rstrip("s") in categories:
            lines.append(f'"{brand}" is also a category word in this catalog')
        if len(inside) >= MIN_INSIDE_USES and len(inside) >= INSIDE_SHARE * len(members):
            lines.append(
                f'"{brand}" is a word inside {len(inside)} other product names '
                f"(it leads {len(members)}), e.g. {inside[0]!r}"
            )
        for product in members if lines else []:
            yield _finding(product, "brand", f"brand: {brand}", lines)


def _outliers(
    items: Sequence[CatalogItem],
    kind: FindingKind,
    value: Callable[[CatalogItem], float | None],
    group: Callable[[CatalogItem], str | None],
    shown: Callable[[float], str],
    min_ratio: float,
) -> Iterator[Finding]:
    groups: dict[str, list[tuple[CatalogItem, float]]] = defaultdict(list)
    for item in items:
        number, name = value(item), group(item)
        if number is not None and number > 0 and name:
            groups[name].append((item, number))
    for name, members in groups.items():
        if len(members) < MIN_GROUP:
            continue
        logs = [math.log(v) for _, v in members]
        centre = statistics.median(logs)
        spread = statistics.median(abs(x - centre) for x in logs)
        if spread == 0:
            continue
        median = math.exp(centre)
        for (item, number), log in zip(members, logs, strict=True):
            z = 0.6745 * (log - centre) / spread
            ratio = number / median
            if abs(z) > OUTLIER_Z and max(ratio, 1 / ratio) >= min_ratio:
                times = f"{ratio:.1f}x" if ratio >= 1 else f"1/{1 / ratio:.1f}"
                line = (
                    f"{kind} {shown(number)} is {times} the median {shown(median)} "
                    f"of {len(members)} items in {name} (robust z {z:+.1f})"
                )
                yield _finding(item, kind, f"{kind}: {shown(number)}", [line])


def outlier_findings(items: Sequence[CatalogItem]) -> Iterator[Finding]:
    """Prices per category path; recipe times per category; video lengths per first genre.

    An outlier is both far out (robust z beyond `OUTLIER_Z`) and a large factor
    away from the median (`MIN_PRICE_RATIO`, `MIN_DURATION_RATIO`): small groups
    of near-equal prices would otherwise flag ordinary differences.
    """

    def price(item: CatalogItem) -> float | None:
        return item.price if isinstance(item, Product) else None

    def path(item: CatalogItem) -> str | None:
        return " > ".join(item.category_path) if isinstance(item, Product) else None

    def minutes(item: CatalogItem) -> float | None:
        if isinstance(item, Idea) and item.total_time_min:
            return float(item.total_time_min)
        if isinstance(item, Video) and item.duration_s:
            return item.duration_s / 60
        return None

    def kind_of(item: CatalogItem) -> str | None:
        if isinstance(item, Idea):
            return f"ideas/{item.category}" if item.category else None
        return f"video/{item.genre[0]}" if isinstance(item, Video) and item.genre else None

    yield from _outliers(items, "price", price, path, "{:,.2f}".format, MIN_PRICE_RATIO)
    yield from _outliers(
        items, "duration", minutes, kind_of, "{:,.0f} min".format, MIN_DURATION_RATIO
    )


def count_kinds(findings: Iterable[Finding]) -> dict[FindingKind, int]:
    """Findings per kind, every kind present (zero when none)."""
    counts = Counter(f.kind for f in findings)
    return {kind: counts.get(kind, 0) for kind in FINDING_KINDS}
