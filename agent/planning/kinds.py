"""The kind of a request, read without labels: which kinds the LLM is consulted for.

`auto` mode asks the LLM only for the kinds of request where it measurably
beats the router (`TESSERA_LLM_PLAN_KINDS`; `bench/bench_llm_kinds.py` measures
each kind). The kinds:

- `followup`: a turn in a thread with earlier turns;
- `long`: a long run-on text that reads as several intents (many words, and the
  router's multi-intent head or the reader's clauses say so);
- `constraint`: a text that states a price, length, date or diet in words
  ('no more than 150 bucks', 'made after 2010', 'meat free');
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
    if _CONSTRAINT.search(understood.text):
        return "constraint"
    return "single"
