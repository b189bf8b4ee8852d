"""Read a Chroma HNSW segment's files before the native library does.

A truncated vector file can crash the process that loads it (the HNSW loader
reads past the end), so the damage check must not learn of truncation by
loading it. Each persisted segment folder holds a 100-byte `header.bin` (a format
version, then hnswlib's header: element count and bytes per element, among
others); `data_level0.bin` holds exactly count × bytes-per-element and
`length.bin` four bytes per element (a segment Chroma has not synced yet is
written at its full capacity instead). Sizes that disagree mean the files are
damaged. A collection whose vectors still sit in Chroma's log has no folder yet;
one that Chroma has recorded as persisted (a `max_seq_id` row for the segment)
must have it.
"""

from __future__ import annotations

import sqlite3
import struct
from pathlib import Path

HEADER_BYTES = 100
FILES = ("header.bin", "data_level0.bin", "length.bin", "link_lists.bin")


def segment_dir(chroma: Path, collection: str) -> tuple[Path, bool] | None:
    """`collection`'s vector segment folder and whether Chroma recorded it as persisted.

    None when Chroma has no record of the collection.
    """
    db = chroma / "chroma.sqlite3"
    if not db.is_file():
        return None
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as con:
            row = con.execute(
                "SELECT s.id, m.seq_id FROM segments s JOIN collections c ON s.collection = c.id "
                "LEFT JOIN max_seq_id m ON m.segment_id = s.id "
                "WHERE c.name = ? AND s.scope = 'VECTOR'",
                (collection,),
            ).fetchone()
    except sqlite3.Error:
        return None
    if not row:
        return None
    return chroma / str(row[0]), bool(row[1])


def files_problem(folder: Path, persisted: bool) -> str | None:
    """Why the segment's files cannot be whole, or None."""
    if not folder.is_dir():
        return "the segment folder is missing" if persisted else None
    missing = [name for name in FILES if not (folder / name).is_file()]
    if missing:
        return f"vector files missing: {', '.join(missing)}"
    header = (folder / "header.bin").read_bytes()
    if len(header) < HEADER_BYTES:
        return f"header.bin has {len(header)} bytes, expected {HEADER_BYTES}"
    _offset, capacity, count, per_element = struct.unpack_from("<QQQQ", header, 4)
    data = (folder / "data_level0.bin").stat().st_size
    if data not in (count * per_element, capacity * per_element):
        return (
            f"data_level0.bin has {data:,} bytes, expected {count * per_element:,} for "
            f"{count:,} vectors"
        )
    lengths = (folder / "length.bin").stat().st_size
    if lengths not in (4 * count, 4 * capacity):
        return f"length.bin has {lengths:,} bytes, expected {4 * count:,}"
    return None
