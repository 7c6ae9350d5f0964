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
_W_SCOPE = "w.guild_id IS NOT DISTINCT FROM $1"
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
    channel = f"${WRITABLE.index('channel_id') + 3}"
    # A new channel gets a fresh chance: the old one's delivery problem no longer applies.
    clear = (
        f"delivery_error = CASE WHEN channel_id IS DISTINCT FROM {channel} THEN NULL "
        f"ELSE delivery_error END, delivery_error_at = CASE WHEN channel_id IS DISTINCT FROM "
        f"{channel} THEN NULL ELSE delivery_error_at END"
    )
    sql = (
        f"UPDATE watches SET {assignments}, {clear}, updated_at = now() "
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
    """Pause or resume; a resumed watch is due at once and no longer muted."""
    sql = (
        "UPDATE watches SET enabled = $3, updated_at = now(), "
        "next_run_at = CASE WHEN $3 THEN now() ELSE next_run_at END, "
        "muted_until = CASE WHEN $3 THEN NULL ELSE muted_until END "
        f"WHERE {_SCOPE} AND id = $2 {_RETURNING}"
    )
    return _row(await conn.fetchrow(sql, guild_id, watch_id, enabled))


async def delete(conn: Connection, guild_id: int | None, watch_id: int) -> dict[str, Any] | None:
    """Delete a watch in the scope; returns the deleted row."""
    sql = f"DELETE FROM watches WHERE {_SCOPE} AND id = $2 {_RETURNING}"
    return _row(await conn.fetchrow(sql, guild_id, watch_id))


async def names(
    conn: Connection, guild_id: int | None, fragment: str, limit: int
) -> list[dict[str, Any]]:
    """Watches of the scope whose name contains `fragment` (autocomplete), by name."""
    rows = await conn.fetch(
        f"SELECT id, name, enabled FROM watches WHERE {_SCOPE} "
        "AND strpos(lower(name), lower($2)) > 0 ORDER BY lower(name) LIMIT $3",
        guild_id,
        fragment,
        limit,
    )
    return [dict(r) for r in rows]


async def scope_overview(conn: Connection, guild_id: int | None, now: Any) -> dict[str, Any]:
    """Counts and times of the scope's watches for /status."""
    row = await conn.fetchrow(
        f"""
        SELECT count(*) AS total,
               count(*) FILTER (WHERE enabled) AS enabled,
               count(*) FILTER (WHERE enabled AND next_run_at <= $2) AS due,
               count(*) FILTER (WHERE muted_until > $2) AS muted,
               min(next_run_at) FILTER (WHERE enabled) AS next_due,
               max(last_run_at) AS last_run
        FROM watches WHERE {_SCOPE}
        """,
        guild_id,
        now,
    )
    assert row is not None
    return dict(row)


async def problems(conn: Connection, guild_id: int | None) -> list[dict[str, Any]]:
    """The scope's watches whose last run failed or whose channel refused alerts."""
    rows = await conn.fetch(
        f"SELECT id, name, last_error, delivery_error, delivery_error_at, last_run_at "
        f"FROM watches WHERE {_SCOPE} AND (delivery_error IS NOT NULL "
        "OR (enabled AND last_error IS NOT NULL)) ORDER BY lower(name) LIMIT 25",
        guild_id,
    )
    return [dict(r) for r in rows]


async def stats(conn: Connection, guild_id: int | None) -> dict[int, dict[str, Any]]:
    """Hits and alerts per watch of the scope (for the dashboard's watch list)."""
    rows = await conn.fetch(
        f"""
        SELECT w.id,
               (SELECT count(*) FROM watch_hits h WHERE h.watch_id = w.id) AS hits,
               (SELECT count(*) FROM alerts a WHERE a.watch_id = w.id) AS alerts,
               (SELECT max(a.created_at) FROM alerts a WHERE a.watch_id = w.id) AS last_alert_at
        FROM watches w WHERE {_W_SCOPE}
        """,
        guild_id,
    )
    return {r["id"]: dict(r) for r in rows}


async def alert_channels(conn: Connection) -> list[dict[str, Any]]:
    """Every channel alerts may go to: enabled watches' own, and each guild's default."""
    rows = await conn.fetch(
        """
        SELECT channel_id, guild_id, count(*) AS watches, false AS guild_default
        FROM watches WHERE enabled AND channel_id IS NOT NULL GROUP BY channel_id, guild_id
        UNION ALL
        SELECT default_channel_id, guild_id, 0, true FROM guild_settings
        WHERE default_channel_id IS NOT NULL
        ORDER BY channel_id
        """
    )
    return [dict(r) for r in rows]
