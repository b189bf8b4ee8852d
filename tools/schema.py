"""The SQLite schema of the index: items, facet rows, the FTS5 table and metadata.

`items` holds one row per (vertical, id) with the item JSON, a content hash and a
real column per range or equality filter; `item_facets` holds multi-valued fields
(colours, diets, category path elements, genres) one value per row; `items_fts` is
the FTS5 table (porter stemming) whose rowid is `items.rid`.
"""

from __future__ import annotations

SCHEMA_VERSION = "1"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    rid INTEGER PRIMARY KEY,
    vertical TEXT NOT NULL,
    id TEXT NOT NULL,
    json TEXT NOT NULL,
    hash TEXT NOT NULL,
    title TEXT NOT NULL,
    rating REAL,
    price REAL,
    availability TEXT,
    brand_lc TEXT,
    duration_s INTEGER,
    year INTEGER,
    total_time_min INTEGER,
    UNIQUE (vertical, id)
);
CREATE INDEX IF NOT EXISTS items_price ON items (vertical, price);
CREATE INDEX IF NOT EXISTS items_duration ON items (vertical, duration_s);
CREATE INDEX IF NOT EXISTS items_year ON items (vertical, year);
CREATE INDEX IF NOT EXISTS items_time ON items (vertical, total_time_min);
CREATE INDEX IF NOT EXISTS items_brand ON items (vertical, brand_lc);
CREATE TABLE IF NOT EXISTS item_facets (
    rid INTEGER NOT NULL,
    vertical TEXT NOT NULL,
    facet TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (rid, facet, value)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS item_facets_value ON item_facets (facet, value, rid);
CREATE VIRTUAL TABLE IF NOT EXISTS items_fts USING fts5(
    title, description, tags, extra, tokenize = 'porter unicode61'
);
"""
INIT_META = f"INSERT OR IGNORE INTO meta VALUES ('schema', '{SCHEMA_VERSION}'), ('version', '0')"
COLUMNS = (
    "title",
    "rating",
    "price",
    "availability",
    "brand_lc",
    "duration_s",
    "year",
    "total_time_min",
)
