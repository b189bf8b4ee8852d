"""The data the eval gate runs on: a fixed slice of the starter catalog, indexed once.

The gate must measure the code, not whatever index a machine happens to hold, so it
builds its own: the first `per_source` items of every starter source, indexed into
`TESSERA_HOME/gate/starter-<per_source>-<hash>`. The hash covers the items, the row
format and the embedder, so a change to any of them builds a fresh index and an
unchanged slice is reused (a `ready.json` marker is written last; an interrupted
build is resumed, since re-indexing an item that is already there changes nothing).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from rich.progress import Progress

from agent.settings import Settings

STARTER_PER_SOURCE = 500
"""Items read from each starter source: 500 ideas, 1,000 products and 500 films."""


def gate_home(
    settings: Settings, per_source: int = STARTER_PER_SOURCE, progress: Progress | None = None
) -> Path:
    """A TESSERA_HOME holding the indexed starter slice, built when it is not ready."""
    from agent.deps import open_index
    from tools.embeddings import load_embedder
    from tools.rows import ROW_FORMAT
    from tools.starter import build_starter

    catalog = build_starter(limit_per_source=per_source)
    items = catalog.items
    embedder = load_embedder(settings.query_cache_size).name
    digest = hashlib.sha256(f"{ROW_FORMAT}\n{embedder}\n".encode())
    for item in items:
        digest.update(item.model_dump_json().encode())
        digest.update(b"\n")
    home = settings.root / "gate" / f"starter-{per_source}-{digest.hexdigest()[:12]}"
    marker = home / "ready.json"
    if marker.is_file():
        return home
    index = open_index(settings.model_copy(update={"home": home}), create=True)
    task = progress.add_task("indexing the gate's slice", total=len(items)) if progress else None
    try:
        report = index.upsert(
            items,
            progress=lambda n: progress.advance(task, n) if progress and task is not None else None,
        )
    finally:
        index.close()
    marker.write_text(
        json.dumps({"per_source": per_source, "embedder": embedder, "items": catalog.counts(),
                    **report.model_dump()}),
        encoding="utf-8",
    )  # fmt: skip
    return home
