"""Quota: a per-process token bucket (calls per second) and the daily budget in PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core.db import quota as repo
from core.db.pool import Pool
from core.observability.metrics import (
    EBAY_QUOTA_LIMIT,
    EBAY_QUOTA_REMAINING,
    EBAY_QUOTA_RESET,
)

log = logging.getLogger(__name__)

BROWSE_RESOURCE = "buy.browse"


class TokenBucket:
    """At most `rate()` calls per second on average, with bursts up to `burst()`."""

    def __init__(
        self,
        rate: Callable[[], float],
        burst: Callable[[], int],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._tokens = float(burst())
        self._updated = clock()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait until a call may go out; callers are served in arrival order."""
        async with self._lock:
            while True:
                now = self._clock()
                rate, burst = self._rate(), float(self._burst())
                self._tokens = min(burst, self._tokens + (now - self._updated) * rate)
                self._updated = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / rate)


@dataclass(frozen=True)
class QuotaState:
    """The daily window: what we may spend, what is spent, when it resets."""

    limit: int
    used: int
    reset_at: datetime
    synced_at: datetime | None = None

    @property
    def remaining(self) -> int:
        """Calls left in this window (never negative)."""
        return max(0, self.limit - self.used)


class QuotaExhaustedError(Exception):
    """The daily budget is spent; calls may resume at `state.reset_at`."""

    def __init__(self, state: QuotaState) -> None:
        super().__init__(
            f"eBay daily call budget spent ({state.used}/{state.limit}); "
            f"resets at {state.reset_at.isoformat(timespec='seconds')}"
        )
        self.state = state


@dataclass(frozen=True)
class RateLimitSnapshot:
    """eBay's view of a resource's window, from the Analytics API."""

    limit: int
    count: int
    remaining: int
    reset_at: datetime
    window_seconds: int


def _state(row: dict[str, Any], budget: int) -> QuotaState:
    limit = min(budget, row["api_limit"]) if row["api_limit"] is not None else budget
    return QuotaState(limit, row["calls_used"], row["reset_at"], row["synced_at"])


class DailyBudget:
    """The Browse API call budget, shared by every spt process through PostgreSQL."""

    def __init__(
        self,
        pool: Pool,
        budget: Callable[[], int],
        resource: str = BROWSE_RESOURCE,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._pool = pool
        self._budget = budget
        self._resource = resource
        self._clock = clock

    async def spend(self) -> QuotaState:
        """Count one call, or raise QuotaExhaustedError without counting it."""
        budget = self._budget()
        async with self._pool.acquire() as conn:
            row = await repo.spend(conn, self._resource, budget, self._clock())
            if row is None:
                stored = await repo.get(conn, self._resource)
                assert stored is not None  # spend() only refuses an existing row
                state = _state(stored, budget)
                _publish(state)
                raise QuotaExhaustedError(state)
        state = _state(row, budget)
        _publish(state)
        return state

    async def state(self) -> QuotaState:
        """The current window (a fresh full window if nothing was ever spent or it passed)."""
        budget = self._budget()
        now = self._clock()
        async with self._pool.acquire() as conn:
            row = await repo.get(conn, self._resource)
        if row is None or row["reset_at"] <= now:
            reset = row["reset_at"] if row is not None else None
            state = QuotaState(budget if row is None else _state(row, budget).limit, 0,
                               _next_reset(reset, now))  # fmt: skip
        else:
            state = _state(row, budget)
        _publish(state)
        return state

    async def sync(self, snapshot: RateLimitSnapshot) -> QuotaState:
        """Adopt eBay's count, limit and reset time."""
        budget = self._budget()
        async with self._pool.acquire() as conn:
            row = await repo.sync(
                conn,
                self._resource,
                budget,
                snapshot.limit,
                snapshot.count,
                snapshot.reset_at,
                snapshot.window_seconds,
                self._clock(),
            )
        state = _state(row, budget)
        _publish(state)
        log.info(
            "eBay quota synced: %d of %d used, resets %s",
            state.used,
            state.limit,
            state.reset_at.isoformat(timespec="seconds"),
        )
        return state


def _next_reset(previous: datetime | None, now: datetime) -> datetime:
    from datetime import timedelta

    if previous is None:
        return now + timedelta(days=1)
    days = int((now - previous).total_seconds() // 86400) + 1
    return previous + timedelta(days=days)


def _publish(state: QuotaState) -> None:
    EBAY_QUOTA_LIMIT.set(state.limit)
    EBAY_QUOTA_REMAINING.set(state.remaining)
    EBAY_QUOTA_RESET.set(state.reset_at.timestamp())
