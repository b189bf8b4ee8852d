"""Train the distilled router (agent/planning/router.npz) and write its held-out split.

Labelled queries come from three places:

- real shopper queries: the Home Depot dev queries (all shopping intent);
- templates over the starter catalog's own attributes (recipe titles, categories and
  diets; product categories, brands and colours; film titles and genres), with
  paraphrases, labelled by construction;
- multi-intent texts joining two or three of those with everyday connectors;
- things to buy that start with a food word ("a salad bowl", `router_compounds.py`), with
  dishes that name an object ("chicken pot pie") against them.

A hash of each text (`agent.planning.router.held_out`) keeps one text in five out of
training; held-out F1 is printed for the base texts and for the compounds apart. The
held-out texts are written as planning cases, so the planning suite
scores the rule, router and LLM planners on queries the router never saw:

    python scripts/train_router.py --hd /work/shared/datasets/home_depot_search_relevance
    tessera eval planning --dataset ~/.tessera/router/heldout.jsonl --config rule,router,auto
    tessera eval planning --dataset ~/.tessera/router/home_depot.jsonl --config rule,auto
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from router_compounds import compound_examples

from agent.planning.router import HEADS, WEIGHTS_PATH, fit, held_out
from agent.settings import Settings
from tools.catalog import VERTICALS
from tools.embeddings import load_embedder

Example = tuple[str, frozenset[str]]

IDEA_FORMS = [
    "{t}", "{t} recipe", "how to make {t}", "easy {t}", "homemade {t}", "best {t} recipe",
    "{t} ideas", "how do i cook {t}", "simple {t} for dinner", "quick {t}",
]  # fmt: skip
CATEGORY_IDEA_FORMS = [
    "{c} recipes", "easy {c} recipes", "{d} {c} recipes", "{c} dinner ideas",
    "what to cook with {c}", "{c} dishes ready in {m} minutes", "{d} {c}", "how to cook {c}",
    "{c} meals for the week",
]  # fmt: skip
SHOP_FORMS = [
    "{c}", "{b} {c}", "{col} {c}", "{c} under ${p}", "buy a {c}", "cheap {c}",
    "{col} {c} under ${p}", "best {c} to buy", "{b} {c} for sale", "a new {c}", "{c} deals",
]  # fmt: skip
FILM_FORMS = [
    "{t}", "{t} movie", "watch {t}", "{t} film", "{t} trailer", "{t} full movie",
    "where to stream {t}",
]  # fmt: skip
GENRE_FORMS = [
    "{g} movies", "{g} films", "{g} movies from the {y}s", "a {g} film to watch tonight",
    "best {g} movies", "{g} films under 2 hours", "classic {g}", "{g} movies released in {yy}",
    "a good {g} to watch", "{g} documentary", "films like {t}",
]  # fmt: skip
JOINS = [" and ", " plus ", ", and also ", " & ", ", then ", " and a ", ", plus some "]


def _rows(db: Path) -> Iterator[tuple[str, dict[str, object]]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        for vertical, text in conn.execute("SELECT vertical, json FROM items"):
            yield vertical, json.loads(text)
    finally:
        conn.close()


def _short(title: str, words: int = 5) -> str:
    title = re.split(r"\s[—–-]\s|,|\(", title)[0]
    return " ".join(title.lower().split()[:words]).strip()


def catalog_examples(db: Path, rng: random.Random, per_vertical: int) -> list[Example]:
    """Templated single-intent queries from the catalog's titles and facet values."""
    ideas: list[str] = []
    shop_cats: set[str] = set()
    brands: set[str] = set()
    colors: set[str] = set()
    films: list[str] = []
    genres: set[str] = set()
    idea_cats: set[str] = set()
    for vertical, item in _rows(db):
        if vertical == "ideas":
            ideas.append(_short(str(item["title"])))
            idea_cats.update(t for t in map(str, item.get("tags") or []) if t != "recipe")
        elif vertical == "shopping":
            path = [str(p).lower() for p in item.get("category_path") or []]
            shop_cats.update(path[-2:])
            shop_cats.add(_short(str(item["title"]), 4))
            if item.get("brand"):
                brands.add(str(item["brand"]).lower())
            colors.update(str(c).lower() for c in item.get("colors") or [])
        else:
            films.append(_short(str(item["title"]), 6))
            genres.update(str(g).lower() for g in item.get("genre") or [])
    diets = ["vegan", "vegetarian", "gluten-free", "healthy", "low carb"]
    out: list[Example] = []
    single = frozenset

    def add(vertical: str, text: str) -> None:
        text = " ".join(text.split())
        if text:
            out.append((text, single({vertical})))

    for _ in range(per_vertical):
        add("ideas", rng.choice(IDEA_FORMS).format(t=rng.choice(ideas)))
        add(
            "ideas",
            rng.choice(CATEGORY_IDEA_FORMS).format(
                c=rng.choice(sorted(idea_cats)), d=rng.choice(diets), m=rng.choice([15, 20, 30])
            ),
        )
        add(
            "shopping",
            rng.choice(SHOP_FORMS).format(
                c=rng.choice(sorted(shop_cats)),
                b=rng.choice(sorted(brands)),
                col=rng.choice(sorted(colors)),
                p=rng.choice([20, 40, 50, 100, 150, 300]),
            ),
        )
        add("video", rng.choice(FILM_FORMS).format(t=rng.choice(films)))
        add(
            "video",
            rng.choice(GENRE_FORMS).format(
                g=rng.choice(sorted(genres)),
                y=rng.choice([50, 60, 70, 80, 90]),
                yy=rng.choice(range(1950, 2020)),
                t=rng.choice(films),
            ),
        )
    return out


