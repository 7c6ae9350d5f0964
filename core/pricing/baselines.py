"""Market baselines: what a product usually costs, per product key and currency.

A full refresh runs every `schedule.baseline_refresh_seconds`; between them, product
keys whose listings changed are refreshed incrementally, so a new listing's market is
current within seconds. Each refresh also writes today's row of the daily history.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from core.clock import Clock
from core.db import baselines as repo
from core.db.pool import Pool
from core.jobs.loop import repeat
from core.observability.metrics import BASELINES
from core.settings import Settings

log = logging.getLogger(__name__)

INCREMENTAL_SECONDS = 15.0


@dataclass(frozen=True)
class Baseline:
    """Unit-price percentiles of one product key in one currency."""

    product_key: str
    currency: str
    sample_count: int
    sold_count: int
    p10: Decimal | None
    p25: Decimal | None
    p50: Decimal | None
    p75: Decimal | None
    p90: Decimal | None
    mean: Decimal | None
    window_days: int
    computed_at: datetime
    left_out_for_parts: int = 0
    left_out_low: int = 0
    left_out_lots: int = 0
    left_out_high: int = 0

    def left_out(self) -> list[str]:
        """What the refresh left out of this baseline and why, in words."""
        reasons = (
            (self.left_out_for_parts, "for parts or announcing a fault"),
            (self.left_out_low, "priced far under the rest (a fault or a misread)"),
            (self.left_out_lots, "lots priced per unit far under the rest"),
            (self.left_out_high, "absurd asking prices far over the rest"),
        )
        return [f"{count} {why}" for count, why in reasons if count]

    def maturity(self, cold_min: int, alert_min: int) -> str | None:
        """None for a mature baseline, else why its listings do not alert yet, in words."""
        if self.sample_count < cold_min:
            return (f"immature: {self.sample_count} of the {cold_min} prices needed to "
                    "judge a price")  # fmt: skip
        if self.sample_count < alert_min:
            return (f"immature: {self.sample_count} of the {alert_min} prices needed "
                    "before its listings alert")  # fmt: skip
        return None

    def is_cold(self, min_samples: int) -> bool:
        """Too few samples for the price factor to mean anything (DOMAIN.md: under 10)."""
        return self.sample_count < min_samples

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Baseline:
        """Build from a `baselines` row."""
        return cls(**row)


@dataclass(frozen=True)
class RefreshResult:
    """What a refresh did."""

    refreshed: int
    removed: int
    keys: int | None  # None for a full refresh


class BaselineService:
    """Refreshes and reads baselines."""

    def __init__(
        self,
        pool: Pool,
        settings: Callable[[], Settings],
        clock: Clock,
        on_refreshed: Callable[[list[str] | None], Awaitable[Any]] | None = None,
    ) -> None:
        self._pool = pool
        self._settings = settings
        self._clock = clock
        self._on_refreshed = on_refreshed  # e.g. rescore listings of the refreshed keys
        self._last_refresh: datetime | None = None

    async def refresh(self, keys: list[str] | None = None) -> RefreshResult:
        """Recompute every baseline, or only those of `keys`."""
        now = self._clock()
        scoring = self._settings().scoring
        async with self._pool.acquire() as conn:
            refreshed, removed = await repo.refresh(conn, now, scoring.baseline_window_days, keys)
            warm, cold = await repo.maturity(conn, scoring.cold_start_min_samples)
        BASELINES.labels("warm").set(warm)
        BASELINES.labels("cold").set(cold)
        if keys is None:
            self._last_refresh = now
        if self._on_refreshed is not None and (keys is None or keys):
            await self._on_refreshed(keys)
        return RefreshResult(refreshed, removed, None if keys is None else len(keys))

    async def refresh_changed(self) -> RefreshResult:
        """Refresh the product keys whose listings changed since the last refresh."""
        started = self._clock()
        since = self._last_refresh
        if since is None:
            return await self.refresh()
        async with self._pool.acquire() as conn:
            keys = await repo.changed_keys(conn, since)
        result = await self.refresh(keys) if keys else RefreshResult(0, 0, 0)
        self._last_refresh = started
        return result

    async def search(
        self,
        currency: str | None = None,
        min_samples: int = 0,
        prefix: str | None = None,
        limit: int = 100,
        offset: int = 0,
        contains: str | None = None,
    ) -> list[Baseline]:
        """Baselines, most samples first."""
        async with self._pool.acquire() as conn:
            rows = await repo.list_all(conn, currency, min_samples, prefix, limit, offset,
                                       contains)  # fmt: skip
        return [Baseline.from_row(r) for r in rows]

    async def get(self, key: str) -> list[Baseline]:
        """A product key's baselines, one per currency."""
        async with self._pool.acquire() as conn:
            return [Baseline.from_row(r) for r in await repo.get(conn, key.strip().lower())]

    async def history(self, key: str, currency: str, days: int = 90) -> list[dict[str, Any]]:
        """Daily history rows of one baseline, oldest first."""
        async with self._pool.acquire() as conn:
            return await repo.history(conn, key.strip().lower(), currency.upper(), days)

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Full refreshes on schedule, incremental ones in between; errors never end it,
        and repeated ones wait longer (doubling, up to five minutes)."""
        last_full: datetime | None = None

        async def step() -> None:
            nonlocal last_full
            now = self._clock()
            every = self._settings().schedule.baseline_refresh_seconds
            if last_full is None or (now - last_full).total_seconds() >= every:
                result = await self.refresh()
                last_full = now
                log.info("baselines refreshed: %d written, %d removed",
                         result.refreshed, result.removed)  # fmt: skip
            else:
                await self.refresh_changed()

        await repeat("baselines", step, lambda: INCREMENTAL_SECONDS, stop, self._clock,
                     what="baseline refresh", max_factor=20)  # fmt: skip
