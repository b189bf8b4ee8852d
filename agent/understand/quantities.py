"""The quantity and clause reader: money, lengths of time and years as typed spans.

Every part of Tessera that needs an amount from text (the taggers, grounding's
evidence, follow-up refinement, module titles) reads it here, so "$1,500" is one
thousand five hundred dollars everywhere and "an hour and a half" is 90 minutes
everywhere. Each `Quantity` carries its character offsets, so callers can strip
exactly the words it used, and `split_clauses` never cuts through one.

>>> [q.high for q in read_quantities("office chair under $1,500")]
[1500.0]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from tools.catalog import Vertical

Kind = Literal["money", "duration", "year", "number"]
Bound = Literal["max", "min", "range", "eq"]

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_UNITS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}  # fmt: skip


def _spelled_numbers() -> dict[str, int]:
    """'one' to 'ninety-nine' (also 'ninety nine'), 'a hundred' and 'N hundred'."""
    out = {word: i + 1 for i, word in enumerate(_UNITS)}
    for tens, value in _TENS.items():
        out[tens] = value
        for i, unit in enumerate(_UNITS[:9]):
            out[f"{tens}-{unit}"] = out[f"{tens} {unit}"] = value + i + 1
    out |= {f"{word} hundred": 100 * n for word, n in out.items() if n < 10}
    return out | {"a hundred": 100, "hundred": 100}


_SPELLED = _spelled_numbers()
_WORD_NUMBERS = _SPELLED | {
    "a": 1, "an": 1, "a couple of": 2, "a couple": 2, "couple of": 2,
}  # fmt: skip
_WORDNUM = "|".join(sorted((re.escape(w) for w in _WORD_NUMBERS), key=len, reverse=True))
_SPELLEDNUM = "|".join(sorted((re.escape(w) for w in _SPELLED), key=len, reverse=True))
_HOURS = r"hours?|hrs?|hr|h"
_MINUTES = r"minutes?|mins?|min|m"
_CURRENCY = {"$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD", "bucks": "USD",
             "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR",
             "£": "GBP", "gbp": "GBP", "pound": "GBP", "pounds": "GBP"}  # fmt: skip
_CUR_BEFORE = r"(?P<cur>\$|€|£|usd\b|eur\b|gbp\b)"
_CUR_AFTER = r"(?P<unit>\$|€|£|usd\b|eur\b|gbp\b|dollars?\b|bucks\b|euros?\b|pounds?\b)"

_DURATION_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.I)
    for p in (
        rf"\b(?P<h>\d+)\s*(?:{_HOURS})\s*(?:and\s+)?(?P<m>\d+)\s*(?:{_MINUTES})?\b",
        r"\b(?:(?P<one>an?|one)\s+)?hour\s+and\s+a\s+half\b",
        rf"\b(?P<whole>{_NUM}|{_WORDNUM})\s+and\s+a\s+half\s+(?P<u>{_HOURS}|{_MINUTES})\b",
        r"\bhalf\s+(?:an?\s+)?hour\b",
        r"\b(?:a\s+)?quarter\s+(?:of\s+an\s+)?hour\b",
        rf"\b(?P<n>{_NUM}|{_WORDNUM})\s*(?P<plus>\+)?\s*-?\s*(?P<u>{_HOURS}|{_MINUTES})\b",
    )
)
_MONEY_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(rf"{_CUR_BEFORE}\s*(?P<n>{_NUM})(?:\s*(?P<k>k\b))?(?P<plus>\+)?", re.I),
    re.compile(rf"\b(?P<n>{_NUM})\s*(?P<k>k\b)?\s*{_CUR_AFTER}(?P<plus>\+)?", re.I),
    re.compile(
        rf"\b(?P<n>{_SPELLEDNUM})\s+(?P<unit>dollars?|bucks|euros?|usd|eur|gbp)\b(?P<k>)(?P<plus>)",
        re.I,
    ),
)
_DECADE_WORDS = {
    "twenties": 1920, "thirties": 1930, "forties": 1940, "fifties": 1950, "sixties": 1960,
    "seventies": 1970, "eighties": 1980, "nineties": 1990, "noughties": 2000,
}  # fmt: skip
_DECADE = re.compile(
    r"(?<![\w$])(?:the\s+)?(?:(?P<full>(?:19|20)\d0)|['’]?(?P<short>\d0))['’]?s\b"
    rf"|\b(?:the\s+)?(?:nineteen[\s-]*)?(?P<word>{'|'.join(_DECADE_WORDS)})\b",
    re.I,
)
_YEAR = re.compile(r"(?<![\w$.,])(?P<y>(?:19|20)\d\d)(?![\w.,]*\d)(?!\s*(?:dollars?|bucks|k\b))")
_RECENT = re.compile(r"\b(?:recent(?:ly released)?|latest|newest|new releases?)\b", re.I)
_BARE = re.compile(rf"(?<![\w.,])(?P<n>{_NUM})(?:\s*(?P<k>k\b))?(?P<plus>\+)?", re.I)
_NOT_A_QUANTITY = re.compile(
    r"\s*(?:-\s*)?(?:people|persons?|servings?|serves|pieces?|pcs|pack|packs|inch(?:es)?|in\b|\"|"
    r"cm|mm|ft|feet|foot|%|percent|oz|ounces?|lbs?|pounds?\s+of|kg|g\b|grams?|ml|l\b|liters?|"
    r"litres?|gb|tb|mb|w\b|watts?|v\b|volts?|mah|stars?|pages?|players?|seats?|cups?|"
    r"ingredients?|steps?|quarts?|qt|gallons?|year[- ]olds?|yrs?\s+old|years?\s+old|x\b|"
    r"ways?|days?|weeks?|months?|years?|seasons?|episodes?|tabs?|ports?|drawers?|shelves)",
    re.I,
)

_MAX_WORDS = (
    r"under|below|beneath|less\s+than|fewer\s+than|lower\s+than|at\s+most|up\s+to|no\s+more\s+than|"
    r"not\s+more\s+than|cheaper\s+than|shorter\s+than|no\s+longer\s+than|not\s+over|within|"
    r"max(?:imum)?(?:\s+of)?|in\s+under|in\s+less\s+than|(?:on\s+a\s+)?budget(?:\s+(?:of|is))?|tops|sub-?|<=?|≤"
)
_MIN_WORDS = (
    r"over|above|more\s+than|greater\s+than|longer\s+than|at\s+least|no\s+less\s+than|"
    r"not\s+less\s+than|upwards\s+of|min(?:imum)?(?:\s+of)?|starting\s+at|pricier\s+than|"
    r"more\s+expensive\s+than|>=?|≥"
)
_YEAR_MAX_WORDS = r"before|until|till|up\s+to|older\s+than|earlier\s+than|prior\s+to|pre"
_YEAR_MIN_WORDS = r"after|newer\s+than|later\s+than|more\s+recent\s+than|post"
_YEAR_SINCE_WORDS = r"since|starting(?:\s+(?:in|from))?"
_NEG = (
    r"(?:nothing|none|not|no|never|won['’]?t|wouldn['’]?t|don['’]?t|doesn['’]?t|didn['’]?t|"
    r"shouldn['’]?t|can['’]?t|cannot|isn['’]?t|aren['’]?t)\s+"
    r"(?:(?:want|wanna|need|needs|to|be|go|going|spend|spending|pay|paying|cost|costs|costing|"
    r"take|takes|taking|run|runs|running|last|lasts|lasting|priced|anything|something|that|"
    r"which|is|are|much|way|far)\s+){0,3}"
)
"""A negation before a bound turns it over: 'nothing over $60' and "won't take more than
90 minutes" are maxima, 'not under $50' a minimum."""
_ARTICLE = r"(?:\s+(?:the|a|an))?"
_LEAD = (
    r"(?:(?:that|which|and|that['’]s|that\s+is|which\s+is|it['’]s)\s+)?(?:(?:takes?|taking|lasts?|lasting|runs?|running|ready|done|"
    r"cooks?|cooked|made|released|priced|costing|costs?|is|are|for|long|length|about|"
    r"around|roughly|approximately)\s+){0,2}(?:in\s+|at\s+|of\s+)?"
)
_START = r"(?:\b|(?<![\w<>≤≥])(?=[<>≤≥]))"
_BEFORE_MAX = re.compile(rf"{_START}{_LEAD}(?:{_MAX_WORDS}){_ARTICLE}\s*$", re.I)
_BEFORE_MIN = re.compile(rf"{_START}{_LEAD}(?:{_MIN_WORDS}){_ARTICLE}\s*$", re.I)
_NEG_BEFORE_MAX = re.compile(rf"\b{_NEG}(?:{_MAX_WORDS}){_ARTICLE}\s*$", re.I)
_NEG_BEFORE_MIN = re.compile(rf"\b{_NEG}(?:{_MIN_WORDS}){_ARTICLE}\s*$", re.I)
_THE_YEAR = r"[\s-]*(?:the\s+)?(?:year\s+)?$"
_BEFORE_YEAR_MAX = re.compile(rf"\b{_LEAD}(?:{_YEAR_MAX_WORDS}){_THE_YEAR}", re.I)
_BEFORE_YEAR_MIN = re.compile(rf"\b{_LEAD}(?:{_YEAR_MIN_WORDS}){_THE_YEAR}", re.I)
_NEG_BEFORE_YEAR_MAX = re.compile(rf"\b{_NEG}(?:{_YEAR_MAX_WORDS}){_THE_YEAR}", re.I)
_NEG_BEFORE_YEAR_MIN = re.compile(rf"\b{_NEG}(?:{_YEAR_MIN_WORDS}){_THE_YEAR}", re.I)
_BEFORE_YEAR_SINCE = re.compile(rf"\b{_LEAD}(?:{_YEAR_SINCE_WORDS})\s+$", re.I)
_BEFORE_PLAIN = re.compile(rf"\b{_LEAD}$", re.I)
_BEFORE_YEAR_PLAIN = re.compile(rf"\b{_LEAD}(?:(?:from|in|of|during)\s+)?(?:the\s+year\s+)?$", re.I)
_AFTER_YEAR_MIN = re.compile(
    r"\s*(?:(?:and|or)\s+(?:later|after|newer|since)|onwards?\b|on\b)", re.I
)
_AFTER_YEAR_MAX = re.compile(r"\s+(?:or|and)\s+(?:before|earlier|older)\b", re.I)
_AFTER_MAX = re.compile(
    r"^\s*(?:or\s+(?:less|under|below|fewer|cheaper|shorter|so)|and\s+(?:under|below|less)|"
    r"max(?:imum)?\b|tops\b|at\s+most|or\s+lower|and\s+(?:cheaper|lower)|budget|"
    r"(?:price\s+)?(?:limit|cap|ceiling))\b(?:\s+long\b)?",
    re.I,
)
_AFTER_MIN = re.compile(
    r"^\s*(?:or\s+(?:more|longer|over|above|higher|later|newer)|and\s+(?:up|over|above|more|"
    r"later|newer)|plus\b(?=\s*(?:$|[,;.!?)]|long\b|in\s+length\b))|at\s+least|minimum\b|min\b)\b"
    r"(?:\s+long\b)?",
    re.I,
)
_AFTER_LONG = re.compile(
    r"\s*(?:long|in\s+length|or\s+so|mark|level|(?:price\s+)?(?:point|range))\b", re.I
)
_RANGE_JOIN = re.compile(r"^\s*(?:-|–|—|to|through|and)\s*$", re.I)
_RANGE_OPEN = re.compile(rf"\b{_LEAD}(?:between|from)\s*$", re.I)


