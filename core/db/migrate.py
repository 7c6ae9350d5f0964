"""Numbered plain-SQL migrations (`migrations/NNN_name.sql`), each applied in its own transaction.

Applied migrations are recorded with a checksum; editing one after it landed is refused,
since databases that already ran it would silently differ from new ones.

A migration whose first line is `-- spt: no transaction` runs outside a transaction, one
statement at a time: that is how PostgreSQL builds a large index without locking the
table (`CREATE INDEX CONCURRENTLY` refuses to run inside a transaction). Such a file
holds only idempotent statements (`IF NOT EXISTS`), split on `;` at line ends; an
invalid index a crashed build left behind is dropped before it is built again.
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
_NO_TRANSACTION = "-- spt: no transaction"
_LOCK_POLL_SECONDS = 0.1
_STATEMENT_END = re.compile(r";\s*$", re.MULTILINE)
_CONCURRENT_INDEX = re.compile(
    r"^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+IF\s+NOT\s+EXISTS\s+(\w+)", re.I
)


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

    @property
    def transactional(self) -> bool:
        """False for a file marked to run outside a transaction (concurrent index builds)."""
        return not self.sql.lstrip().startswith(_NO_TRANSACTION)

    def statements(self) -> list[str]:
        """The file's statements, for a migration that runs one statement at a time."""
        parts = (part.strip() for part in _STATEMENT_END.split(self.sql))
        return [part for part in parts if _code(part)]


def _code(sql: str) -> str:
    """The SQL without its comment lines (empty when there is nothing to run)."""
    lines = (line for line in sql.splitlines() if not line.strip().startswith("--"))
    return "\n".join(lines).strip()


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
        await _lock(conn)
        try:
            await conn.execute(_BOOTSTRAP)
            for migration in await pending(conn, migrations):
                try:
                    if migration.transactional:
                        async with conn.transaction():
                            await conn.execute(migration.sql)
                            await _record(conn, migration)
                    else:
                        await _apply_one_by_one(conn, migration)
                except asyncpg.PostgresError as exc:
                    raise MigrationError(f"{migration.label}.sql failed: {exc}") from exc
                log.info("applied migration %s", migration.label)
                done.append(migration)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    return done


async def _lock(conn: Connection) -> None:
    """Take the migration lock, polling: a session blocked in pg_advisory_lock holds a
    snapshot, and a concurrent index build waits for every snapshot, so waiting inside
    the lock call would deadlock against the process that is migrating."""
    while True:
        if await conn.fetchval("SELECT pg_try_advisory_lock($1)", _LOCK_KEY):
            return
        await asyncio.sleep(_LOCK_POLL_SECONDS)


async def _record(conn: Connection, migration: Migration) -> None:
    await conn.execute(
        "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
        migration.version, migration.name, migration.checksum,
    )  # fmt: skip


async def _apply_one_by_one(conn: Connection, migration: Migration) -> None:
    """Run a no-transaction migration: each statement on its own, then record it. A crash
    in between leaves it unrecorded, so the next start runs it again (its statements are
    idempotent); an index a crashed concurrent build left invalid is rebuilt."""
    for statement in migration.statements():
        index = _CONCURRENT_INDEX.match(_code(statement))
        if index is not None:
            invalid = await conn.fetchval(
                "SELECT NOT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE c.relname = $1 AND c.relnamespace = 'public'::regnamespace",
                index.group(1),
            )
            if invalid:
                await conn.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{index.group(1)}"')
        await conn.execute(statement)
    await _record(conn, migration)


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
