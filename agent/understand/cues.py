"""Which vertical a clause's own words name: cue words ('recipes', 'films', '$') and
cue phrases, a modifier cue counting only where it heads its phrase ('salad bowl')."""

from __future__ import annotations

from agent.understand.lexicon import (
    GENERIC_WORDS,
    MODIFIER_CUES,
    NOT_CUES,
    PHRASE_CUES,
    STOPWORDS,
    VERTICAL_CUES,
)
from agent.understand.taggers import Tags
from agent.understand.tokens import TOKEN
from tools.catalog import VERTICALS, Vertical


def _heads(tokens: list[str], i: int) -> bool:
    """Whether `tokens[i]` heads its phrase: last, or followed by a function word, a
    request word or another cue ('soup recipes', 'salad for lunch'), not by the noun it
    qualifies ('salad bowl')."""
    if i + 1 >= len(tokens):
        return True
    nxt = tokens[i + 1]
    cue = any(nxt in words for words in VERTICAL_CUES.values())
    return cue or nxt in STOPWORDS or nxt in GENERIC_WORDS or not nxt.isalpha()


def vertical_cues(text: str) -> Tags:
    tags = Tags()
    lowered = NOT_CUES.sub(" ", text.lower())
    for phrase, vertical in PHRASE_CUES.items():
        if phrase in lowered:
            tags.cue(vertical, phrase)
    tokens = TOKEN.findall(lowered)
    for i, token in enumerate(tokens):
        if token in MODIFIER_CUES and not _heads(tokens, i):
            continue
        for vertical, words in VERTICAL_CUES.items():
            if token in words:
                tags.cue(vertical, token)
    if "$" in text:
        tags.cue("shopping", "$")
    return tags


def add_cues(into: Tags, source: Tags) -> None:
    for cued, words in source.cues.items():
        for word in words:
            if word not in into.cues.get(cued, []):
                into.cue(cued, word)


def pick_vertical(tags: Tags) -> Vertical | None:
    scores = {v: len(tags.cues.get(v, [])) for v in VERTICALS}
    best = max(scores.values())
    if best == 0:
        return None
    winners = [v for v, s in scores.items() if s == best]
    return winners[0] if len(winners) == 1 else None
