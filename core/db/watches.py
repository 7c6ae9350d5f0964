"""SQL for the `watches` table. Every query is scoped by guild (NULL is the local scope)."""

from __future__ import annotations

from typing import Any

import asyncpg

from core.db.pool import Connection

# Columns a caller may write; the service validates them before they reach here.
WRITABLE = (
    "name", "query", "component_type", "marketplace", "channel_id", "min_price", "max_price",
    "conditions", "buying_options", "category_ids", "min_seller_feedback", "min_seller_percent",
    "top_rated_only", "filters",
    "threshold", "cold_start_opt_in", "realert_step_pct", "poll_interval_seconds", "enabled",
)  # fmt: skip
_SCOPE = "guild_id IS NOT DISTINCT FROM $1"
_RETURNING = "RETURNING *"


def _row(record: asyncpg.Record | None) -> dict[str, Any] | None:
    return dict(record) if record is not None else None


async def insert(
    conn: Connection, guild_id: int | None, owner_id: int | None, values: dict[str, Any]
) -> dict[str, Any] | None:
    """Insert a watch; None if the name is already taken in this scope."""
    columns = ", ".join(WRITABLE)
    params = ", ".join(f"${i}" for i in range(3, len(WRITABLE) + 3))
    sql = (
        f"INSERT INTO watches (guild_id, owner_id, {columns}) VALUES ($1, $2, {params}) "
        f"ON CONFLICT DO NOTHING {_RETURNING}"
    )
    return _row(await conn.fetchrow(sql, guild_id, owner_id, *(values[c] for c in WRITABLE)))


async def update(
    conn: Connection, guild_id: int | None, watch_id: int, values: dict[str, Any]
) -> dict[str, Any] | None:
    """Overwrite a watch's writable columns."""
    assignments = ", ".join(f"{c} = ${i}" for i, c in enumerate(WRITABLE, start=3))
    sql = (
        f"UPDATE watches SET {assignments}, updated_at = now() "
        f"WHERE {_SCOPE} AND id = $2 {_RETURNING}"
    )
    return _row(await conn.fetchrow(sql, guild_id, watch_id, *(values[c] for c in WRITABLE)))


async def find_by_id(
    conn: Connection, guild_id: int | None, watch_id: int, lock: bool = False
) -> dict[str, Any] | None:
    """The watch with this id, if it is in the scope."""
    suffix = " FOR UPDATE" if lock else ""
    sql = f"SELECT * FROM watches WHERE {_SCOPE} AND id = $2{suffix}"
    return _row(await conn.fetchrow(sql, guild_id, watch_id))


async def find_by_name(
    conn: Connection, guild_id: int | None, name: str, lock: bool = False
) -> dict[str, Any] | None:
    """The watch with this name (ignoring case) in the scope."""
    suffix = " FOR UPDATE" if lock else ""
    sql = f"SELECT * FROM watches WHERE {_SCOPE} AND lower(name) = lower($2){suffix}"
    return _row(await conn.fetchrow(sql, guild_id, name.strip()))


async def list_for_scope(conn: Connection, guild_id: int | None) -> list[dict[str, Any]]:
    """Every watch in the scope, by name."""
    rows = await conn.fetch(f"SELECT * FROM watches WHERE {_SCOPE} ORDER BY lower(name)", guild_id)
    return [dict(r) for r in rows]


async def set_enabled(
    conn: Connection, guild_id: int | None, watch_id: int, enabled: bool
) -> dict[str, Any] | None:
    """Pause or resume; a resumed watch is due at once."""
    sql = (
        "UPDATE watches SET enabled = $3, updated_at = now(), "
        "next_run_at = CASE WHEN $3 THEN now() ELSE next_run_at END "
        f"WHERE {_SCOPE} AND id = $2 {_RETURNING}"
    )
    return _row(await conn.fetchrow(sql, guild_id, watch_id, enabled))


async def delete(conn: Connection, guild_id: int | None, watch_id: int) -> dict[str, Any] | None:
    """Delete a watch in the scope; returns the deleted row."""
    sql = f"DELETE FROM watches WHERE {_SCOPE} AND id = $2 {_RETURNING}"
    return _row(await conn.fetchrow(sql, guild_id, watch_id))