class Quantity(BaseModel):
    """One amount the text states, with its bound, canonical value(s) and offsets.

    Values are canonical: money in its currency's units, durations in minutes,
    years as years. `low`/`high` are inclusive; a `max` has only `high`, a `min`
    only `low`, a `range` or `eq` both. An amount's bound includes the amount stated,
    as a catalog filter does: "under an hour" is at most 60 minutes, "under $150" at
    most $150 (and "Chicken ideas · under 1 hour" titles it). A point in time is
    exclusive: "before 1980" is 1979 at the latest. `implied` marks a bare number whose unit
    came from the vertical ("tea kettle under 100" is dollars in shopping).
    """

    model_config = ConfigDict(frozen=True)

    kind: Kind
    bound: Bound
    low: float | None = None
    high: float | None = None
    start: int
    end: int
    text: str
    currency: str | None = None
    implied: bool = False


class _Atom(BaseModel):
    kind: Kind
    value: float
    start: int
    end: int
    currency: str | None = None
    plus: bool = False
    decade: bool = False
    recent: bool = False


def _number(raw: str, k: str | None = None) -> float:
    raw = raw.strip().lower()
    value = float(_WORD_NUMBERS[raw]) if raw in _WORD_NUMBERS else float(raw.replace(",", ""))
    return value * 1000 if k else value


