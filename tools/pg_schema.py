"""PostgreSQL tables for events, profiles and impressions, and the migrations that make them.

Migrations are numbered SQL scripts applied in order, each in its own transaction,
under an advisory lock so two `tessera db upgrade` runs cannot interleave; the
table `tessera_migrations` records which ran. Workers never migrate: they check
the recorded version and refuse to start against an older schema.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel

MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "events, profiles and impressions",
        """
        CREATE TABLE tessera_events (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            user_id TEXT NOT NULL,
            item_id TEXT NOT NULL,
            vertical TEXT NOT NULL,
            kind TEXT NOT NULL,
            ts DOUBLE PRECISION NOT NULL,
            page_id TEXT,
            module_id TEXT
        );
        CREATE INDEX tessera_events_user ON tessera_events (user_id, id);
        CREATE INDEX tessera_events_page ON tessera_events (page_id);
        CREATE TABLE tessera_profiles (
            user_id TEXT PRIMARY KEY,
            revision BIGINT NOT NULL,
            key TEXT NOT NULL,
            body TEXT NOT NULL
        );
        CREATE TABLE tessera_impressions (
            page_id TEXT PRIMARY KEY,
            user_id TEXT,
            ts DOUBLE PRECISION NOT NULL,
            body TEXT NOT NULL
        );
        CREATE INDEX tessera_impressions_ts ON tessera_impressions (ts);
        CREATE INDEX tessera_impressions_user ON tessera_impressions (user_id);
        """,
    ),
    (
        "expansions of broad intents",
        """
        CREATE TABLE tessera_expansions (
            intent TEXT NOT NULL,
            model TEXT NOT NULL,
            ts DOUBLE PRECISION NOT NULL,
            body TEXT NOT NULL,
            PRIMARY KEY (intent, model)
        );
        """,
    ),
)
LATEST = len(MIGRATIONS)
LOCK_KEY = 0x7E55E4A
_LEDGER = """
CREATE TABLE IF NOT EXISTS tessera_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""


class UpgradeReport(BaseModel):
    """What `upgrade` did: the version found, the version left, the steps applied."""

    before: int
    after: int
    applied: list[str]


def current_version(conn: object) -> int:
    """The newest applied migration; 0 on a database that has none."""
    import psycopg

    assert isinstance(conn, psycopg.Connection)
    found = conn.execute("SELECT to_regclass('tessera_migrations')").fetchone()
    if not found or found[0] is None:
        return 0
    row = conn.execute("SELECT coalesce(max(version), 0) FROM tessera_migrations").fetchone()
    return int(row[0]) if row else 0


def upgrade(url: str, *, extra: Callable[[], None] | None = None) -> UpgradeReport:
    """Apply every pending migration to the database at `url`; `extra` runs under the lock."""
    import psycopg

    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        try:
            conn.execute(_LEDGER)
            before = current_version(conn)
            applied: list[str] = []
            for number, (name, sql) in enumerate(MIGRATIONS, start=1):
                if number <= before:
                    continue
                with conn.transaction():
                    conn.execute(sql)  # type: ignore[arg-type]
                    conn.execute(
                        "INSERT INTO tessera_migrations (version, name) VALUES (%s, %s)",
                        (number, name),
                    )
                applied.append(f"{number}: {name}")
            if extra is not None:
                extra()
            return UpgradeReport(before=before, after=current_version(conn), applied=applied)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
