"""The LLM gate: a circuit breaker and a concurrency limit shared by every request.

A failing or hung LLM must degrade a page, never starve the server. The gate
lets at most `slots` LLM calls run at once; a request that cannot get a slot
within `wait_s` is told at once (`LLMBusy`) and plans without the LLM, so it
never holds a web request slot while waiting for a hung model. After
`failures` consecutive timeouts or errors the breaker opens: for
`cooldown_s` every request skips the LLM without trying it. When the cool-down
ends one trial call is let through; a success closes the breaker, another
failure opens it again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from agent.llm.client import LLMError
from tools.tracing import event


class LLMBusy(LLMError):
    """Every LLM slot stayed taken for the whole wait; no call was made."""


class LLMGate:
    """Circuit breaker plus LLM-call concurrency limit for one process."""

    def __init__(
        self,
        *,
        slots: int = 2,
        wait_s: float = 0.2,
        failures: int = 3,
        cooldown_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.slots = slots
        self.wait_s = wait_s
        self.failures = failures
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._sem = asyncio.Semaphore(slots)
        self._consecutive = 0
        self._open_until = 0.0
        self._trial = False

    @property
    def consecutive_failures(self) -> int:
        return self._consecutive

    def skip_reason(self) -> str | None:
        """Why the LLM is skipped right now (breaker open), or None when it may be tried."""
        left = self._open_until - self._clock()
        if left > 0:
            return (
                f"LLM circuit open after {self._consecutive} consecutive failures; "
                f"retried in {left:.0f}s"
            )
        if self._trial:
            return "LLM circuit half-open: a trial call is running"
        return None

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one LLM slot for a call; `LLMBusy` when none frees up within `wait_s`."""
        try:
            async with asyncio.timeout(self.wait_s):
                await self._sem.acquire()
        except TimeoutError:
            raise LLMBusy(
                f"all {self.slots} LLM slots busy for {self.wait_s:.1f}s (TESSERA_LLM_CONCURRENCY)"
            ) from None
        self._trial = self._consecutive >= self.failures
        try:
            yield
        finally:
            self._trial = False
            self._sem.release()

    def succeeded(self) -> None:
        """A call answered: close the breaker."""
        self._consecutive = 0
        self._open_until = 0.0

    def failed(self) -> None:
        """A call timed out or errored: count it, and open the breaker at the threshold."""
        self._consecutive += 1
        if self._consecutive >= self.failures:
            self._open_until = self._clock() + self.cooldown_s
            event(
                "llm.breaker_opened",
                {"tessera.failures": self._consecutive, "tessera.cooldown_s": self.cooldown_s},
            )
