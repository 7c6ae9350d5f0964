"""The daily eBay budget persisted in PostgreSQL: counting, exhaustion, reset, sync, restarts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.db.pool import Pool
from core.marketplace.quota import DailyBudget, QuotaExhaustedError, RateLimitSnapshot

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def test_spend_counts_until_the_budget_is_gone(pool: Pool) -> None:
    clock = Clock(T0)
    budget = DailyBudget(pool, lambda: 3, clock=clock)
    states = [await budget.spend() for _ in range(3)]
    assert [s.used for s in states] == [1, 2, 3]
    assert states[-1].remaining == 0
    with pytest.raises(QuotaExhaustedError) as info:
        await budget.spend()
    assert info.value.state.reset_at == T0 + timedelta(days=1)
    assert "budget spent (3/3)" in str(info.value)
    assert (await budget.state()).used == 3  # the refused call was not counted


async def test_count_survives_a_restart(pool: Pool) -> None:
    clock = Clock(T0)
    await DailyBudget(pool, lambda: 10, clock=clock).spend()
    await DailyBudget(pool, lambda: 10, clock=clock).spend()
    fresh = DailyBudget(pool, lambda: 10, clock=clock)  # a new process
    assert (await fresh.state()).used == 2
    assert (await fresh.spend()).used == 3


async def test_window_rolls_over_at_the_reset(pool: Pool) -> None:
    clock = Clock(T0)
    budget = DailyBudget(pool, lambda: 2, clock=clock)
    await budget.spend()
    await budget.spend()
    clock.now = T0 + timedelta(days=2, hours=3)  # two resets later
    state = await budget.spend()
    assert state.used == 1
    assert state.reset_at == T0 + timedelta(days=3)


async def test_sync_adopts_ebays_count_limit_and_reset(pool: Pool) -> None:
    clock = Clock(T0)
    budget = DailyBudget(pool, lambda: 5000, clock=clock)
    await budget.spend()
    reset = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
    state = await budget.sync(RateLimitSnapshot(limit=1000, count=110, remaining=890,
                                                 reset_at=reset, window_seconds=86400))  # fmt: skip
    assert (state.limit, state.used, state.reset_at) == (1000, 110, reset)
    assert state.synced_at == T0
    # our own budget still caps eBay's when it is lower
    low = DailyBudget(pool, lambda: 111, clock=clock)
    assert (await low.spend()).remaining == 0
    with pytest.raises(QuotaExhaustedError):
        await low.spend()
    # same window: a count lower than ours (eBay lagging) does not undo calls we made
    state = await budget.sync(RateLimitSnapshot(1000, 100, 900, reset, 86400))
    assert state.used == 111
