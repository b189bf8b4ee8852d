"""Fixed English cue words: which vertical a word points to, and words to drop.

Facet values (colours, brands, categories, genres, diets) are NOT listed here:
they come from the indexed catalog (tools/facets.py). This module holds only
the language around them.
"""

from __future__ import annotations

import re

from tools.catalog import Vertical

# fmt: off

VERTICAL_CUES: dict[Vertical, frozenset[str]] = {
    "ideas": frozenset(
        {
            "idea", "ideas", "recipe", "recipes", "how", "diy", "make", "cook", "cooking",
            "bake", "baking", "inspiration", "tips", "tutorial", "dinner", "lunch",
            "breakfast", "dessert", "desserts", "snack", "snacks", "meal", "meals", "dish",
            "dishes", "soup", "soups", "salad", "salads", "vegetarian", "vegan", "homemade",
        }
    ),
    "shopping": frozenset(
        {
            "buy", "shop", "shopping", "price", "priced", "cheap", "cheapest", "deal",
            "deals", "sale", "product", "products", "order", "purchase", "brand", "gift",
            "gifts", "$", "usd", "dollars", "bucks",
        }
    ),
    "video": frozenset(
        {
            "video", "videos", "watch", "movie", "movies", "film", "films", "documentary",
            "documentaries", "trailer", "clip", "clips", "cinema", "show", "shows", "flick",
            "flicks",
        }
    ),
}

MODIFIER_CUES = frozenset(
    {"salad", "soup", "dinner", "lunch", "breakfast", "dessert", "snack", "meal", "dish"}
)
"""Ideas cue words that also name what a thing to buy is for ('a salad bowl', 'a lunch
bag', 'dinner plates'): they cue ideas only as the head of the phrase, not before
another noun."""

PHRASE_CUES: dict[str, Vertical] = {
    "how to": "ideas",
    "how-to": "ideas",
    "step by step": "ideas",
    "to buy": "shopping",
    "to watch": "video",
}

GENERIC_WORDS = frozenset(
    {
        "ideas", "idea", "recipe", "recipes", "video", "videos", "movie", "movies", "film",
        "films", "watch", "buy", "shop", "shopping", "show", "me", "find", "get", "want",
        "need", "some", "good", "best", "nice", "please", "products", "product", "looking",
        "search", "for", "i", "im", "i'm", "can", "you", "give", "also", "instead", "only",
        "cheap", "cheapest", "inspiration", "to", "quick", "easy", "ready", "under",
        "this", "that", "but", "like", "similar", "same", "one", "ones", "flick", "flicks",
        "throw", "together", "whip", "rustle",
    }
)

STOPWORDS = frozenset(
    {
        "a", "an", "the", "and", "or", "of", "in", "on", "at", "to", "for", "with", "from",
        "by", "is", "are", "be", "my", "your", "our", "that", "this", "these", "those", "it",
        "as", "into", "about", "what", "which", "who", "whose", "there", "than", "then",
    }
)

FOOD_WORDS = frozenset(
    {
        "juice", "cake", "chicken", "sauce", "marmalade", "zest", "salad", "soup", "pie",
        "cookies", "cookie", "bread", "muffins", "muffin", "glaze", "tart", "jam", "smoothie",
        "recipe", "recipes", "peel", "sorbet", "curd", "pudding", "tea", "wine", "beans",
        "rice", "pepper", "peppers", "olive", "olives", "chocolate", "lime", "lemon",
        "bean", "velvet", "curry", "onion", "onions", "lentils", "cabbage", "chili",
        "grapes", "chard", "miso", "pesto", "sangria", "snapper", "mole",
    }
)

SPLIT_WORDS = ("and also", "as well as", "and", "plus", "also", "&", ";", ",")

ENGLISH_HINTS = frozenset(
    {"the", "and", "for", "with", "under", "ideas", "to", "a", "of", "in", "me", "show", "how",
     "no", "not", "nothing", "more", "than", "less", "over", "below", "my", "that", "or", "on",
     "at", "some", "max", "from", "is", "i", "up", "any", "after", "before", "about"}
)
# fmt: on

MEASURES = re.compile(
    r"\b(?:an?\s+)?(?:pairs?|sets?|couple|packs?|box(?:es)?|bunch(?:es)?|kinds?|sorts?|types?|"
    r"lots?|bits?|handfuls?)\s+of\b|\b(?:a\s+)?few\b|\bseveral\b",
    re.I,
)
"""How many or what kind of a thing is asked for ('a pair of scissors', 'a set of pens',
'a few recipes'): never the thing itself, so never a topic word."""

REQUEST_WORDS = re.compile(
    r"\b(?:(?:that|which)\s+)?(?:you|i|we|one)\s+(?:can|could|might|would)\s+"
    r"(?:make|cook|bake|whip\s+up|prepare|watch|see|buy|get|use)\b"
    r"|\b(?:(?:how|what)\s+about|make\s+(?:that|it)|actually|rather|instead|maybe|perhaps|"
    r"do\s+you\s+have|is\s+there|are\s+there|i['’]?d\s+like|i\s+would\s+like|"
    r"something|anything|any)\b",
    re.I,
)
"""How the request is put, not what it asks for ('curry you can make', 'how about
comedies', 'make that under 100', 'do you have any ...'): never a topic word."""

OCCASION_WORDS = re.compile(
    r"\b(?:(?:for|on)\s+(?:a|an|the|this|my|our|tonight['’]?s?)?\s*)?"
    r"(?:later(?:\s+on)?|tonight|afterwards|after|weeknights?|(?:this\s+)?weekend|"
    r"date\s+night|movie\s+night|game\s+night|a\s+busy\s+day)\s*$"
    r"|\b(?:to\s+(?:watch|see|make|cook|try))\s+(?:later|tonight|afterwards|after)\b",
    re.I,
)
"""When it is for, said at the end of a clause ('an italian film for later', 'a comedy
to watch after', 'curry for a weeknight'): the occasion, never a topic word."""

NOT_CUES = re.compile(r"\b(?:(?:how|what)\s+about|make\s+(?:that|it))\b", re.I)
"""Request words that look like vertical cues but are not ('how about comedies', 'make that
under 100')."""
