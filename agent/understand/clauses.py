"""Where one request holds several intents: clauses split at conjunctions only where
each side stands alone ('salt and pepper recipes' stays one clause)."""

from __future__ import annotations

from collections.abc import Callable

from agent.understand.cues import vertical_cues
from agent.understand.lexicon import SPLIT_WORDS
from agent.understand.quantities import read_quantities, strip_quantities
from agent.understand.quantities import split_clauses as split_at_conjunctions
from agent.understand.tokens import content_tokens
from tools.facets import FacetVocabulary


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
    cues = vertical_cues(clause).cues
    if vocab is not None and not cues:
        kinds = {_plain(k) for k in (*vocab.categories, *vocab.idea_categories, *vocab.genres)}
        if any(_plain(t) in kinds for t in content_tokens(clause)):
            cues = {"shopping": ["kind"]}
    quantities = read_quantities(clause)
    if quantities and not content_tokens(strip_quantities(clause, quantities)):
        return 0
    return len(content_tokens(clause)) + 2 * bool(cues) + 2 * bool(quantities)
