"""The one error a shared backend raises when it cannot be reached.

It names the backend (`chroma`, `postgres`, `snapshot`) so the web API can answer
503 saying which one is down, and so nothing is written half-way: callers raise
it before their write, or the write's transaction is rolled back.
"""

from __future__ import annotations

from tools.errors import UserError


class BackendUnavailable(UserError):
    """A configured backend does not answer; `backend` says which."""

    def __init__(self, backend: str, detail: str) -> None:
        super().__init__(f"{backend} unavailable: {detail}")
        self.backend = backend
        self.detail = detail