def _free(taken: list[tuple[int, int]], start: int, end: int) -> bool:
    return all(end <= s or start >= e for s, e in taken)


def _duration_atoms(text: str, taken: list[tuple[int, int]]) -> list[_Atom]:
    atoms: list[_Atom] = []
    for pattern in _DURATION_PATTERNS:
        for m in pattern.finditer(text):
            if not _free(taken, *m.span()):
                continue
            groups = m.groupdict()
            lowered = m.group(0).lower()
            minutes: float
            if groups.get("h") is not None:
                minutes = int(groups["h"]) * 60 + int(groups["m"])
            elif "hour and a half" in lowered:
                minutes = 90
            elif groups.get("whole") is not None:
                scale = 60 if groups["u"].lower().startswith("h") else 1
                minutes = (_number(groups["whole"]) + 0.5) * scale
            elif lowered.startswith("half"):
                minutes = 30
            elif "quarter" in lowered:
                minutes = 15
            else:
                unit = groups["u"].lower()
                if unit == "m" and not re.match(r"\d", groups["n"]):
                    continue
                scale = 60 if unit.startswith("h") else 1
                minutes = _number(groups["n"]) * scale
            atoms.append(
                _Atom(kind="duration", value=minutes, start=m.start(), end=m.end(),
                      plus=bool(groups.get("plus")))
            )  # fmt: skip
            taken.append(m.span())
    return atoms


