"""Expansions of broad intents in PostgreSQL (`tessera_expansions`): one table for all workers."""

from __future__ import annotations

import time

from tools.pg_log import PgPool


class PgExpansions:
    """The `ExpansionStore` over a shared psycopg pool."""

    def __init__(self, pool: PgPool) -> None:
        self._pg = pool.acquire()

    def get(self, intent: str, model: str) -> str | None:
        with self._pg.connection() as conn:
            row = conn.execute(
                "SELECT body FROM tessera_expansions WHERE intent = %s AND model = %s",
                (intent, model),
            ).fetchone()
        return str(row[0]) if row else None

    def put(self, intent: str, model: str, body: str) -> None:
        with self._pg.connection() as conn:
            conn.execute(
                "INSERT INTO tessera_expansions (intent, model, ts, body) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (intent, model) DO UPDATE SET ts = EXCLUDED.ts, body = EXCLUDED.body",
                (intent, model, time.time(), body),
            )

    def close(self) -> None:
        self._pg.release()
