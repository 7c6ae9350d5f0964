"""Scores stored against real PostgreSQL, and kept current when listings or baselines change."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from typing import Any

from core.db import scores as scores_repo
from core.db.pool import Pool
from core.pricing.baselines import BaselineService
from core.pricing.scorer import Scorer
from core.settings import load_settings
from tests.clock import ManualClock
from tests.pricing.test_baselines import KEY, NOW, Market


def services(pool: Pool) -> tuple[Scorer, BaselineService]:
    settings = load_settings(None, None, {}).settings
    clock = ManualClock(NOW)
    scorer = Scorer(pool, lambda: settings, clock)
    baselines = BaselineService(
        pool, lambda: settings, clock, lambda keys: scorer.rescore(keys=keys)
    )
    return scorer, baselines


async def current(pool: Pool, listing_id: int) -> dict[str, Any]:
    row = await pool.fetchrow(
        "SELECT * FROM scores WHERE is_current AND listing_id = $1", listing_id
    )
    assert row is not None
    return dict(row)


async def test_scores_follow_the_baseline(pool: Pool) -> None:
    market = Market(pool)
    scorer, baselines = services(pool)
    cheap = await market.listing("55", seen=NOW - timedelta(hours=1))
    ids = [await market.listing(str(p)) for p in range(70, 132, 2)]  # 31 prices, 70..130
    other = await market.listing("5", key=None)
    # before any baseline: cold, neutral price
    assert await scorer.rescore() == 32
    cold = await current(pool, cheap)
    assert cold["cold_start"] is True
    assert cold["breakdown"]["price"]["position"] == "unknown (immature baseline)"
    assert await pool.fetchval("SELECT count(*) FROM scores WHERE listing_id = $1", other) == 0
    # the baseline refresh rescores its key: the cheap one is now a deal, the dear one is not
    await baselines.refresh()
    deal, dear = await current(pool, cheap), await current(pool, ids[-1])
    assert deal["cold_start"] is False
    assert deal["score"] > 80
    assert deal["breakdown"]["price"]["position"].startswith("44% under the median")
    assert deal["breakdown"]["maturity"] == "mature"
    assert dear["score"] < 35
    assert deal["product_key"] == KEY
    assert deal["baseline_samples"] == 32
    # the listing's price changes: a rescore of that listing alone updates it
    await pool.execute("UPDATE listings SET price = 200 WHERE id = $1", cheap)
    assert await scorer.rescore(listing_ids=[cheap]) == 1
    assert (await current(pool, cheap))["score"] < 35
    assert await pool.fetchval("SELECT count(*) FROM scores WHERE listing_id = $1", cheap) == 1


async def test_processes_storing_overlapping_scores_at_once_never_deadlock(pool: Pool) -> None:
    """A baseline refresh in one process rescoring beside another's: each stores many
    listings' scores in one statement, and rows taken in opposite orders would deadlock."""
    market = Market(pool)
    listings = [await market.listing(str(20 + i % 30)) for i in range(300)]
    rows = [
        scores_repo.ScoreRow(listing_id=i, extraction_id=await pool.fetchval(
            "SELECT id FROM extractions WHERE listing_id = $1", i), score=50.0, breakdown={},
            unit_price=Decimal("20"), currency="USD", product_key=KEY, baseline_samples=0,
            baseline_computed_at=None, cold_start=True)
        for i in listings
    ]  # fmt: skip

    async def store(batch: list[scores_repo.ScoreRow]) -> int:
        async with pool.acquire() as conn:
            return await scores_repo.store(conn, batch, NOW)

    for _ in range(15):
        stored = await asyncio.gather(store(rows), store(rows[::-1]), store(rows))
        assert list(stored) == [300, 300, 300]
    assert await pool.fetchval("SELECT count(*) FROM scores WHERE is_current") == 300
