"""Stored expansions of broad intents, shared by every worker: SQLite or PostgreSQL.

An expansion is what the LLM proposed for one normalised intent ("burger night")
with one model, stored as the JSON its caller wrote, so a repeat of the intent
(by any user, in any worker, after a restart) costs no LLM call. The embedded
default is `expansions.sqlite` under the data directory; with
`TESSERA_DATABASE_URL` it is the table `tessera_expansions` (migration 2,
`tessera db upgrade`). Writes replace: the newest expansion of an intent wins.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Protocol

from tools.sqlite_log import SqliteLog

EXPANSIONS_FILE = "expansions.sqlite"


class ExpansionStore(Protocol):
    """Expansions by (intent, model): the body its writer stored, or None."""

    def get(self, intent: str, model: str) -> str | None: ...

    def put(self, intent: str, model: str, body: str) -> None: ...

    def close(self) -> None: ...


class SqliteExpansions(SqliteLog):
    """Expansions in one SQLite file (WAL, so several local workers share it)."""

    SCHEMA = """
    CREATE TABLE IF NOT EXISTS expansions (
        intent TEXT NOT NULL,
        model TEXT NOT NULL,
        ts REAL NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (intent, model)
    );
    """

    @classmethod
    def at(cls, root: Path) -> SqliteExpansions:
        """The store under the data directory `root`."""
        return cls(Path(root).expanduser() / EXPANSIONS_FILE)

    def get(self, intent: str, model: str) -> str | None:
        rows = self._read(
            "SELECT body FROM expansions WHERE intent = ? AND model = ?", [intent, model]
        )
        return str(rows[0][0]) if rows else None

    def put(self, intent: str, model: str, body: str) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO expansions (intent, model, ts, body) VALUES (?, ?, ?, ?)",
                (intent, model, time.time(), body),
            )
