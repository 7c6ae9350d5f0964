"""SQL for category feeds: which feeds the watches need, claiming them under a lease,
matching a page of listings against every watch of the feed, finishing a run."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from core.db.pool import Connection

# The watches a feed serves: enabled, same marketplace, the feed's category among theirs.
_SERVED = "w.enabled AND w.marketplace = f.marketplace AND f.category_id = ANY(w.feed_categories)"


async def sync(conn: Connection, now: datetime) -> int:
    """Create the feeds enabled watches need, due at once; returns how many were new."""
    result = await conn.execute(
        """
        INSERT INTO feeds (marketplace, category_id, next_run_at)
        SELECT DISTINCT marketplace, unnest(feed_categories), $1::timestamptz
        FROM watches WHERE enabled
        ON CONFLICT (marketplace, category_id) DO NOTHING
        """,
        now,
    )
    return int(result.rsplit(" ", 1)[-1])


async def claim_due(
    conn: Connection, holder: str, now: datetime, lease_seconds: float, limit: int
) -> list[dict[str, Any]]:
    """Lease up to `limit` due feeds that serve at least one watch, oldest due first."""
    rows = await conn.fetch(
        f"""
        UPDATE feeds f
        SET lease_holder = $1,
            lease_expires_at = $2::timestamptz + make_interval(secs => $3::float8)
        WHERE f.id IN (
            SELECT id FROM feeds f
            WHERE next_run_at <= $2
              AND (lease_expires_at IS NULL OR lease_expires_at <= $2)
              AND EXISTS (SELECT 1 FROM watches w WHERE {_SERVED})
            ORDER BY next_run_at, id
            LIMIT $4
            FOR UPDATE SKIP LOCKED
        )
        RETURNING f.*
        """,
        holder,
        now,
        float(lease_seconds),
        limit,
    )
    return sorted((dict(r) for r in rows), key=lambda r: (r["next_run_at"], r["id"]))


async def match(
    conn: Connection, feed: dict[str, Any], listing_ids: Sequence[int], now: datetime
) -> int:
    """Record a hit for every watch of the feed each listing matches, as eBay's search
    would have: all required words, one word of each group, none excluded, the price
    range on the item price, the conditions and buying options. Returns the hits."""
    result = await conn.execute(
        """
        WITH page AS MATERIALIZED (  -- each title's words once, not once per watch
            SELECT id, marketplace, price, condition, buying_options, spt_words(title) AS words
            FROM listings WHERE id = ANY($1::bigint[]) AND marketplace = $2
        )
        INSERT INTO watch_hits (watch_id, listing_id, first_hit_at, last_hit_at)
        SELECT w.id, l.id, $3, $3
        FROM page l
        JOIN watches w ON w.enabled AND w.query_required <@ l.words
             AND w.marketplace = l.marketplace AND w.feed_categories @> ARRAY[$4::text]
        WHERE NOT (w.query_excluded && l.words)
          AND NOT EXISTS (SELECT 1 FROM unnest(w.query_groups) g
                          WHERE NOT (string_to_array(g, '|') && l.words))
          AND (w.min_price IS NULL OR l.price >= w.min_price)
          AND (w.max_price IS NULL OR l.price <= w.max_price)
          AND (cardinality(w.conditions) = 0 OR 'unknown' = ANY(w.conditions)
               OR l.condition = ANY(w.conditions))
          AND l.buying_options && CASE WHEN cardinality(w.buying_options) = 0
              THEN ARRAY['FIXED_PRICE', 'AUCTION'] ELSE w.buying_options END
        ON CONFLICT (watch_id, listing_id) DO UPDATE SET last_hit_at = EXCLUDED.last_hit_at
        """,
        list(listing_ids),
        feed["marketplace"],
        now,
        feed["category_id"],
    )
    return int(result.rsplit(" ", 1)[-1])


async def listing_ids(conn: Connection, marketplace: str, item_ids: Sequence[str]) -> list[int]:
    """The stored listings with these eBay item ids."""
    rows = await conn.fetch(
        "SELECT id FROM listings WHERE marketplace = $1 AND item_id = ANY($2::text[])",
        marketplace,
        list(item_ids),
    )
    return [r["id"] for r in rows]


async def finish(
    conn: Connection,
    feed: dict[str, Any],
    holder: str,
    *,
    now: datetime,
    stretch: float,
    calls: int,
    swept: bool,
    error: str | None,
) -> bool:
    """Record a feed run: the feed next runs at its watches' shortest interval (stretched),
    each served watch is marked run and rescheduled by its own. False if the lease was lost."""
    async with conn.transaction():
        result = await conn.execute(
            f"""
            UPDATE feeds f SET
                lease_holder = NULL, lease_expires_at = NULL, last_run_at = $3, last_error = $4,
                next_run_at = $3::timestamptz + make_interval(secs => $5::float8 * coalesce(
                    (SELECT min(poll_interval_seconds) FROM watches w WHERE {_SERVED}), 900)),
                avg_calls_per_run = CASE WHEN $6 > 0
                    THEN 0.7 * avg_calls_per_run + 0.3 * $6 ELSE avg_calls_per_run END,
                last_sweep_at = CASE WHEN $7 THEN $3 ELSE last_sweep_at END
            WHERE id = $1 AND lease_holder = $2
            """,
            feed["id"], holder, now, error, stretch, float(calls), swept,
        )  # fmt: skip
        await conn.execute(
            f"""
            UPDATE watches w SET last_run_at = $2, last_error = $3,
                next_run_at = $2::timestamptz
                    + make_interval(secs => w.poll_interval_seconds * $4::float8)
            FROM feeds f WHERE f.id = $1 AND {_SERVED}
            """,
            feed["id"], now, error, stretch,
        )  # fmt: skip
    return result.endswith(" 1")


async def demand(conn: Connection) -> list[tuple[int, float]]:
    """(shortest interval of its watches, average calls per run) of every feed in use."""
    rows = await conn.fetch(
        f"""
        SELECT (SELECT min(poll_interval_seconds) FROM watches w WHERE {_SERVED}) AS interval,
               avg_calls_per_run
        FROM feeds f WHERE EXISTS (SELECT 1 FROM watches w WHERE {_SERVED})
        """
    )
    return [(int(r["interval"]), float(r["avg_calls_per_run"])) for r in rows]


async def release_all(conn: Connection, holder: str) -> int:
    """Give back every feed lease this process holds."""
    result = await conn.execute(
        "UPDATE feeds SET lease_holder = NULL, lease_expires_at = NULL WHERE lease_holder = $1",
        holder,
    )
    return int(result.rsplit(" ", 1)[-1])