def _money_atoms(text: str, taken: list[tuple[int, int]]) -> list[_Atom]:
    atoms: list[_Atom] = []
    for pattern in _MONEY_PATTERNS:
        for m in pattern.finditer(text):
            if not _free(taken, *m.span()):
                continue
            mark = (m.groupdict().get("cur") or m.groupdict().get("unit") or "").lower()
            atoms.append(
                _Atom(kind="money", value=_number(m.group("n"), m.group("k")), start=m.start(),
                      end=m.end(), currency=_CURRENCY.get(mark, "USD"), plus=bool(m.group("plus")))
            )  # fmt: skip
            taken.append(m.span())
    return atoms


def _year_atoms(text: str, taken: list[tuple[int, int]], newest: int) -> list[_Atom]:
    atoms: list[_Atom] = []
    for m in _DECADE.finditer(text):
        if not _free(taken, *m.span()):
            continue
        if m.group("word"):
            start = _DECADE_WORDS[m.group("word").lower()]
        elif m.group("full"):
            start = int(m.group("full"))
        else:
            short = int(m.group("short"))
            start = 1900 + short if short >= 30 else 2000 + short
        atoms.append(_Atom(kind="year", value=start, start=m.start(), end=m.end(), decade=True))
        taken.append(m.span())
    for m in _YEAR.finditer(text):
        if not _free(taken, *m.span()) or _BEFORE_MAX.search(text[: m.start()]):
            continue
        if not _title_year(text, m.start(), m.end()):
            atoms.append(_Atom(kind="year", value=int(m.group("y")), start=m.start(), end=m.end()))
            taken.append(m.span())
    for m in _RECENT.finditer(text):
        if _free(taken, *m.span()):
            atoms.append(
                _Atom(kind="year", value=newest - 4, start=m.start(), end=m.end(), recent=True)
            )
            taken.append(m.span())
    return atoms


_YEAR_LEAD = re.compile(
    rf"\b(?:{_YEAR_MAX_WORDS}|{_YEAR_MIN_WORDS}|{_YEAR_SINCE_WORDS}|from|in|of|during|released|"
    r"made)[\s-]*(?:the\s+)?$",
    re.I,
)
_YEAR_TAIL = re.compile(
    r"\s*(?:(?:films?|movies?|version|edition)\b\s*)?$|\s*(?:-|–|to|through|and)\s*(?:19|20)\d\d",
    re.I,
)


def _title_year(text: str, start: int, end: int) -> bool:
    """A year with no lead word is a release year only after the words it dates
    ('heat 1995', 'best 1999 films'); elsewhere it belongs to a title ('2001 a space
    odyssey', '1917')."""
    before = text[:start]
    if _YEAR_LEAD.search(before):
        return False
    return not (before.strip() and _YEAR_TAIL.match(text, end)) and not (
        not before.strip() and re.match(r"\s*(?:films?|movies?)\b\s*$", text[end:], re.I)
    )


def _bare_atoms(text: str, taken: list[tuple[int, int]]) -> list[_Atom]:
    atoms: list[_Atom] = []
    for m in _BARE.finditer(text):
        if not _free(taken, *m.span()) or _NOT_A_QUANTITY.match(text, m.end()):
            continue
        kind: Kind = "money" if m.group("k") else "number"
        atoms.append(
            _Atom(kind=kind, value=_number(m.group("n"), m.group("k")), start=m.start(),
                  end=m.end(), plus=bool(m.group("plus")), currency="USD" if m.group("k") else None)
        )  # fmt: skip
    return atoms


