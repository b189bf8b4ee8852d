"""A grammar of bounded requests: comparators x numbers in digits and words x units x
topics x occasion and request words x positions, drawn with a seeded generator.

Each `Generated` request knows the topic words and the bound it states, so a test can
check that the reader keeps both, whatever the phrasing around them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

WORDS = {
    15: ["fifteen"], 20: ["twenty"], 25: ["twenty-five", "twenty five"], 30: ["thirty"],
    40: ["forty"], 45: ["forty-five", "forty five"], 50: ["fifty"], 60: ["sixty"],
    90: ["ninety"], 150: [], 200: ["two hundred"], 300: ["three hundred"], 400: [],
}  # fmt: skip
MAX_WORDS = ["under", "less than", "below", "at most", "no more than", "up to", "within"]
MAX_AFTER = ["or less", "max", "tops", "or under"]
TIME_MAX_WORDS = [*MAX_WORDS, "in", "ready in", "in under", "done in"]
SPOKEN_TIMES = {30: ["half an hour", "thirty minutes"], 60: ["an hour", "one hour"], 90: []}
MIN_WORDS = ["over", "more than", "at least", "above"]
MONEY_UNITS = ["${n}", "{n} dollars", "{n} bucks", "{n} usd"]
TIME_UNITS = ["{n} minutes", "{n} min", "{n} mins"]
SHOP_TOPICS = ["office chair", "desk lamp", "headphones", "water bottle", "hiking backpack"]
COOK_TOPICS = ["curry", "chicken soup", "lentil soup", "fried rice", "lemon cake", "tomato soup"]
OCCASIONS = ["", "for later", "for tonight", "for a weeknight", "for the weekend"]
COOK_ASKS = ["", "you can make", "i can cook", "recipes", "ideas", "that i could make"]
SHOP_ASKS = ["", "to buy", "show me", "i'd like", "any"]


@dataclass(frozen=True)
class Generated:
    """One generated request, its topic words and the filter it must carry."""

    text: str
    topic: tuple[str, ...]
    field: str
    value: float


def _number(rng: random.Random, n: int) -> str:
    spelled = WORDS.get(n) or []
    return rng.choice(spelled) if spelled and rng.random() < 0.5 else str(n)


def _bound(rng: random.Random, n: int, units: list[str], allow_min: bool) -> tuple[str, str]:
    """The bound phrase and whether it is a 'max' or a 'min'."""
    amount = rng.choice(units).format(n=_number(rng, n))
    if units is TIME_UNITS and SPOKEN_TIMES.get(n) and rng.random() < 0.3:
        amount = rng.choice(SPOKEN_TIMES[n])
    if amount.startswith("$") and not amount[1].isdigit():
        amount = f"{_number(rng, n)} dollars"
    if allow_min and rng.random() < 0.25:
        return f"{rng.choice(MIN_WORDS)} {amount}", "min"
    if rng.random() < 0.25:
        return f"{amount} {rng.choice(MAX_AFTER)}", "max"
    words = TIME_MAX_WORDS if units is TIME_UNITS else MAX_WORDS
    return f"{rng.choice(words)} {amount}", "max"


def _arrange(rng: random.Random, ask: str, topic: str, bound: str, occasion: str) -> str:
    shapes = [
        [ask, topic, bound, occasion],
        [topic, ask, bound, occasion],
        [topic, occasion, bound],
        [ask, topic, occasion, bound],
        [bound, topic, occasion] if not ask else [ask, topic, bound],
    ]
    return " ".join(p for p in rng.choice(shapes) if p)


def shopping(
    rng: random.Random, topics: list[str] = SHOP_TOPICS, prices: tuple[int, ...] = (50, 90, 300)
) -> Generated:
    topic = rng.choice(topics)
    n = rng.choice(prices)
    bound, side = _bound(rng, n, MONEY_UNITS, allow_min=True)
    text = _arrange(rng, rng.choice(SHOP_ASKS), topic, bound, "")
    field = "price_max" if side == "max" else "price_min"
    return Generated(text, tuple(topic.split()), field, float(n))


def cooking(
    rng: random.Random, topics: list[str] = COOK_TOPICS, minutes: tuple[int, ...] = (15, 30, 60)
) -> Generated:
    topic = rng.choice(topics)
    n = rng.choice(minutes)
    bound, _ = _bound(rng, n, TIME_UNITS, allow_min=False)
    text = _arrange(rng, rng.choice(COOK_ASKS), topic, bound, rng.choice(OCCASIONS))
    return Generated(text, tuple(topic.split()), "total_time_max_min", float(n))


def requests(seed: int, n: int) -> list[Generated]:
    """`n` requests, shopping and cooking alternately, from `seed`."""
    rng = random.Random(seed)
    return [shopping(rng, prices=(50, 60, 90, 150, 200, 300, 400)) if i % 2 else
            cooking(rng, minutes=(15, 20, 25, 30, 40, 45, 60)) for i in range(n)]  # fmt: skip
