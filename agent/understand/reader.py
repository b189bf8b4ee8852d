"""The `understand` step: split a request into intents and tag each one.

Everything here is rules grounded in the catalog's facet vocabulary; an LLM
planner may refine the result, but this step alone yields a usable plan.
"""

from __future__ import annotations

from agent.models import Spelling
from agent.understand.clauses import bind_weak, split_clauses
from agent.understand.cues import add_cues, pick_vertical, vertical_cues
from agent.understand.lexicon import ENGLISH_HINTS, OCCASION_WORDS, REQUEST_WORDS
from agent.understand.model import Segment, Understanding
from agent.understand.quantities import read_quantities
from agent.understand.spelling import Speller
from agent.understand.taggers import Tags, tag_facets, tag_quantities, tag_quick
from agent.understand.tokens import TOKEN, content_tokens, normalise, topic_tokens
from tools.catalog import Vertical
from tools.facets import FacetVocabulary
from tools.filters import Filters

__all__ = [
    "bind_weak",
    "content_tokens",
    "normalise",
    "read_in",
    "split_clauses",
    "topic_tokens",
    "understand",
]


def _tag_clause(clause: str, vocab: FacetVocabulary, hint: Vertical | None = None) -> Segment:
    kinds = Tags()
    tag_facets(clause, kinds, vocab, None)
    names = _named_products(kinds)
    cues = _outside_names(vertical_cues(clause), names)
    if hint is not None and pick_vertical(cues) is None:
        cues = Tags(cues={hint: ["thread"]})
    unit = pick_vertical(cues) or pick_vertical(kinds)
    newest = vocab.year_range[1] if vocab.year_range else 2025
    quantities = read_quantities(clause, unit, newest_year=newest)
    tags = Tags()
    tag_quantities(quantities, clause, tags, unit)
    add_cues(cues, tags)
    guess = pick_vertical(cues)
    tag_facets(clause, tags, vocab, guess)
    tag_quick(clause, tags, guess)
    add_cues(cues, tags)
    vertical = pick_vertical(cues)
    topic = _strip_spans(clause, [*tags.spans, *_asking_spans(clause, tags.spans)])
    filters = _grounded_filters(tags, vertical)
    words = sorted({w for ws in cues.cues.values() for w in ws})
    return Segment(
        text=clause,
        topic=" ".join(topic_tokens(topic, names)),
        vertical=vertical,
        filters=filters,
        cues=words,
    )


def _named_products(kinds: Tags) -> frozenset[str]:
    """The words of the product categories of more than one word that a clause names."""
    return frozenset(
        w for gram in kinds.cues.get("shopping", []) if " " in gram for w in gram.split()
    )


def _outside_names(cues: Tags, named: frozenset[str]) -> Tags:
    """`cues` less the words of a product category the clause names ('watch' in 'smart
    watch' names a product, not something to watch); they stay in the topic."""
    if not named:
        return cues
    kept = Tags()
    for cued, words in cues.cues.items():
        for word in words:
            if cued == "shopping" or word not in named:
                kept.cue(cued, word)
    return kept


def _asking_spans(text: str, taken: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Where the clause says how it asks ('you can make', 'how about') or when it is for
    ('for later', 'to watch after'): words the topic never keeps. An occasion is read at
    the end of what is left once the `taken` spans (quantities, facets) are set aside."""
    spans = [m.span() for m in REQUEST_WORDS.finditer(text)]
    masked = list(text)
    for start, end in [*taken, *spans]:
        masked[start:end] = " " * (end - start)
    rest = "".join(masked).rstrip(" .!?")
    if (m := OCCASION_WORDS.search(rest)) and rest[: m.start()].strip():
        spans.append(m.span())
    return spans


def _strip_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with each span (overlapping ones merged) blanked out."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for start, end in reversed(merged):
        text = text[:start] + " " + text[end:]
    return text


def _grounded_filters(tags: Tags, vertical: Vertical | None) -> Filters:
    values = tags.values.model_dump(exclude_defaults=True)
    if vertical not in (None, "shopping"):
        for key in ("price_min", "price_max", "colors", "brands"):
            values.pop(key, None)
    if vertical not in (None, "video"):
        for key in ("duration_min_s", "duration_max_s", "year_min", "year_max"):
            values.pop(key, None)
    if vertical == "ideas":
        values.pop("category", None)
    try:
        return Filters.model_validate(values)
    except ValueError:
        return Filters()


def read_in(text: str, vocab: FacetVocabulary, vertical: Vertical) -> Segment:
    """`text` read as one clause of `vertical` unless its own words name another: how a
    follow-up reads against an earlier intent ('under 20 minutes' after 'pancakes' is
    a recipe's time, 'horror' after 'thrillers' a genre)."""
    return _tag_clause(normalise(text, 2000)[0], vocab, hint=vertical)


def understand(
    text: str, vocab: FacetVocabulary, *, max_chars: int = 2000, speller: Speller | None = None
) -> Understanding:
    """Read a request into segments with vertical cues and grounded filters; with a
    `speller`, the corrected request is read and `spelling` says what changed."""
    clean, truncated = normalise(text, max_chars)
    spelling = None
    if speller is not None:
        corrected = speller.correct(clean)
        if corrected != clean:
            spelling, clean = Spelling(original=clean, corrected=corrected), corrected
    segments = [_tag_clause(clause, vocab) for clause in split_clauses(clean, vocab)][:4]
    segments = [s for s in segments if s.topic or not s.filters.is_empty() or s.vertical]
    union = Filters()
    for seg in segments:
        union = union.merged(seg.filters)
    verticals = list(dict.fromkeys(s.vertical for s in segments if s.vertical))
    tokens = [t.lower() for t in TOKEN.findall(clean)]
    ascii_share = sum(c.isascii() for c in clean) / max(len(clean), 1)
    non_english = bool(tokens) and (
        ascii_share < 0.8 or (len(tokens) >= 4 and not ENGLISH_HINTS.intersection(tokens))
    )
    return Understanding(
        text=clean,
        spelling=spelling,
        segments=segments,
        filters=union,
        verticals=verticals,
        non_english=non_english,
        truncated=truncated,
        confident=len(segments) == 1 and segments[0].vertical is not None,
    )
