"""SQL for `guild_settings`: one row per Discord guild, read and written only by that guild.

`with_quiet_hours` is the one query across guilds: alert delivery, which serves every
guild, asks which of them are in quiet hours.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.db.pool import Connection

# Columns `/config` writes; the service validates them before they reach here.
WRITABLE = (
    "manager_role_ids", "default_channel_id", "quiet_start", "quiet_end", "timezone",
    "daily_cap",
)  # fmt: skip
_COLUMNS = ", ".join(("guild_id", *WRITABLE, "updated_at"))


async def get(conn: Connection, guild_id: int, lock: bool = False) -> dict[str, Any] | None:
    """The guild's row, if it has one."""
    suffix = " FOR UPDATE" if lock else ""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM guild_settings WHERE guild_id = $1{suffix}", guild_id
    )
    return dict(row) if row is not None else None


async def upsert(conn: Connection, guild_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Write the guild's settings (creating its row on first use); returns the row."""
    params = ", ".join(f"${i}" for i in range(2, len(WRITABLE) + 2))
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in WRITABLE)
    row = await conn.fetchrow(
        f"INSERT INTO guild_settings (guild_id, {', '.join(WRITABLE)}) VALUES ($1, {params}) "
        f"ON CONFLICT (guild_id) DO UPDATE SET {updates}, updated_at = now() "
        f"RETURNING {_COLUMNS}",
        guild_id,
        *(values[c] for c in WRITABLE),
    )
    assert row is not None
    return dict(row)


async def with_quiet_hours(conn: Connection) -> list[dict[str, Any]]:
    """Every guild that has quiet hours, with them and its time zone."""
    rows = await conn.fetch(
        "SELECT guild_id, quiet_start, quiet_end, timezone FROM guild_settings "
        "WHERE quiet_start IS NOT NULL"
    )
    return [dict(r) for r in rows]


async def capped_between(conn: Connection, guild_id: int, start: datetime, end: datetime) -> int:
    """The guild's alerts held back by a daily cap between `start` and `end`."""
    value = await conn.fetchval(
        "SELECT count(*) FROM alerts WHERE COALESCE(guild_id, 0) = $1 AND status = 'capped' "
        "AND created_at >= $2 AND created_at < $3",
        guild_id,
        start,
        end,
    )
    return int(value)
