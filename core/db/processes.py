"""The `processes` table: which spt processes run the pipeline, and when each was last seen."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from core.db.pool import Connection


async def beat(
    conn: Connection, process_id: str, roles: Sequence[str], started: datetime, now: datetime
) -> None:
    """Say this process is alive now, doing `roles`."""
    await conn.execute(
        """
        INSERT INTO processes (process_id, roles, started_at, seen_at) VALUES ($1, $2, $3, $4)
        ON CONFLICT (process_id) DO UPDATE SET roles = EXCLUDED.roles, seen_at = EXCLUDED.seen_at
        """,
        process_id,
        list(roles),
        started,
        now,
    )


async def leave(conn: Connection, process_id: str) -> None:
    """This process stops: forget it at once."""
    await conn.execute("DELETE FROM processes WHERE process_id = $1", process_id)


async def alive(conn: Connection, since: datetime) -> list[dict[str, Any]]:
    """Processes seen since `since`, oldest first; rows not seen for a day are dropped."""
    await conn.execute(
        "DELETE FROM processes WHERE seen_at < $1::timestamptz - interval '1 day'", since
    )
    rows = await conn.fetch(
        "SELECT process_id, roles, started_at, seen_at FROM processes WHERE seen_at >= $1 "
        "ORDER BY started_at",
        since,
    )
    return [dict(r) for r in rows]
