"""SQL for the persisted eBay call budget (`ebay_quota`): one row per API resource."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.db.pool import Connection

_COLUMNS = "call_limit, api_limit, calls_used, window_start, reset_at, synced_at"
# When a window has passed, the next reset is the first one after `now` on the same daily grid.
_NEXT_RESET = (
    "ebay_quota.reset_at"
    " + (floor(extract(epoch FROM ($3::timestamptz - ebay_quota.reset_at)) / 86400) + 1)"
    " * interval '1 day'"
)


async def spend(
    conn: Connection, resource: str, budget: int, now: datetime
) -> dict[str, Any] | None:
    """Count one call if the window allows it (rolling a finished window); None if spent."""
    sql = f"""
        INSERT INTO ebay_quota (resource, call_limit, calls_used, window_start, reset_at)
        VALUES ($1, $2, 1, $3::timestamptz, $3::timestamptz + interval '1 day')
        ON CONFLICT (resource) DO UPDATE SET
            call_limit = $2,
            calls_used = CASE WHEN ebay_quota.reset_at <= $3::timestamptz THEN 1
                              ELSE ebay_quota.calls_used + 1 END,
            window_start = CASE WHEN ebay_quota.reset_at <= $3::timestamptz
                                THEN {_NEXT_RESET} - interval '1 day'
                                ELSE ebay_quota.window_start END,
            reset_at = CASE WHEN ebay_quota.reset_at <= $3::timestamptz THEN {_NEXT_RESET}
                            ELSE ebay_quota.reset_at END,
            updated_at = $3::timestamptz
        WHERE ebay_quota.reset_at <= $3::timestamptz
           OR ebay_quota.calls_used < LEAST(COALESCE(ebay_quota.api_limit, $2), $2)
        RETURNING {_COLUMNS}
    """
    row = await conn.fetchrow(sql, resource, budget, now)
    return dict(row) if row is not None else None


async def get(conn: Connection, resource: str) -> dict[str, Any] | None:
    """The stored state of a resource's window, if any call was ever counted."""
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM ebay_quota WHERE resource = $1", resource)
    return dict(row) if row is not None else None


async def sync(
    conn: Connection,
    resource: str,
    budget: int,
    api_limit: int,
    api_count: int,
    reset_at: datetime,
    window_seconds: int,
    now: datetime,
) -> dict[str, Any]:
    """Adopt eBay's own count, limit and reset time (the Analytics API is the authority)."""
    sql = f"""
        INSERT INTO ebay_quota
            (resource, call_limit, api_limit, calls_used, window_start, reset_at, synced_at)
        VALUES ($1, $2, $3, $4, $5::timestamptz - make_interval(secs => $6::float8), $5, $7)
        ON CONFLICT (resource) DO UPDATE SET
            call_limit = $2,
            api_limit = $3,
            -- Same window: calls we counted but eBay has not yet may be missing from its count.
            calls_used = CASE WHEN ebay_quota.reset_at = $5
                              THEN GREATEST(ebay_quota.calls_used, $4) ELSE $4 END,
            window_start = $5::timestamptz - make_interval(secs => $6::float8),
            reset_at = $5,
            synced_at = $7,
            updated_at = $7
        RETURNING {_COLUMNS}
    """
    row = await conn.fetchrow(
        sql, resource, budget, api_limit, api_count, reset_at, float(window_seconds), now
    )
    assert row is not None
    return dict(row)
