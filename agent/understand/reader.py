"""The `understand` step: split a request into intents and tag each one.

Everything here is rules grounded in the catalog's facet vocabulary; an LLM
planner may refine the result, but this step alone yields a usable plan.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from agent.models import Spelling
from agent.understand.lexicon import (
    ENGLISH_HINTS,
    GENERIC_WORDS,
    MEASURES,
    MODIFIER_CUES,
    NOT_CUES,
    OCCASION_WORDS,
    PHRASE_CUES,
    REQUEST_WORDS,
    SPLIT_WORDS,
    STOPWORDS,
    VERTICAL_CUES,
)
from agent.understand.model import Segment, Understanding
from agent.understand.quantities import read_quantities, strip_quantities
from agent.understand.quantities import split_clauses as split_at_conjunctions
from agent.understand.spelling import Speller
from agent.understand.taggers import Tags, tag_facets, tag_quantities, tag_quick
from tools.catalog import VERTICALS, Vertical
from tools.facets import FacetVocabulary
from tools.filters import Filters
from tools.text_clean import strip_controls

_TOKEN = re.compile(r"[\w$'\-]+", re.UNICODE)
_RELATION = re.compile(
    r"\b(?:to\s+go\s+with|(?:that|which)\s+(?:works?|goes|fits?)\s+(?:with|on|in)|"
    r"compatible\s+with|works?\s+with|to\s+fit|for|with)\b",
    re.I,
)
"""Where what is wanted ends and what it is for begins: 'mouse for my laptop', 'a case to
go with my phone', 'keyboard that works with my tablet', 'hammock with a stand'."""


def normalise(text: str, max_chars: int) -> tuple[str, bool]:
    """Control and format characters out, NFKC, collapse whitespace, cut at `max_chars`
    on a word boundary."""
    text = " ".join(unicodedata.normalize("NFKC", strip_controls(text)).split())
    if len(text) <= max_chars:
        return text, False
    cut = text[:max_chars].rsplit(" ", 1)[0] or text[:max_chars]
    return cut, True


def content_tokens(text: str) -> list[str]:
    """Lower-cased tokens that carry meaning (no stopwords, no generic request words)."""
    return [
        t
        for t in _TOKEN.findall(MEASURES.sub(" ", text.lower()))
        if t not in STOPWORDS and t not in GENERIC_WORDS
    ]


def topic_tokens(text: str) -> list[str]:
    """`content_tokens` with the head kept apart from its context: the first relation word
    stays between them ('mouse for laptop', 'hammock with stand'), so the head of
    'X for Y' is read as X, never Y; compatibility phrases ('to go with', 'that works
    with', 'compatible with') are written as 'for'."""
    m = _RELATION.search(text)
    if m is None:
        return content_tokens(text)
    head, context = content_tokens(text[: m.start()]), content_tokens(text[m.end() :])
    if not head or not context:
        return head + context
    return [*head, "with" if m.group(0).lower() == "with" else "for", *context]


def _heads(tokens: list[str], i: int) -> bool:
    """Whether `tokens[i]` heads its phrase: last, or followed by a function word, a
    request word or another cue ('soup recipes', 'salad for lunch'), not by the noun it
    qualifies ('salad bowl')."""
    if i + 1 >= len(tokens):
        return True
    nxt = tokens[i + 1]
    cue = any(nxt in words for words in VERTICAL_CUES.values())
    return cue or nxt in STOPWORDS or nxt in GENERIC_WORDS or not nxt.isalpha()


def _vertical_cues(text: str) -> Tags:
    tags = Tags()
    lowered = NOT_CUES.sub(" ", text.lower())
    for phrase, vertical in PHRASE_CUES.items():
        if phrase in lowered:
            tags.cue(vertical, phrase)
    tokens = _TOKEN.findall(lowered)
    for i, token in enumerate(tokens):
        if token in MODIFIER_CUES and not _heads(tokens, i):
            continue
        for vertical, words in VERTICAL_CUES.items():
            if token in words:
                tags.cue(vertical, token)
    if "$" in text:
        tags.cue("shopping", "$")
    return tags


