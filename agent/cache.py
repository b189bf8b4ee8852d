"""Small in-process LRU caches: plans and per-sub-query results.

Result keys include the index version, so any change to the index makes old
entries unreachable; hit and miss counts feed the page's trace.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from agent.models import Plan
from tools.contract import Hit

V = TypeVar("V")


class LRU(Generic[V]):
    """A thread-safe LRU map with hit/miss counters."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.hits = 0
        self.misses = 0
        self._data: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                self.hits += 1
                return self._data[key]
            self.misses += 1
            return None

    def put(self, key: Hashable, value: V) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)


@dataclass
class Caches:
    """The caches one process shares across requests."""

    plans: LRU[Plan] = field(default_factory=lambda: LRU(1024))
    results: LRU[list[Hit]] = field(default_factory=lambda: LRU(4096))

    def stats(self) -> dict[str, int]:
        return {
            "plan_hits": self.plans.hits,
            "plan_misses": self.plans.misses,
            "result_hits": self.results.hits,
            "result_misses": self.results.misses,
        }
