"""Products from the tau2-bench retail store shipped in `inspect-evals` (MIT).

`inspect_evals/tau2/data/domains/retail/db.json.gz` holds 50 products, each
with sellable variants (item id, options, availability, price). Every variant
becomes one `Product`. The source has no departments, so `DEPARTMENTS` is our
own mapping of the 50 product names to a department path.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tools.catalog import Product
from tools.sources.locate import (
    RowRejected,
    SourceReport,
    clean_text,
    package_file,
    package_version,
    short_validation_error,
    unreadable,
)

DISTRIBUTION = "inspect-evals"
MODULE = "inspect_evals"
RELATIVE = "tau2/data/domains/retail/db.json.gz"

_D = {
    ("Electronics", "Cameras"): "Action Camera|Digital Camera|Indoor Security Camera",
    ("Electronics", "Audio"): "Bluetooth Speaker|Headphones|Wireless Earbuds",
    ("Electronics", "Computers & Tablets"): "Laptop|Tablet|E-Reader",
    ("Electronics", "Computer Accessories"): "Gaming Mouse|Mechanical Keyboard",
    ("Electronics", "Phones & Accessories"): "Smartphone|Portable Charger",
    ("Electronics", "Wearables"): "Smart Watch",
    ("Home & Kitchen", "Kitchen Appliances"): "Coffee Maker|Electric Kettle|Espresso Machine",
    ("Home & Kitchen", "Cookware"): "Tea Kettle",
    ("Home & Kitchen", "Home Appliances"): "Air Purifier|Vacuum Cleaner",
    ("Home & Kitchen", "Smart Home"): "Smart Thermostat",
    ("Home & Kitchen", "Lighting"): "Desk Lamp|LED Light Bulb",
    ("Home & Kitchen", "Furniture"): "Bookshelf|Office Chair",
    ("Home & Kitchen", "Decor"): "Wall Clock",
    ("Garden & Outdoor", "Patio & Garden"): "Garden Hose|Grill|Patio Umbrella",
    ("Sports & Outdoors", "Cycling"): "Bicycle|Cycling Helmet",
    ("Sports & Outdoors", "Fitness"): "Dumbbell Set|Yoga Mat",
    ("Sports & Outdoors", "Outdoor Recreation"): "Water Bottle|Skateboard",
    ("Clothing & Accessories", "Clothing"): "T-Shirt|Fleece Jacket",
    ("Clothing & Accessories", "Shoes"): "Hiking Boots|Running Shoes|Sneakers",
    ("Clothing & Accessories", "Accessories"): "Sunglasses|Wristwatch",
    ("Bags & Luggage", "Bags"): "Backpack|Luggage Set",
    ("Beauty & Personal Care", "Beauty"): "Makeup Kit|Perfume",
    ("Beauty & Personal Care", "Personal Care"): "Electric Toothbrush",
    ("Toys & Games", "Puzzles"): "Jigsaw Puzzle",
    ("Office Supplies", "Paper"): "Notebook",
    ("Pet Supplies", "Beds"): "Pet Bed",
}
DEPARTMENTS: dict[str, tuple[str, str]] = {
    name: path for path, names in _D.items() for name in names.split("|")
}
"""Our mapping of tau2 product names to (department, sub-department); not in the source."""

_NOT_COLOURS = {"rgb"}
_BASIC_COLOURS = {"black", "white", "gray", "blue", "red", "green", "gold", "silver", "brown"}
_BASIC_COLOURS |= {"beige", "navy", "purple", "pink", "yellow", "orange"}
_NEGATIVE = {"no", "none", "not resistant"}
_TAG_KEYS = {"material", "style", "type", "features", "lens type", "gender", "theme", "design"}
_TAG_KEYS |= {"frame material", "band material", "strap material", "deck material"}


def normalize_colour(value: str) -> list[str]:
    """One option value as colours: split multi-colour values, 'grey' spelt 'gray',
    and the basic colour of a compound added ('space grey' -> 'space gray', 'gray')."""
    out: list[str] = []
    for part in re.split(r"\s*(?:/|&|,|\band\b)\s*", value.lower()):
        part = re.sub(r"\bgrey\b", "gray", part.strip())
        if not part or part in _NOT_COLOURS:
            continue
        out.append(part)
        last = part.split()[-1]
        if last != part and last in _BASIC_COLOURS:
            out.append(last)
    return out


def _option_label(key: str, value: str) -> str | None:
    if value.lower() in _NEGATIVE:
        return None
    return key if value.lower() == "yes" else value


def variant_title(name: str, options: Mapping[str, Any]) -> str:
    """'T-Shirt — blue, M, cotton, crew neck': the product name and its option values."""
    labels = [_option_label(k, clean_text(str(v))) for k, v in options.items()]
    shown = [label for label in labels if label]
    return f"{name} — {', '.join(shown)}" if shown else name


def product_from_variant(name: str, variant: Mapping[str, Any]) -> Product:
    """One variant as a Product; raises `RowRejected` with the reason when it cannot be."""
    item_id = str(variant.get("item_id") or "").strip()
    if not item_id:
        raise RowRejected("variant without item_id")
    raw_options = variant.get("options")
    options = {
        str(k): clean_text(str(v))
        for k, v in (raw_options.items() if isinstance(raw_options, dict) else [])
    }
    colours = [c for k, v in options.items() if k.endswith("color") for c in normalize_colour(v)]
    department = DEPARTMENTS.get(name)
    path = [*department, name] if department else [name]
    details = "; ".join(f"{k}: {v}" for k, v in options.items())
    labels = [_option_label(k, v) for k, v in options.items() if k in _TAG_KEYS or v == "yes"]
    try:
        return Product(
            id=f"tau2-{item_id}",
            title=variant_title(name, options),
            description=f"{name}. {details}." if details else f"{name}.",
            price=variant.get("price"),
            brand=options.get("brand"),
            colors=list(dict.fromkeys(colours)),
            category_path=path,
            availability="in_stock" if variant.get("available") is True else "out_of_stock",
            tags=[name, *path[:-1], *(label for label in labels if label)],
        )
    except ValidationError as exc:
        raise RowRejected(short_validation_error(exc)) from exc


def retail_report() -> tuple[Path, SourceReport]:
    """Locate the retail database and open its report; raises `SourceUnavailable`."""
    path = package_file(DISTRIBUTION, MODULE, RELATIVE)
    report = SourceReport(
        name="tau2-retail",
        vertical="shopping",
        package=DISTRIBUTION,
        version=package_version(DISTRIBUTION),
        licence="MIT (tau2-bench data and inspect-evals)",
        origin="tau2-bench retail domain (sierra-research/tau2-bench), via inspect-evals",
        path=str(path),
    )
    return path, report


def read_retail(path: Path, report: SourceReport, limit: int | None = None) -> Iterator[Product]:
    """Yield one Product per variant from `path`, counting every variant in `report`."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, EOFError, ValueError) as exc:
        raise unreadable(path, exc) from exc
    products = data.get("products") if isinstance(data, dict) else None
    if not isinstance(products, dict):
        raise unreadable(path, ValueError("no 'products' object"))
    for product_id, product in products.items():
        name = clean_text(str(product.get("name") or "")) if isinstance(product, dict) else ""
        variants = product.get("variants", {}) if isinstance(product, dict) else {}
        for variant_id, variant in variants.items():
            if limit is not None and report.items >= limit:
                report.truncated = True
                return
            report.rows_read += 1
            ref = f"product {product_id} variant {variant_id}"
            try:
                if not name:
                    raise RowRejected("product without a name")
                if not isinstance(variant, dict):
                    raise RowRejected("variant is not an object")
                item = product_from_variant(name, variant)
            except RowRejected as exc:
                report.skip(str(exc), ref)
                continue
            report.rows_kept += 1
            report.items += 1
            yield item
