"""Diet labels read from the whole recipe: title, every ingredient block and the steps.

`diet_evidence` lists each mention of an animal food with where it was found
("title", "ingredient 3", "step 2") and an excerpt; `DietEvidence.labels` turns
that into ['vegetarian', 'vegan'], ['vegetarian'] or []. The same evidence backs
the catalog audit (`tools.audit`), so a label and its check never disagree on
what a word means.

Rules, in order:
- plant foods named after animal ones are not animal foods ("coconut milk",
  "peanut butter", "seitan chicken", "vegetable stock", "oyster mushrooms");
  a title that declares itself vegan or vegetarian names substitutes;
- a word the recipe has already shown to be a plant food counts as that food
  later ("1 cup almond milk" ... "add the milk");
- comparisons do not count ("the texture of ground beef", "in place of meat");
- in the last two steps, a serving or use suggestion does not count ("serve
  with grilled fish", "use to marinate meat"): the dish itself stays as it is;
- unclear evidence gives no label: an unqualified "stock" or "broth", or
  steps that name ingredient groups the list does not have (a list that kept
  only its first block).

    >>> diet_evidence("Phở Gà", ["1 tsp fennel seed"], ["Add the chicken."]).labels
    []
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Literal

from pydantic import BaseModel, Field

from tools.diet_words import (
    AMBIGUOUS_WORDS,
    ANIMAL_PRODUCT_WORDS,
    BIRD_EGG,
    COMPARISONS,
    GOAT_DAIRY,
    MEAT_SUBSTITUTES,
    MEAT_WORDS,
    NOT_ANIMAL,
    PAIRINGS,
    PREPARED_FOODS,
)
from tools.ingredients import IngredientSection, missing_groups

HitKind = Literal["meat", "animal", "unclear"]
PAIRING_STEPS = 2
MIN_MISSING_GROUPS = 2
SIDE_GROUPS = frozenset(
    "sauce filling marinade topping dressing glaze stuffing serving icing".split() + ["frosting"]
)
"""Groups that are their own block when named: one of them missing is enough to be unclear."""
EXCERPT = 60
_DECLARED_VEGAN = re.compile(r"(?<!non-)(?<!non )\bvegan\b|\bplant-based\b")
_DECLARED_VEGETARIAN = re.compile(r"(?<!non-)(?<!non )\b(?:vegetarian|meatless|meat-free)\b")
_FAMILIES = [
    {"stock", "broth", "bouillon", "consommé", "consomme", "dashi", "seasoning cube", "maggi"},
    {"sausage", "bratwurst", "wiener", "frankfurter", "kielbasa", "chorizo", "hot dog"},
    {"milk", "cream", "creamer"},
]


def _word_pattern(words: list[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"\b(?P<word>{alternatives})(?:s|es)?\b")


_PATTERNS: list[tuple[HitKind, re.Pattern[str]]] = [
    ("meat", _word_pattern(MEAT_WORDS)),
    ("meat", re.compile(r"\b(?P<word>\w*fish)(?:es)?\b")),
    ("unclear", _word_pattern(AMBIGUOUS_WORDS)),
    ("animal", _word_pattern(ANIMAL_PRODUCT_WORDS)),
]
_VEGAN_UNCLEAR: list[tuple[HitKind, re.Pattern[str]]] = [
    ("animal", MEAT_SUBSTITUTES),
    ("animal", PREPARED_FOODS),
]
_NOT_ANIMAL = [re.compile(p) for p in NOT_ANIMAL]
_FIRST_WORDS = frozenset(
    w.split()[0] for w in [*MEAT_WORDS, *AMBIGUOUS_WORDS, *ANIMAL_PRODUCT_WORDS]
)
_TOKEN = re.compile(r"[^\W\d_][\w'-]*")


def _mentions_animal(text: str) -> bool:
    """A fast word-set test: could any animal-food pattern match `text`?"""
    for token in _TOKEN.findall(text):
        for word in (token, *token.split("-")) if "-" in token else (token,):
            if word in _FIRST_WORDS or word[:-1] in _FIRST_WORDS or word[:-2] in _FIRST_WORDS:
                return True
            if word.endswith(("fish", "fishes")):
                return True
    return False


_ANY_ANIMAL = re.compile("|".join(p.pattern for _, p in _PATTERNS).replace("?P<word>", ""))


class DietHit(BaseModel):
    """One mention of an animal food (or of an unclear one) in a recipe."""

    where: str = Field(description="'title', 'ingredient N' or 'step N' (1-based).")
    term: str
    kind: HitKind = Field(description="meat (incl. fish), animal (dairy, egg, honey), unclear.")
    excerpt: str

    def line(self) -> str:
        """The evidence as one line: `step 2: "chicken" in "...remove the chicken and..."`."""
        return f'{self.where}: "{self.term}" in "{self.excerpt}"'


class DietEvidence(BaseModel):
    """Everything a recipe's text says about its diet."""

    hits: list[DietHit] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description="Why the evidence is unclear.")
    declared: Literal["vegan", "vegetarian"] | None = Field(
        default=None, description="The diet the title or category itself declares."
    )

    def of(self, kind: HitKind) -> list[DietHit]:
        return [hit for hit in self.hits if hit.kind == kind]

    @property
    def unclear(self) -> bool:
        """Unclear evidence, and no declaration in the title or category to settle it."""
        return bool(self.of("unclear")) or (bool(self.notes) and self.declared is None)

    @property
    def labels(self) -> list[str]:
        """['vegetarian', 'vegan'], ['vegetarian'] or [] (also [] when unclear).

        A list missing blocks keeps only the diet the recipe declares.
        """
        if self.of("meat") or self.unclear:
            return []
        vegan = not self.of("animal") and (not self.notes or self.declared == "vegan")
        return ["vegetarian", "vegan"] if vegan else ["vegetarian"]


