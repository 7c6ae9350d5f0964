"""Numbered plain-SQL migrations (`migrations/NNN_name.sql`), each applied in its own transaction.

Applied migrations are recorded with a checksum; editing one after it landed is refused,
since databases that already ran it would silently differ from new ones.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from core.db.pool import Connection

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_NAME = re.compile(r"^(?P<version>\d{3})_(?P<name>[a-z0-9_]+)\.sql$")
# Any constant works; it only has to be the same for every spt process.
_LOCK_KEY = 0x5B7_0001


class MigrationError(RuntimeError):
    """The migrations on disk and in the database disagree, or one failed."""


@dataclass(frozen=True)
class Migration:
    """One migration file."""

    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        """SHA-256 of the file's text."""
        return hashlib.sha256(self.sql.encode()).hexdigest()

    @property
    def label(self) -> str:
        """`001_initial` style name."""
        return f"{self.version:03d}_{self.name}"


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Read every migration file, in order; gaps, duplicates and stray names are errors."""
    migrations: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named NNN_lowercase_name.sql")
        migrations.append(
            Migration(int(match["version"]), match["name"], path.read_text(encoding="utf-8"))
        )
    for expected, migration in enumerate(migrations, start=1):
        if migration.version != expected:
            raise MigrationError(
                f"{migration.label}.sql: expected migration number {expected:03d} "
                "(numbers start at 001 with no gaps or repeats)"
            )
    return migrations


_BOOTSTRAP = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


async def applied_versions(conn: Connection) -> dict[int, str]:
    """Version -> checksum of every migration the database has run (empty if none)."""
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    if not exists:
        return {}
    rows = await conn.fetch("SELECT version, checksum FROM schema_migrations")
    return {row["version"]: row["checksum"] for row in rows}


def _check_history(migrations: list[Migration], applied: dict[int, str]) -> None:
    known = {m.version: m for m in migrations}
    for version, checksum in sorted(applied.items()):
        migration = known.get(version)
        if migration is None:
            raise MigrationError(
                f"the database has migration {version:03d}, which this spt does not know: "
                "it was migrated by a newer version"
            )
        if migration.checksum != checksum:
            raise MigrationError(
                f"{migration.label}.sql changed after it was applied; "
                "landed migrations are never edited, add a new one instead"
            )


async def pending(conn: Connection, migrations: list[Migration] | None = None) -> list[Migration]:
    """Migrations not yet applied (raises MigrationError if the history disagrees)."""
    migrations = discover() if migrations is None else migrations
    applied = await applied_versions(conn)
    _check_history(migrations, applied)
    return [m for m in migrations if m.version not in applied]


async def migrate(pool: asyncpg.Pool, migrations: list[Migration] | None = None) -> list[Migration]:
    """Apply every pending migration, each in its own transaction; returns those applied now.

    A session advisory lock serialises concurrent spt processes starting together.
    """
    migrations = discover() if migrations is None else migrations
    done: list[Migration] = []
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
        try:
            await conn.execute(_BOOTSTRAP)
            for migration in await pending(conn, migrations):
                try:
                    async with conn.transaction():
                        await conn.execute(migration.sql)
                        await conn.execute(
                            "INSERT INTO schema_migrations (version, name, checksum) "
                            "VALUES ($1, $2, $3)",
                            migration.version,
                            migration.name,
                            migration.checksum,
                        )
                except asyncpg.PostgresError as exc:
                    raise MigrationError(f"{migration.label}.sql failed: {exc}") from exc
                log.info("applied migration %s", migration.label)
                done.append(migration)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    return done


READINESS_TIMEOUT_SECONDS = 3.0


async def readiness(pool: asyncpg.Pool) -> str | None:
    """Why this database cannot serve spt now (unreachable, migrations behind or edited),
    or None when it can."""
    timeout = READINESS_TIMEOUT_SECONDS
    try:
        async with asyncio.timeout(timeout):
            async with pool.acquire() as conn:
                await conn.fetchval("SELECT 1")
                waiting = await pending(conn)
    except MigrationError as exc:
        return f"migrations: {exc}"
    except TimeoutError:
        return f"database did not answer within {timeout:g}s"
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        return f"database unreachable: {exc}"
    if waiting:
        return "migrations pending: " + ", ".join(m.label for m in waiting)
    return None
