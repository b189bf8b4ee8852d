"""Image queries: read the picture in `understand`, search look-alikes in the fan-out.

The picture's labels, printed text and caption join the request text (so "this
but in blue" searches the pictured thing in blue), and its embedding searches
the image index for a "Visually similar" module.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from langgraph.runtime import Runtime
from pydantic import BaseModel, Field

from agent.deps import Deps
from agent.trace import ImageTrace, TraceStep
from agent.vision import image_key
from tools.contract import Hit
from tools.image_query import understand_image
from tools.vision import ImageRejected


class ImageTask(BaseModel):
    """Input of the look-alike search."""

    key: str
    k: int


class ImageReading(BaseModel):
    """What `understand` keeps from a picture."""

    key: str | None = None
    text: str = ""
    info: ImageTrace = Field(default_factory=ImageTrace)
    error: str | None = None


async def read_image(deps: Deps, image: str) -> ImageReading:
    """Labels, text and embedding of the request's image; errors become a message."""
    if deps.vision is None:
        return ImageReading(error="image search is not installed: run scripts/setup_vision.sh")
    try:
        signals = await understand_image(image, deps.vision.model, deps.vision.ocr)
    except ImageRejected as exc:
        return ImageReading(error=f"the image could not be used: {exc}")
    key = image_key(image)
    if signals.embedding is not None:
        deps.vision.vectors.put(key, signals.embedding)
    info = ImageTrace(
        labels=[label.name for label in signals.labels[:5]],
        text=signals.ocr_text[:10],
        caption=signals.caption,
        notes=signals.notes,
        timings_ms=signals.timings_ms,
    )
    return ImageReading(key=key, text=signals.search_text(), info=info)


async def similar_node(task: ImageTask, runtime: Runtime[Deps]) -> dict[str, Any]:
    """Node `similar_images`: catalog items whose pictures look like the query image."""
    started = time.perf_counter()
    deps = runtime.context
    vector = deps.vision.vectors.get(task.key) if deps.vision else None
    hits: list[Hit] = []
    error = None
    if deps.vision is None or vector is None:
        error = "image embedding unavailable"
    else:
        found = await asyncio.to_thread(deps.vision.images.similar, vector, task.k)
        for match in found:
            items = deps.index.get(match.vertical, [match.id])
            hits.extend(Hit(item=item, score=match.similarity) for item in items)
    step = TraceStep(
        name="tool:image",
        detail=error or f"{len(hits)} visually similar items",
        elapsed_ms=(time.perf_counter() - started) * 1000,
        ok=error is None,
    )
    return {"image_hits": hits, "steps": [step]}