def _implied(vertical: Vertical | None) -> Kind:
    return {"shopping": "money", "video": "duration", "ideas": "duration"}.get(
        vertical or "", "number"
    )  # type: ignore[return-value]


def read_quantities(
    text: str, vertical: Vertical | None = None, *, newest_year: int = 2025
) -> list[Quantity]:
    """Every amount `text` states, in text order.

    A bare number counts only when a bound or range gives it a role ("under 100");
    its unit comes from `vertical` (dollars in shopping, minutes elsewhere) and is
    `number` when no vertical is known. "recent" means the last five years up to
    `newest_year` (the newest year the catalog holds).
    """
    taken: list[tuple[int, int]] = []
    atoms = _duration_atoms(text, taken) + _money_atoms(text, taken)
    atoms += _year_atoms(text, taken, newest_year) + _bare_atoms(text, taken)
    atoms.sort(key=lambda a: a.start)
    out: list[Quantity] = []
    i = 0
    while i < len(atoms):
        atom = atoms[i]
        nxt = atoms[i + 1] if i + 1 < len(atoms) else None
        if nxt is not None and (ranged := _range(text, atom, nxt, vertical)) is not None:
            out.append(ranged)
            i += 2
            continue
        if (single := _single(text, atom, vertical)) is not None:
            out.append(single)
        i += 1
    return out


def _kind_of(a: _Atom, b: _Atom | None, vertical: Vertical | None) -> tuple[Kind, bool]:
    if a.kind != "number":
        return a.kind, False
    if b is not None and b.kind != "number":
        return b.kind, False
    return _implied(vertical), True


def _range(text: str, a: _Atom, b: _Atom, vertical: Vertical | None) -> Quantity | None:
    between = text[a.end : b.start]
    if not _RANGE_JOIN.match(between):
        return None
    opener = _RANGE_OPEN.search(text[: a.start])
    if "and" in between.lower() and opener is None:
        return None
    if a.kind != b.kind and "number" not in (a.kind, b.kind):
        return None
    kind, implied = _kind_of(a, b, vertical)
    if kind == "year" and a.decade:
        return None
    low, high = a.value, b.value
    if kind == "duration" and a.kind == "number" and b.kind == "duration":
        scale = 60 if re.search(r"h", text[b.start : b.end].lower().lstrip("0123456789. ")) else 1
        low = a.value * scale
    if kind == "year" and not (1800 <= low <= 2100 and 1800 <= high <= 2100):
        return None
    start = opener.start() if opener else a.start
    if opener is None and (lead := _BEFORE_PLAIN.search(text[: a.start])):
        start = lead.start()
    low, high = min(low, high), max(low, high)
    currency = a.currency or b.currency
    return Quantity(
        kind=kind, bound="range", low=low, high=high, start=start, end=b.end,
        text=text[start : b.end], currency=currency, implied=implied,
    )  # fmt: skip


def _single(text: str, atom: _Atom, vertical: Vertical | None) -> Quantity | None:
    before, after = text[: atom.start], text[atom.end :]
    kind, implied = _kind_of(atom, None, vertical)
    if kind == "year":
        return _year(text, atom)
    bound: Bound | None = None
    start, end = atom.start, atom.end
    if m := _NEG_BEFORE_MIN.search(before):
        bound, start = "max", m.start()
    elif m := _NEG_BEFORE_MAX.search(before):
        bound, start = "min", m.start()
    elif m := _BEFORE_MAX.search(before):
        bound, start = "max", m.start()
    elif m := _BEFORE_MIN.search(before):
        bound, start = "min", m.start()
    if m := _AFTER_MAX.match(after):
        bound, end = bound or "max", atom.end + m.end()
    elif m := _AFTER_MIN.match(after):
        bound, end = "min", atom.end + m.end()
    if atom.plus:
        bound = "min"
    if m := _AFTER_LONG.match(text, end):
        end = m.end()
    if bound is None:
        if atom.kind == "number":
            return None
        bound = "eq"
    if start == atom.start and (m := _BEFORE_PLAIN.search(before)):
        start = m.start()
    low = atom.value if bound in ("min", "eq") else None
    high = atom.value if bound in ("max", "eq") else None
    return Quantity(
        kind=kind, bound=bound, low=low, high=high, start=start, end=end,
        text=text[start:end], currency=atom.currency, implied=implied,
    )  # fmt: skip


