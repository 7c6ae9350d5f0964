"""What people do with an alert: dismiss it, mute its watch for a while, say it is no deal.

The bot's alert buttons and the web dashboard call this service; every action is scoped
to the guild the alert belongs to, so a forged button id from another guild finds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from core.clock import Clock
from core.db import alerts as repo
from core.db.pool import Pool

NOT_A_DEAL = "not_a_deal"
DEFAULT_MUTE = timedelta(hours=24)


class AlertNotFoundError(LookupError):
    """No such alert in this scope."""


@dataclass(frozen=True)
class AlertInfo:
    """An alert as its actions report it."""

    alert_id: int
    watch_id: int
    watch_name: str
    listing_id: int
    title: str
    url: str | None
    status: str
    score: Decimal
    unit_price: Decimal
    currency: str
    feedback: str | None
    muted_until: datetime | None


def _info(row: dict[str, Any]) -> AlertInfo:
    return AlertInfo(
        alert_id=row["id"],
        watch_id=row["watch_id"],
        watch_name=str(row["watch_name"]),
        listing_id=row["listing_id"],
        title=str(row["title"]),
        url=row["url"],
        status=str(row["status"]),
        score=row["score"],
        unit_price=row["unit_price"],
        currency=str(row["currency"]),
        feedback=row["feedback"],
        muted_until=row["muted_until"],
    )


class AlertActions:
    """Dismiss, restore, mute and feedback, within one scope."""

    def __init__(self, pool: Pool, clock: Clock) -> None:
        self._pool = pool
        self._clock = clock

    async def get(self, guild_id: int | None, alert_id: int) -> AlertInfo:
        """One alert of the scope."""
        async with self._pool.acquire() as conn:
            row = await repo.get(conn, guild_id, alert_id)
        if row is None:
            raise AlertNotFoundError(f"no alert {alert_id} here")
        return _info(row)

    async def dismiss(self, guild_id: int | None, alert_id: int, user_id: int | None) -> AlertInfo:
        """Dismiss one alert (if it has not gone out yet, it never will)."""
        info = await self.get(guild_id, alert_id)
        async with self._pool.acquire() as conn:
            await repo.dismiss(conn, guild_id, [alert_id], user_id, self._clock())
        return await self.get(guild_id, info.alert_id)

    async def dismiss_message(
        self, guild_id: int | None, message_id: int, user_id: int | None
    ) -> int:
        """Dismiss every alert a Discord message (a digest) carried; returns how many."""
        async with self._pool.acquire() as conn:
            ids = await repo.alerts_in_message(conn, guild_id, message_id)
            if not ids:
                raise AlertNotFoundError("this message carries no alert of this server")
            return await repo.dismiss(conn, guild_id, ids, user_id, self._clock())

    async def restore(self, guild_id: int | None, alert_id: int) -> AlertInfo:
        """Undo a dismissal."""
        await self.get(guild_id, alert_id)
        async with self._pool.acquire() as conn:
            await repo.restore(conn, guild_id, alert_id, self._clock())
        return await self.get(guild_id, alert_id)

    async def not_a_deal(
        self, guild_id: int | None, alert_id: int, user_id: int | None
    ) -> AlertInfo:
        """Record that this alert was no deal (kept for tuning scores and thresholds)."""
        await self.get(guild_id, alert_id)
        async with self._pool.acquire() as conn:
            await repo.set_feedback(conn, guild_id, alert_id, NOT_A_DEAL, user_id, self._clock())
        return await self.get(guild_id, alert_id)

    async def mute_watch(
        self, guild_id: int | None, alert_id: int, duration: timedelta = DEFAULT_MUTE
    ) -> tuple[AlertInfo, int]:
        """Mute the alert's watch for `duration`; returns it and how many queued alerts it held."""
        info = await self.get(guild_id, alert_id)
        async with self._pool.acquire() as conn:
            held = await repo.mute_watch(conn, guild_id, info.watch_id, self._clock() + duration)
        return await self.get(guild_id, alert_id), held
