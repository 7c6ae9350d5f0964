"""SQL for feedback on alerts ("Not a deal"), per watch and per product key.

Every query is scoped by guild (NULL is the local scope). Only delivered alerts count: a
member can judge only an alert that reached them, and an alert that never went out says
nothing about the watch's precision.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.db.pool import Connection

# COALESCE matches the alerts_guild_status index (003), which IS NOT DISTINCT FROM cannot use.
_SCOPE = "COALESCE(a.guild_id, 0) = COALESCE($1::bigint, 0)"


async def counts(
    conn: Connection, guild_id: int | None, since: datetime, watch_id: int | None = None
) -> list[dict[str, Any]]:
    """Delivered and not-a-deal alerts created since `since`, per watch and product key
    (the alert's listing's current extraction's key; None when it has none)."""
    # Only the filters given are named, so the planner can use the watch's index.
    only_watch = "AND a.watch_id = $3" if watch_id is not None else ""
    args: tuple[Any, ...] = (guild_id, since) if watch_id is None else (guild_id, since, watch_id)
    rows = await conn.fetch(
        f"""
        SELECT a.watch_id, e.product_key, count(*) AS delivered,
               count(*) FILTER (WHERE a.feedback = 'not_a_deal') AS not_a_deal
        FROM alerts a
        LEFT JOIN extractions e ON e.listing_id = a.listing_id AND e.is_current
        WHERE {_SCOPE} AND a.created_at >= $2 AND a.delivered_at IS NOT NULL {only_watch}
        GROUP BY a.watch_id, e.product_key
        ORDER BY a.watch_id, not_a_deal DESC, e.product_key NULLS LAST
        """,
        *args,
    )
    return [dict(r) for r in rows]


async def judged_alerts(
    conn: Connection, guild_id: int | None, watch_id: int, since: datetime, limit: int = 2000
) -> list[dict[str, Any]]:
    """A watch's delivered alerts created since `since`, newest first: unit price, feedback,
    and the listing's product key and attributes (to find a stricter setting)."""
    rows = await conn.fetch(
        f"""
        SELECT a.id, a.unit_price, a.currency, a.feedback, e.product_key, e.attributes
        FROM alerts a
        LEFT JOIN extractions e ON e.listing_id = a.listing_id AND e.is_current
        WHERE {_SCOPE} AND a.watch_id = $2 AND a.created_at >= $3 AND a.delivered_at IS NOT NULL
        ORDER BY a.created_at DESC, a.id DESC LIMIT $4
        """,
        guild_id, watch_id, since, limit,
    )  # fmt: skip
    return [dict(r) for r in rows]
