"""On-topic matching for user-phrased suites: is a shown item about one of the accepted words?

A case lists `accept` words written by reading the catalog ("lasagna", "meat sauce").
An item is on topic when one of them occurs in its title or its category (a recipe
category, a product's category path, a film's genres), case-insensitively, on word
boundaries, singular and plural alike ("cookie" meets "Cookies", "dish" meets
"dishes", but "cake" never meets "Pancakes"). A phrase must occur as a whole run of
words. This reads labels the cases carry; it is not the system's own lexical rule.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from agent.models import ResultItem

WORD = re.compile(r"[a-z0-9]+")


def stem(word: str) -> str:
    """A plural/singular tolerant stem: both forms of a regular noun meet on one stem."""
    if len(word) > 3:
        if word.endswith("ies"):
            word = word[:-3] + "i"
        elif word.endswith(("sses", "shes", "ches", "xes", "zes", "oes")):
            word = word[:-2]
        elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
            word = word[:-1]
    if len(word) >= 3 and word.endswith("e"):
        word = word[:-1]
    elif len(word) >= 3 and word.endswith("y"):
        word = word[:-1] + "i"
    return word


def words(text: str) -> list[str]:
    """The text's stemmed words, accents and case folded away."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return [stem(w) for w in WORD.findall(folded.replace("'", ""))]


def _contains(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    n = len(needle)
    return n > 0 and any(list(haystack[i : i + n]) == list(needle) for i in range(len(haystack)))


def item_text(item: ResultItem) -> str:
    """The fields an accept word is looked for in: title, category and genres."""
    return " | ".join([item.title, item.category or "", *item.genre])


def matches(text: str, accept: Iterable[str]) -> bool:
    """Whether any accepted word or phrase occurs in `text` as whole (stemmed) words."""
    haystack = words(text)
    return any(_contains(haystack, words(word)) for word in accept)


def on_topic(item: ResultItem, accept: Iterable[str]) -> bool:
    """Whether the item's title or category carries one of the accepted words."""
    return matches(item_text(item), accept)


def on_topic_count(items: Sequence[ResultItem], accept: Sequence[str], first: int = 5) -> int:
    """How many of the first `first` items are on topic."""
    return sum(on_topic(item, accept) for item in items[:first])
