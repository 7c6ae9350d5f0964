"""SQL for scheduling watch runs: claiming due watches under a lease, finishing runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.db.pool import Connection

# The advisory lock that serialises claiming watches (any constant unique to spt).
CLAIM_LOCK_KEY = 0x5F7_C1A1


async def claim_due(
    conn: Connection,
    holder: str,
    now: datetime,
    lease_seconds: float,
    limit: int,
    feeds: bool = False,
) -> list[dict[str, Any]]:
    """Lease up to `limit` due, enabled watches nobody else holds (oldest due first), and
    with them every free enabled watch making the same search (`search_key`), due or not:
    one search serves them all.

    Claims are serialised across processes by a transaction advisory lock: two processes
    claiming at once could otherwise each take a different due watch of one search and
    both run it. They are short, so the wait is too. An expired lease (a crashed holder)
    counts as free. With `feeds` (ebay.category_feeds), watches a category feed serves
    make no search of their own and are never claimed here.
    """
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", CLAIM_LOCK_KEY)
        rows = await _claim(conn, holder, now, lease_seconds, limit, feeds)
    return sorted((dict(r) for r in rows), key=lambda r: (r["next_run_at"], r["id"]))


async def _claim(
    conn: Connection, holder: str, now: datetime, lease_seconds: float, limit: int, feeds: bool
) -> list[Any]:
    return await conn.fetch(
        """
        WITH due AS (
            SELECT id, search_key FROM watches d
            WHERE enabled AND next_run_at <= $2
              AND (lease_expires_at IS NULL OR lease_expires_at <= $2)
              AND NOT ($5 AND cardinality(feed_categories) > 0)
              -- a search another process is running now serves this watch next time
              AND NOT EXISTS (
                  SELECT 1 FROM watches o
                  WHERE o.enabled AND o.search_key = d.search_key AND o.lease_expires_at > $2)
            ORDER BY next_run_at, id
            LIMIT $4
            FOR UPDATE SKIP LOCKED
        ), sharing AS (
            SELECT w.id FROM watches w
            WHERE w.enabled AND w.search_key IN (SELECT search_key FROM due)
              AND (w.lease_expires_at IS NULL OR w.lease_expires_at <= $2)
              AND NOT ($5 AND cardinality(w.feed_categories) > 0)
            FOR UPDATE SKIP LOCKED
        )
        UPDATE watches w
        SET lease_holder = $1,
            lease_expires_at = $2::timestamptz + make_interval(secs => $3::float8)
        WHERE w.id IN (SELECT id FROM due UNION SELECT id FROM sharing)
        RETURNING w.*
        """,
        holder,
        now,
        float(lease_seconds),
        limit,
        feeds,
    )


async def finish_run(
    conn: Connection,
    watch_id: int,
    holder: str,
    *,
    now: datetime,
    next_run_at: datetime,
    calls: int,
    swept: bool,
    error: str | None,
) -> bool:
    """Record a run and release the lease; False if the lease was lost to another process."""
    result = await conn.execute(
        """
        UPDATE watches SET
            lease_holder = NULL,
            lease_expires_at = NULL,
            last_run_at = $3,
            next_run_at = $4,
            last_error = $5,
            avg_calls_per_run = CASE WHEN $6 > 0
                THEN 0.7 * avg_calls_per_run + 0.3 * $6 ELSE avg_calls_per_run END,
            last_sweep_at = CASE WHEN $7 THEN $3 ELSE last_sweep_at END
        WHERE id = $1 AND lease_holder = $2
        """,
        watch_id,
        holder,
        now,
        next_run_at,
        error,
        float(calls),
        swept,
    )
    return result.endswith(" 1")


async def release_all(conn: Connection, holder: str) -> int:
    """Give back every lease this process holds (clean shutdown)."""
    result = await conn.execute(
        "UPDATE watches SET lease_holder = NULL, lease_expires_at = NULL WHERE lease_holder = $1",
        holder,
    )
    return int(result.rsplit(" ", 1)[-1])


async def demand(conn: Connection, feeds: bool = False) -> list[tuple[int, float]]:
    """(poll interval seconds, average calls per run) of every search the enabled watches
    make: watches sharing a search count once, at the shortest of their intervals. With
    `feeds`, watches a category feed serves make none (`core.db.feeds.demand` has theirs)."""
    rows = await conn.fetch(
        "SELECT min(poll_interval_seconds) AS poll_interval_seconds, "
        "max(avg_calls_per_run) AS avg_calls_per_run "
        "FROM watches WHERE enabled AND NOT ($1 AND cardinality(feed_categories) > 0) "
        "GROUP BY search_key",
        feeds,
    )
    return [(r["poll_interval_seconds"], float(r["avg_calls_per_run"])) for r in rows]


async def enabled_count(conn: Connection) -> int:
    """How many watches are enabled."""
    return int(await conn.fetchval("SELECT count(*) FROM watches WHERE enabled"))


async def due_count(conn: Connection, now: datetime) -> int:
    """How many enabled watches are due."""
    value = await conn.fetchval(
        "SELECT count(*) FROM watches WHERE enabled AND next_run_at <= $1", now
    )
    return int(value)


async def next_due(conn: Connection) -> datetime | None:
    """When the next enabled watch is due."""
    value: datetime | None = await conn.fetchval(
        "SELECT min(next_run_at) FROM watches WHERE enabled"
    )
    return value


async def failing(conn: Connection, limit: int) -> list[dict[str, Any]]:
    """Enabled watches whose last run failed, most recently run first, with the error."""
    rows = await conn.fetch(
        "SELECT id, guild_id, name, last_error, last_run_at FROM watches "
        "WHERE enabled AND last_error IS NOT NULL ORDER BY last_run_at DESC NULLS LAST, id "
        "LIMIT $1",
        limit,
    )
    return [dict(r) for r in rows]


async def overview(conn: Connection, now: datetime) -> dict[str, Any]:
    """Counts and times for status displays: enabled, due, next due, last run, failing."""
    row = await conn.fetchrow(
        """
        SELECT count(*) FILTER (WHERE enabled) AS enabled,
               count(*) FILTER (WHERE enabled AND next_run_at <= $1) AS due,
               min(next_run_at) FILTER (WHERE enabled) AS next_due,
               max(last_run_at) AS last_run,
               count(*) FILTER (WHERE enabled AND last_error IS NOT NULL) AS failing
        FROM watches
        """,
        now,
    )
    assert row is not None
    return dict(row)
