"""The asyncpg pool, and the one place that decides between a URL and the embedded server."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from core.db.embedded import EmbeddedPostgres
from core.settings import DatabaseSettings

log = logging.getLogger(__name__)

Pool = asyncpg.Pool
# A plain connection or one borrowed from the pool: the repositories accept either.
Connection = asyncpg.Connection | PoolConnectionProxy


@dataclass(frozen=True)
class Database:
    """An open pool and how we reached the server."""

    pool: Pool
    embedded: bool
    # For a connection of its own outside the pool (a LISTEN); it may hold a password.
    dsn: str = field(repr=False)


async def _init_connection(conn: asyncpg.Connection) -> None:
    # jsonb in and out as Python values, so callers never hand-encode JSON.
    for kind in ("json", "jsonb"):
        await conn.set_type_codec(kind, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Pool release hook: nothing to undo.

    asyncpg's default sends `RESET ALL; UNLISTEN *; ...` on every release, a round trip per
    query in hot loops. spt leaves no session state on pooled connections (no SET, LISTEN
    or cursors; the migration lock is released explicitly); asyncpg still rolls back an
    open transaction itself. Code that needs session state uses a dedicated connection.
    """


async def create_pool(dsn: str, config: DatabaseSettings) -> Pool:
    """A pool whose connections speak jsonb as Python values."""
    pool = await asyncpg.create_pool(
        dsn,
        min_size=config.pool_min_size,
        max_size=config.pool_max_size,
        command_timeout=config.command_timeout_seconds,
        init=_init_connection,
        reset=_keep_session,
    )
    assert pool is not None
    return pool


@asynccontextmanager
async def open_database(config: DatabaseSettings) -> AsyncIterator[Database]:
    """Connect to `database.url`, or start the embedded server when there is none."""
    embedded: EmbeddedPostgres | None = None
    if config.url is not None:
        dsn = config.url.get_secret_value()
    else:
        embedded = EmbeddedPostgres(config.data_dir)
        dsn = await embedded.start()
    try:
        pool = await create_pool(dsn, config)
    except BaseException:
        if embedded is not None:
            await embedded.stop()
        raise
    try:
        yield Database(pool, embedded is not None, dsn)
    finally:
        await pool.close()
        if embedded is not None:
            await embedded.stop()


async def ping(pool: Pool) -> object:
    """One round trip to the server (the health check)."""
    return await pool.fetchval("SELECT 1")