def _tag_clause(clause: str, vocab: FacetVocabulary, hint: Vertical | None = None) -> Segment:
    cues = _vertical_cues(clause)
    if hint is not None and _pick_vertical(cues) is None:
        cues = Tags(cues={hint: ["thread"]})
    kinds = Tags()
    tag_facets(clause, kinds, vocab, None)
    unit = _pick_vertical(cues) or _pick_vertical(kinds)
    newest = vocab.year_range[1] if vocab.year_range else 2025
    quantities = read_quantities(clause, unit, newest_year=newest)
    tags = Tags()
    tag_quantities(quantities, clause, tags, unit)
    _add_cues(cues, tags)
    guess = _pick_vertical(cues)
    tag_facets(clause, tags, vocab, guess)
    tag_quick(clause, tags, guess)
    _add_cues(cues, tags)
    vertical = _pick_vertical(cues)
    topic = _strip_spans(clause, [*tags.spans, *_asking_spans(clause, tags.spans)])
    filters = _grounded_filters(tags, vertical)
    words = sorted({w for ws in cues.cues.values() for w in ws})
    return Segment(
        text=clause,
        topic=" ".join(topic_tokens(topic)),
        vertical=vertical,
        filters=filters,
        cues=words,
    )


def _add_cues(into: Tags, source: Tags) -> None:
    for cued, words in source.cues.items():
        for word in words:
            if word not in into.cues.get(cued, []):
                into.cue(cued, word)


def _pick_vertical(tags: Tags) -> Vertical | None:
    scores = {v: len(tags.cues.get(v, [])) for v in VERTICALS}
    best = max(scores.values())
    if best == 0:
        return None
    winners = [v for v, s in scores.items() if s == best]
    return winners[0] if len(winners) == 1 else None


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


def split_clauses(text: str, vocab: FacetVocabulary | None = None) -> list[str]:
    """Split on conjunctions only where both sides stand alone as intents.

    A weak piece ('salt' in 'salt and pepper recipes') binds to the next piece,
    or to the previous one when it is last, and the bound clause is the request's own
    words ('headphones, no more than $40' stays one clause, as written).
    """
    parts = split_at_conjunctions(text, SPLIT_WORDS)
    starts: list[int] = []
    for part in parts:
        starts.append(text.find(part, starts[-1] + 1 if starts else 0))
    mark = "\x00"
    bound = bind_weak(parts, lambda piece: _weight(piece.replace(mark, " and "), vocab) < 2, mark)
    clauses: list[str] = []
    used = 0
    for clause in bound:
        pieces = clause.split(mark)
        first, last = used, used + len(pieces) - 1
        used += len(pieces)
        clauses.append(text[starts[first] : starts[last] + len(parts[last])])
    return clauses or [text]


def bind_weak(pieces: list[str], weak: Callable[[str], bool], joiner: str) -> list[str]:
    """Pieces with each weak one joined (by `joiner`) to the piece after it, or to the
    one before it when it is last; a lone piece stays as it is."""
    merged: list[str] = []
    pending = ""
    for part in pieces:
        piece = f"{pending}{joiner}{part}" if pending else part
        pending = ""
        if weak(piece):
            pending = piece
            continue
        merged.append(piece)
    if pending:
        if merged:
            merged[-1] = f"{merged[-1]}{joiner}{pending}"
        else:
            merged.append(pending)
    return merged


def _plain(word: str) -> str:
    word = word.lower()
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def _weight(clause: str, vocab: FacetVocabulary | None = None) -> int:
    cues = _vertical_cues(clause).cues
    if vocab is not None and not cues:
        kinds = {_plain(k) for k in (*vocab.categories, *vocab.idea_categories, *vocab.genres)}
        if any(_plain(t) in kinds for t in content_tokens(clause)):
            cues = {"shopping": ["kind"]}
    quantities = read_quantities(clause)
    if quantities and not content_tokens(strip_quantities(clause, quantities)):
        return 0
    return len(content_tokens(clause)) + 2 * bool(cues) + 2 * bool(quantities)


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
    tokens = [t.lower() for t in _TOKEN.findall(clean)]
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
