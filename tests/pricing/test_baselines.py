"""Baselines against real PostgreSQL: which prices count, percentiles, history, increments."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from click.testing import CliRunner

from app.cli import cli
from core.db.pool import Pool, create_pool
from core.pricing.baselines import BaselineService
from core.settings import DatabaseSettings, load_settings
from tests.clock import ManualClock

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
KEY = "ram:ddr4:ecc_reg:32gb:2666"


def sold_fields(sold: tuple[str, str, datetime] | None) -> tuple[Any, Any, Any]:
    return (Decimal(sold[0]), sold[1], sold[2]) if sold else (None, None, None)


class Market:
    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self.n = 0

    async def listing(
        self,
        price: str,
        *,
        key: str | None = KEY,
        shipping: str | None = "0",
        quantity: int = 1,
        currency: str = "USD",
        active: bool = True,
        seen: datetime = NOW,
        condition: str = "used_working",
        extracted_condition: str = "unknown",
        sold: tuple[str, str, datetime] | None = None,
    ) -> int:
        self.n += 1
        listing_id: int = await self.pool.fetchval(
            "INSERT INTO listings (marketplace, item_id, title, currency, price, shipping, "
            "condition, active, first_seen_at, last_seen_at, sold_price, sold_source, sold_at, "
            "updated_at) VALUES ('EBAY_US', $1, 't', $2, $3, $4, $5, $6, $7, $7, $8, $9, $10, $7) "
            "RETURNING id",
            f"v1|{self.n}|0", currency, Decimal(price),
            Decimal(shipping) if shipping is not None else None, condition, active, seen,
            *(sold_fields(sold)),
        )  # fmt: skip
        await self.pool.execute(
            "INSERT INTO extractions (listing_id, component_type, confidence, method, quantity, "
            "condition, product_key, created_at) VALUES ($1, $2, 0.9, 'rules', $3, $4, $5, $6)",
            listing_id, "ram" if key else "other", quantity, extracted_condition, key,
            seen - timedelta(minutes=5),
        )  # fmt: skip
        return listing_id


@pytest.fixture
def market(pool: Pool) -> Market:
    return Market(pool)


@pytest.fixture
def service(pool: Pool) -> BaselineService:
    settings = load_settings(None, None, {}).settings
    return BaselineService(pool, lambda: settings, ManualClock(NOW))


async def only(service: BaselineService, key: str = KEY, currency: str = "USD") -> Any:
    (baseline,) = [b for b in await service.get(key) if b.currency == currency]
    return baseline


async def test_unit_prices_percentiles_and_what_is_left_out(
    service: BaselineService, market: Market
) -> None:
    for price in ("10", "20", "30", "40", "50"):
        await market.listing(price)
    await market.listing("55", shipping="5")  # unit 60
    await market.listing("280", quantity=4)  # a 4-module kit: unit 70
    await market.listing("1", condition="for_parts")
    await market.listing("2", extracted_condition="for_parts")
    await market.listing("3", active=False)
    await market.listing("4", seen=NOW - timedelta(days=91))  # outside the 90-day window
    await market.listing("5", key=None)  # `other`: no key, no baseline
    await market.listing("6", active=False, sold=("6", "ended_early", NOW))  # a guess only
    await market.listing("80", active=False, sold=("80", "marketplace_insights", NOW))
    await market.listing("90", currency="GBP")
    result = await service.refresh()
    assert (result.refreshed, result.removed) == (2, 0)
    usd = await only(service)
    assert (usd.sample_count, usd.sold_count) == (8, 1)
    # samples: 10 20 30 40 50 60 70, and the sold 80 counted twice
    assert usd.p50 == Decimal("50.00")
    assert usd.p10 == Decimal("18.00")
    assert usd.p90 == Decimal("80.00")
    assert usd.mean == Decimal("48.89")
    assert usd.window_days == 90
    assert usd.is_cold(10)
    assert (usd.left_out_for_parts, usd.left_out_low, usd.left_out_high) == (2, 0, 0)
    assert usd.left_out() == ["2 for parts or announcing a fault"]
    gbp = await only(service, currency="GBP")
    assert (gbp.sample_count, gbp.p50) == (1, Decimal("90.00"))


async def test_junk_lots_and_absurd_asks_are_left_out_and_counted(
    service: BaselineService, market: Market
) -> None:
    for price in ("95", "98", "99", "100", "100", "101", "102", "104", "105", "110"):
        await market.listing(price)
    await market.listing("12")  # a dead module that slipped through as used
    await market.listing("60", quantity=10)  # unit 6: a misread lot
    await market.listing("999")  # an absurd asking price
    await market.listing("70")  # 30% under: a real deal stays in
    await service.refresh()
    usd = await only(service)
    assert (usd.sample_count, usd.left_out_low, usd.left_out_lots, usd.left_out_high) == (
        11, 1, 1, 1,
    )  # fmt: skip
    assert usd.p10 == Decimal("95.00")  # not dragged to 12 or 6 by the junk
    assert usd.p90 == Decimal("105.00")  # nor to 999
    assert usd.left_out() == [
        "1 priced far under the rest (a fault or a misread)",
        "1 lots priced per unit far under the rest",
        "1 absurd asking prices far over the rest",
    ]


async def test_a_few_samples_are_never_trimmed(service: BaselineService, market: Market) -> None:
    for price in ("10", "100", "1000"):
        await market.listing(price)
    await service.refresh()
    usd = await only(service)
    assert (usd.sample_count, usd.left_out()) == (3, [])


async def test_history_keeps_one_row_per_day(service: BaselineService, market: Market) -> None:
    await market.listing("10")
    await service.refresh()
    await market.listing("30")
    await service.refresh()
    history = await service.history(KEY, "USD")
    assert [(h["day"], h["sample_count"], h["p50"]) for h in history] == [
        (NOW.date(), 2, Decimal("20.00"))
    ]


async def test_incremental_refresh_touches_only_changed_keys(
    service: BaselineService, market: Market, pool: Pool
) -> None:
    other_key = "cpu:intel:6130"
    first = await market.listing("10")
    await market.listing("100", key=other_key)
    await service.refresh()
    computed = (await only(service, other_key)).computed_at
    # the RAM listing sells out: only its key is refreshed, and its baseline goes away
    await pool.execute("UPDATE listings SET active = false, updated_at = $1 WHERE id = $2",
                       NOW + timedelta(minutes=1), first)  # fmt: skip
    service._clock.advance(120)  # type: ignore[attr-defined]
    result = await service.refresh_changed()
    assert (result.refreshed, result.removed, result.keys) == (0, 1, 1)
    assert await service.get(KEY) == []
    assert (await only(service, other_key)).computed_at == computed


def test_cli_refresh_list_and_show(database_url: str) -> None:
    async def populate() -> None:
        pool = await create_pool(database_url, DatabaseSettings())
        try:
            market = Market(pool)
            for price in ("10", "20", "30"):
                await market.listing(price, seen=datetime.now(UTC))
        finally:
            await pool.close()

    asyncio.run(populate())
    runner = CliRunner()
    db = ["--database-url", database_url]
    refreshed = runner.invoke(cli, [*db, "baselines", "refresh"], catch_exceptions=False)
    assert refreshed.stdout.strip() == "baselines refreshed: 1 written, 0 removed"
    listed = runner.invoke(cli, [*db, "baselines", "list"], catch_exceptions=False)
    assert KEY in listed.stdout
    assert "cold" in listed.stdout
    shown = runner.invoke(cli, [*db, "baselines", "show", KEY.upper()], catch_exceptions=False)
    assert "P50 20.00" in shown.stdout
    assert "immature: 3 of the 10 prices needed to judge a price" in shown.stdout
    assert "left out  nothing" in shown.stdout
    data = runner.invoke(cli, [*db, "baselines", "show", KEY, "--json"], catch_exceptions=False)
    (entry,) = json.loads(data.stdout)
    assert entry["sample_count"] == 3
    assert len(entry["history"]) == 1
    missing = runner.invoke(cli, [*db, "baselines", "show", "gpu:nvidia:p40:24gb"])
    assert missing.exit_code == 1
    assert "no baseline for 'gpu:nvidia:p40:24gb'" in missing.stderr
