"""The kind of a request, read without labels: which kinds the LLM is consulted for.

`auto` mode asks the LLM only for the kinds of request where it measurably
beats the router (`TESSERA_LLM_PLAN_KINDS`; `bench/bench_llm_kinds.py` measures
each kind). The kinds:

- `followup`: a turn in a thread with earlier turns;
- `long`: a long run-on text that reads as several intents (many words, and the
  router's multi-intent head or the reader's clauses say so);
- `constraint`: a text that states a price, length, date or diet in words
  ('no more than 150 bucks', 'made after 2010', 'meat free'); a plan the reader finds
  no bound in is read as a plan first ('tailgating before the game');
- `exploratory`: a plan, occasion or activity rather than a thing ('burger night',
  'first camping trip', 'movie marathon weekend'): no bound stated, a few words, and
  either a word that frames a time, gathering or undertaking (`PLAN_WORDS`) or, with
  no vertical named, a text the router cannot place (its best score under `UNPLACED`).
  Such a request is opened into aspects (`agent/nodes/explore.py`), as is a `single`
  request whose page comes back empty;
- `single`: anything else.
"""

from __future__ import annotations

import re

from agent.planning.router import Routing
from agent.settings import RequestKind
from agent.understand.model import Understanding

LONG_WORDS = 12
"""A text of at least this many words that reads as multi-intent is `long`."""
LONG_MULTI = 0.3
EXPLORATORY_WORDS = 8
"""A longer text names what it wants; a plan is said in a few words."""
UNPLACED = 0.6
"""A router whose best vertical scores below this cannot place the text."""
PLAN_WORDS = frozenset(
    "night nights evening evenings weekend weekends week weeks day days trip trips party "
    "parties picnic picnics holiday holidays vacation vacations getaway staycation marathon "
    "prep camping cookout barbecue bbq potluck brunch gathering get-together reunion "
    "sleepover tailgate celebration season setup plan plans planning hosting move moving "
    "housewarming playdate morning mornings afternoon afternoons essentials fiesta feast "
    "tailgating setting".split()
)
"""Words that frame a time, a gathering or an undertaking, not a thing to find."""
_CONSTRAINT = re.compile(
    r"\d|\$|\b(?:under|below|over|above|less|more|least|most|cheaper|pricier|bucks?|dollars?|"
    r"hundred|thousand|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|minutes?|mins?|"
    r"hours?|hrs?|after|before|since|newer|older|decade|sixties|seventies|eighties|nineties|"
    r"free|based|vegan|vegetarian|longer|shorter|quicker|within|max|maximum|minimum)\b",
    re.I,
)


def request_kind(
    understood: Understanding, routing: Routing | None, *, follow_up: bool
) -> RequestKind:
    """The request's kind from the thread, the text, the reader and the router."""
    if follow_up:
        return "followup"
    words = len(understood.text.split())
    multi = routing.multi if routing is not None else 0.0
    if words >= LONG_WORDS and (multi >= LONG_MULTI or len(understood.segments) >= 2):
        return "long"
    if is_exploratory(understood, routing):
        return "exploratory"
    if _CONSTRAINT.search(understood.text):
        return "constraint"
    return "single"


def framed(text: str) -> bool:
    """True when a word of `text` frames a time, gathering or undertaking (`PLAN_WORDS`)."""
    return bool(PLAN_WORDS.intersection(re.findall(r"[a-z][a-z'-]*", text.lower())))


def is_exploratory(understood: Understanding, routing: Routing | None) -> bool:
    """One plan, occasion or activity in a few words (one clause, no bound; see above)."""
    words = re.findall(r"[a-z][a-z'-]*", understood.text.lower())
    if not words or len(words) > EXPLORATORY_WORDS:
        return False
    if len(understood.segments) >= 2 or any(not s.filters.is_empty() for s in understood.segments):
        return False
    if framed(understood.text):
        return True
    unplaced = routing is not None and max(routing.scores.values()) < UNPLACED
    return unplaced and not understood.verticals