def home_depot(root: Path) -> list[str]:
    """The Home Depot dev queries (the ids judged in qrels/dev.tsv)."""
    ids = {
        line.split("\t")[0]
        for line in (root / "beir" / "qrels" / "dev.tsv").read_text().splitlines()[1:]
    }
    texts = []
    with (root / "beir" / "queries.jsonl").open() as handle:
        for line in handle:
            row = json.loads(line)
            if row["_id"] in ids:
                texts.append(" ".join(row["text"].lower().split()))
    return sorted(set(texts))


def combine(pool: list[Example], rng: random.Random, n: int) -> list[Example]:
    """Multi-intent texts: two or three single intents from different verticals, joined."""
    by_vertical = {v: [t for t, labels in pool if labels == {v}] for v in VERTICALS}
    out: list[Example] = []
    for _ in range(n):
        k = 3 if rng.random() < 0.2 else 2
        chosen = rng.sample(list(VERTICALS), k)
        parts = [rng.choice(by_vertical[v]) for v in chosen]
        text = parts[0]
        for part in parts[1:]:
            text += rng.choice(JOINS) + part
        out.append((text, frozenset(chosen)))
    return out


def labels_of(examples: list[Example]) -> np.ndarray:
    rows = [
        [float(v in labels) for v in VERTICALS] + [float(len(labels) > 1)] for _, labels in examples
    ]
    return np.array(rows, dtype=np.float32)


def case(i: int, text: str, labels: frozenset[str], kind: str) -> str:
    expected = [{"vertical": v, "filters": {}} for v in VERTICALS if v in labels]
    body = {"id": f"{kind}{i:05d}", "query": text, "expected": expected, "kind": kind}
    return json.dumps(body)


def f1(pred: np.ndarray, gold: np.ndarray) -> float:
    tp = (pred * gold).sum(axis=1)
    denom = pred.sum(axis=1) + gold.sum(axis=1)
    return float(np.mean(2 * tp / np.maximum(denom, 1)))


