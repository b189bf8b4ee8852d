"""`tessera db upgrade`: create or migrate the PostgreSQL tables TESSERA_DATABASE_URL names.

Applies Tessera's own migrations (events, profiles, impressions) and the LangGraph
checkpointer's, under one advisory lock; running it twice is harmless. Workers
never migrate on their own: they refuse to start on an older schema.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from rich.console import Console

from agent.settings import Settings
from tools.errors import UserError


def register(subparsers: Any) -> None:
    """Add `db upgrade` to the CLI."""
    parser = subparsers.add_parser("db", help="manage the shared PostgreSQL database")
    actions = parser.add_subparsers(dest="db_command", required=True)
    upgrade = actions.add_parser("upgrade", help="apply pending migrations")
    upgrade.set_defaults(handler=run_upgrade)


def run_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from agent.backends import is_postgres

    url = settings.database_url
    if not is_postgres(url):
        raise UserError(
            "set TESSERA_DATABASE_URL=postgresql://user@host:port/db first; the embedded "
            "SQLite files need no migrations"
        )
    import psycopg

    from agent.memory import setup_postgres_checkpointer
    from tools.pg_schema import upgrade

    try:
        report = upgrade(str(url), extra=lambda: asyncio.run(setup_postgres_checkpointer(str(url))))
    except psycopg.Error as exc:
        raise UserError(f"the database upgrade failed: {exc}") from exc
    console = Console()
    for step in report.applied:
        console.print(f"applied {step}")
    console.print(f"schema at version {report.after} (was {report.before}); checkpointer ready")
    return 0