def _year(text: str, atom: _Atom) -> Quantity:
    before = text[: atom.start]
    first = int(atom.value)
    last = first + 9 if atom.decade else (first + 4 if atom.recent else first)
    low: float | None = first
    high: float | None = last
    bound: Bound = "range" if last != first else "eq"
    start = atom.start
    if m := _NEG_BEFORE_YEAR_MAX.search(before):
        low, high, bound, start = first, None, "min", m.start()
    elif m := _NEG_BEFORE_YEAR_MIN.search(before):
        low, high, bound, start = None, last, "max", m.start()
    elif m := _BEFORE_YEAR_MAX.search(before):
        low, high, bound, start = None, first - 1, "max", m.start()
    elif m := _BEFORE_YEAR_MIN.search(before):
        low, high, bound, start = last + 1, None, "min", m.start()
    elif (m := _BEFORE_YEAR_SINCE.search(before)) and not atom.decade:
        low, high, bound, start = first, None, "min", m.start()
    elif m := _BEFORE_YEAR_PLAIN.search(before):
        start = m.start()
    if atom.recent:
        low, high, bound = first, None, "min"
    end = atom.end
    if bound in ("eq", "range") and (m := _AFTER_YEAR_MIN.match(text, end)):
        low, high, bound, end = first, None, "min", m.end()
    elif m := _AFTER_YEAR_MAX.match(text, end):
        low, high, bound, end = None, last, "max", m.end()
    return Quantity(
        kind="year", bound=bound, low=low, high=high, start=start, end=end, text=text[start:end]
    )


_CLAUSE_WORDS = ("and also", "as well as", "and", "plus", "also", "&", ";", ",")


def split_clauses(text: str, words: Sequence[str] = _CLAUSE_WORDS) -> list[str]:
    """`text` cut at conjunctions and commas, never inside a quantity ('$1,500',
    'an hour and a half', 'between $100 and $300')."""
    inside = [(q.start, q.end) for q in read_quantities(text)]
    pattern = re.compile(
        r"\s*(?:"
        + "|".join(re.escape(w) if not w.isalpha() else rf"\b{w}\b" for w in words)
        + r")\s*",
        re.I,
    )
    pieces: list[str] = []
    last = 0
    for m in pattern.finditer(text):
        core = m.start() + len(m.group(0)) - len(m.group(0).lstrip())
        if any(s <= core < e for s, e in inside) or m.start() == m.end():
            continue
        pieces.append(text[last : m.start()])
        last = m.end()
    pieces.append(text[last:])
    return [p.strip() for p in pieces if p.strip()]


_LEFTOVER = re.compile(
    r"\b(?:that|which|takes?|taking|take|less|more|than|under|over|below|above|half|an?|"
    r"ready|done|in|within|long|lasting|running|priced|costing|released|made|from|between|"
    r"and|or|to|at|most|least|up|hour|hours|minutes?|mins?|since|before|after|the|of|"
    r"cheaper|shorter|longer|for|about|around|no|with|by|budget|max|min|that's|it's|sub|"
    r"mark|nothing|not)\b|\$|\d[\d,.]*k?|[<>≤≥]=?|sub-",
    re.I,
)
_KEEP_INSIDE = frozenset({"and", "of", "the", "with", "for", "in", "a", "an", "to", "or", "by"})


def strip_quantities(text: str, quantities: Sequence[Quantity] | None = None) -> str:
    """`text` without the quantities it states, their bound words and the function words
    left dangling at either end ('chicken recipes that take less than an hour' ->
    'chicken recipes')."""
    found = read_quantities(text) if quantities is None else quantities
    pieces: list[tuple[str, bool, bool]] = []
    last = 0
    for q in sorted(found, key=lambda q: q.start):
        pieces.append((text[last : q.start], last > 0, True))
        last = max(last, q.end)
    pieces.append((text[last:], last > 0, False))
    parts = []
    for piece, after_span, before_span in pieces:
        words = piece.split()
        while before_span and words and _LEFTOVER.fullmatch(words[-1].strip(".,;:!?")):
            words.pop()
        while after_span and words and _LEFTOVER.fullmatch(words[0].strip(".,;:!?")):
            words.pop(0)
        if words:
            parts.append(" ".join(words))
    return " ".join(parts)
