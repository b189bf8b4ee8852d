"""One speller per index version, built once per process, never per request.

Reading the catalog's words and filling SymSpell takes about a second on the starter
catalog, so a serving process starts the build in a background thread when it opens
(`warm`), and a request waits only if it arrives before the build is done. A new index
version (an upsert) builds a fresh speller on the next request.

    cache = SpellerCache()
    cache.warm(index)                  # at start-up
    speller = cache.get(index)         # in a request: ready, or built now
"""

from __future__ import annotations

import logging
import threading
import time

from agent.understand.spelling import Speller
from agent.understand.words import CatalogWords, WordSource

log = logging.getLogger(__name__)


class SpellerCache:
    """The speller of the index version last asked for."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._built: tuple[int, Speller] | None = None

    def ready(self, index: WordSource) -> Speller | None:
        """The speller for the index's current version if it is built, without waiting."""
        built = self._built
        return built[1] if built is not None and built[0] == index.version else None

    def get(self, index: WordSource) -> Speller:
        """The speller for the index's current version, built now if it is not yet."""
        version = index.version
        with self._lock:
            if self._built is None or self._built[0] != version:
                started = time.perf_counter()
                self._built = (version, Speller(CatalogWords.from_index(index)))
                log.info("speller built in %.2f s", time.perf_counter() - started)
            return self._built[1]

    def warm(self, index: WordSource) -> threading.Thread:
        """Start building in a background thread (a failure is logged; `get` retries)."""

        def run() -> None:
            try:
                self.get(index)
            except Exception as exc:  # noqa: BLE001 - requests build it again themselves
                log.warning("building the speller failed: %s", exc)

        thread = threading.Thread(target=run, name="tessera-speller", daemon=True)
        thread.start()
        return thread