def _normalise(text: str) -> str:
    low = text.lower().replace("’", "'")
    low = low if len(low) == len(text) else text.replace("’", "'")
    keep = lambda m: " " * (len(m[0]) - len(m[1])) + m[1]  # noqa: E731
    return BIRD_EGG.sub(keep, GOAT_DAIRY.sub(keep, low))


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def _family(word: str) -> set[str]:
    base = word.rstrip("s") if word.endswith("s") and not word.endswith("ss") else word
    for family in _FAMILIES:
        if base in family or word in family:
            return family
    return {base, word}


def _plant_heads(text: str, heads: set[str]) -> str:
    """Blank plant foods named after animal ones, adding the animal word each stands for."""
    for pattern in _NOT_ANIMAL:
        for match in pattern.finditer(text):
            head = match.groupdict().get("head")
            if head and _ANY_ANIMAL.fullmatch(head):
                heads |= _family(head)
            text = _blank(text, match.start(), match.end())
    return text


def _comparisons(text: str) -> str:
    for match in COMPARISONS.finditer(text):
        start = match.start("window")
        for word in _ANY_ANIMAL.finditer(match["window"]):
            text = _blank(text, start + word.start(), start + word.end())
    return text


def _pairings(text: str) -> str:
    for match in PAIRINGS.finditer(text):
        end = re.search(r"[.;!?]|$", text[match.end() :])
        stop = match.end() + (end.start() if end else 0)
        text = text[: match.end()] + " " * (stop - match.end()) + text[stop:]
    return text


def _declared(title: str) -> frozenset[HitKind]:
    """The kinds of mention a title's own "vegan" or "vegetarian" vouches for in the steps."""
    if _DECLARED_VEGAN.search(title):
        return frozenset({"meat", "animal", "unclear"})
    return frozenset({"meat", "unclear"} if _DECLARED_VEGETARIAN.search(title) else ())


def _hits(
    where: str,
    original: str,
    text: str,
    heads: set[str],
    vouched: frozenset[HitKind] = frozenset(),
    patterns: list[tuple[HitKind, re.Pattern[str]]] = _PATTERNS,
) -> list[DietHit]:
    found: list[DietHit] = []
    for kind, pattern in patterns:
        if kind in vouched:
            continue
        for match in pattern.finditer(text):
            word = match["word"]
            if word in heads or _family(word) & heads:
                continue
            start, end = max(0, match.start() - EXCERPT), match.end() + EXCERPT
            excerpt = original[start:end].strip()
            prefix, suffix = ("…" if start else ""), ("…" if end < len(original) else "")
            shown = prefix + excerpt + suffix
            found.append(DietHit(where=where, term=word, kind=kind, excerpt=shown))
            text = _blank(text, match.start(), match.end())
    return found


def _read(
    where: str,
    original: str,
    heads: set[str],
    excused: set[str],
    vouched: frozenset[HitKind] = frozenset(),
    pairing: bool = False,
) -> list[DietHit]:
    """The hits of one line; plant foods it names add to `heads` (words it shows are plant)."""
    text = _normalise(original)
    if not _mentions_animal(text):
        return []
    text = _comparisons(_plant_heads(text, heads))
    if pairing:
        text = _pairings(text)
    return _hits(where, original, text, excused, vouched)


def diet_evidence(
    title: str,
    ingredients: Sequence[str],
    steps: Sequence[str] = (),
    sections: list[IngredientSection] | None = None,
    category: str | None = None,
) -> DietEvidence:
    """What the title, the ingredient lines and the steps say about the recipe's diet.

    `sections` are the ingredient blocks when known (header names help tell a
    list that kept only its first block); a `category` such as "Vegan" declares
    the diet as the title can.
    """
    title_text = _normalise(title)
    vouched = _declared(f"{title_text} {_normalise(category or '')}")
    declared = "vegan" if "animal" in vouched else "vegetarian" if vouched else None
    evidence = DietEvidence(declared=declared)
    excused: set[str] = set()
    if vouched:
        named = (m["word"] for _, p in _PATTERNS for m in p.finditer(title_text))
        excused = {w for word in named for w in _family(word)}
    heads = set(excused)
    evidence.hits.extend(_read("title", title, heads, excused))
    for n, line in enumerate(ingredients, 1):
        where = f"ingredient {n}"
        evidence.hits.extend(_read(where, line, heads, excused))
        if "animal" not in vouched:
            plain = _normalise(line)
            evidence.hits.extend(_hits(where, line, plain, set(), patterns=_VEGAN_UNCLEAR[:1]))
            text = _plant_heads(plain, set())
            evidence.hits.extend(_hits(where, line, text, set(), patterns=_VEGAN_UNCLEAR[1:]))
    for n, step in enumerate(steps, 1):
        pairing = n > len(steps) - PAIRING_STEPS
        evidence.hits.extend(_read(f"step {n}", step, heads, heads, vouched, pairing))
    groups = missing_groups(sections or [IngredientSection(lines=list(ingredients))], steps)
    if len(groups) >= MIN_MISSING_GROUPS or groups & SIDE_GROUPS:
        listed = ", ".join(sorted(groups))
        evidence.notes.append(f"the steps use ingredient groups the list does not have: {listed}")
    return evidence


def infer_diet(ingredients: Iterable[str], title: str = "", steps: Iterable[str] = ()) -> list[str]:
    """['vegetarian', 'vegan'], ['vegetarian'] or [] from a recipe's own text."""
    return diet_evidence(title, list(ingredients), list(steps)).labels
