"""The engine's database as the application opens it: one pool (embedded or from
`database.url`), migrated, and the health and readiness questions asked of it.

Only core/ reaches into `core.db` (its repositories hold the only SQL); the composition
root, the side server and the CLI come through here.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from core.db.embedded import EmbeddedPostgresError
from core.db.migrate import MigrationError, migrate, readiness
from core.db.pool import Database, Pool, open_database, ping
from core.settings import DatabaseSettings

__all__ = [
    "Database",
    "EmbeddedPostgresError",
    "MigrationError",
    "Pool",
    "Storage",
    "open_storage",
    "ping",
    "readiness",
]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Storage:
    """An open, migrated database and the migrations this opening applied."""

    database: Database
    migrations_applied: list[str] = field(default_factory=list)

    @property
    def pool(self) -> Pool:
        """The pool every service shares."""
        return self.database.pool


@asynccontextmanager
async def open_storage(config: DatabaseSettings) -> AsyncIterator[Storage]:
    """Open the database (embedded when there is no URL) and apply pending migrations."""
    async with open_database(config) as db:
        applied = await migrate(db.pool)
        if applied:
            log.info("database migrated: %s", ", ".join(m.label for m in applied))
        yield Storage(db, [m.label for m in applied])