def embed_cached(texts: list[str], path: Path) -> np.ndarray:
    """MiniLM vectors of `texts`; those `path` already holds are reused, the rest embedded."""
    known: dict[str, np.ndarray] = {}
    if path.is_file():
        with np.load(path) as data:
            known = dict(zip(map(str, data["texts"]), np.asarray(data["vectors"]), strict=True))
    missing = [t for t in dict.fromkeys(texts) if t not in known]
    if missing:
        fresh = load_embedder(0).embed_documents(missing)
        known.update(zip(missing, np.asarray(fresh), strict=True))
    vectors = np.stack([known[t] for t in texts])
    if missing:
        np.savez_compressed(path, texts=np.array(texts), vectors=vectors)
    return vectors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hd", type=Path, required=True, help="home_depot_search_relevance dir")
    parser.add_argument("--per-vertical", type=int, default=2500)
    parser.add_argument("--multi", type=int, default=4000)
    parser.add_argument("--compounds", type=int, default=3000, help="food word + object texts")
    parser.add_argument("--compound-weight", type=float, default=1.0, help="their sample weight")
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--epochs", type=int, default=2000)
    parser.add_argument("--l2", type=float, default=1e-4)
    parser.add_argument(
        "--cases-dir",
        type=Path,
        default=None,
        help="where the held-out cases go (default: TESSERA_HOME/router)",
    )
    args = parser.parse_args(argv)
    settings = Settings()
    rng = random.Random(args.seed)
    singles = catalog_examples(settings.index_dir / "catalog.sqlite", rng, args.per_vertical)
    shopper = [(t, frozenset({"shopping"})) for t in home_depot(args.hd)]
    pool = list(dict.fromkeys(singles + shopper))
    train = [e for e in pool if not held_out(e[0])]
    test = [e for e in pool if held_out(e[0])]
    train += combine(train, rng, args.multi)
    test += [e for e in combine(test, rng, args.multi // 4) if held_out(e[0])]
    db = settings.index_dir / "catalog.sqlite"
    extra = compound_examples(db, random.Random(args.seed + 1), args.compounds)
    extra = [e for e in dict.fromkeys(extra) if e[0] not in {t for t, _ in pool}]
    base = len(test)
    weight = [1.0] * len(train) + [args.compound_weight] * sum(not held_out(t) for t, _ in extra)
    train += [e for e in extra if not held_out(e[0])]
    test += [e for e in extra if held_out(e[0])]
    print(f"{len(train)} training texts, {len(test)} held out ({len(shopper)} shopper queries)")
    folder = args.cases_dir or settings.root / "router"
    folder.mkdir(parents=True, exist_ok=True)
    x_train = embed_cached([t for t, _ in train], folder / "train_vectors.npz")
    y_train = labels_of(train)
    weights = fit(x_train, y_train, epochs=args.epochs, l2=args.l2, sample_weight=np.array(weight))
    x_test = embed_cached([t for t, _ in test], folder / "test_vectors.npz")
    probs = weights.predict(x_test)[:, : len(VERTICALS)]
    pred = (probs >= 0.5).astype(np.float32)
    pred[np.arange(len(pred)), probs.argmax(axis=1)] = 1.0
    gold = labels_of(test)[:, :3]
    print(f"held-out routing F1 (router alone): {f1(pred, gold):.3f}")
    print(f"  base texts ({base}): {f1(pred[:base], gold[:base]):.3f}")
    if len(test) > base:
        print(f"  compounds ({len(test) - base}): {f1(pred[base:], gold[base:]):.3f}")
    weights.save(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes, heads {', '.join(HEADS)})")
    rng.shuffle(test)
    hd_texts = {t for t, _ in shopper}
    mixed = [c for c in test if c[0] not in hd_texts]
    with (folder / "heldout.jsonl").open("w") as handle:
        for i, (text, labels) in enumerate(test[:600]):
            handle.write(case(i, text, labels, "held") + "\n")
    with (folder / "templates.jsonl").open("w") as handle:
        for i, (text, labels) in enumerate(mixed[:300]):
            handle.write(case(i, text, labels, "tpl") + "\n")
    with (folder / "home_depot.jsonl").open("w") as handle:
        for i, text in enumerate(t for t, _ in test if t in hd_texts):
            handle.write(case(i, text, frozenset({"shopping"}), "hd") + "\n")
    print(f"held-out cases in {folder}/heldout.jsonl, templates.jsonl and home_depot.jsonl")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
