"""Listing storage against real PostgreSQL: page upserts, hits, history, jobs, lifecycle."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.db import listings as repo
from core.db.pool import Pool
from core.marketplace.listing import MarketListing, SoldListing
from core.models import Condition, Marketplace

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def item(n: int, price: str = "40.00", **changes: object) -> MarketListing:
    base = MarketListing(
        marketplace=Marketplace.EBAY_US,
        item_id=f"v1|{n:012d}|0",
        title=f"Samsung 32GB DDR4-2666 RDIMM #{n}",
        price=Decimal(price),
        currency="USD",
        shipping=Decimal("5.00"),
        seller_username="seller",
        seller_feedback_score=100,
        seller_feedback_percent=Decimal("99.5"),
        seller_top_rated=True,
        condition_id=3000,
        condition_raw="Used",
        condition=Condition.USED_WORKING,
        buying_options=("FIXED_PRICE", "BEST_OFFER"),
        category_ids=("170083",),
        item_country="US",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture
async def watch_id(pool: Pool) -> int:
    value = await pool.fetchval(
        "INSERT INTO watches (name, query, component_type, marketplace, threshold, "
        "poll_interval_seconds) VALUES ('w', 'q', 'ram', 'EBAY_US', 80, 900) RETURNING id"
    )
    return int(value)


async def test_new_page_stores_everything_in_one_statement(pool: Pool, watch_id: int) -> None:
    async with pool.acquire() as conn:
        outcome = await repo.upsert_seen(conn, [watch_id], [item(1), item(2), item(1)], T0)
    assert (outcome.seen, outcome.new) == (2, 2)
    row = await pool.fetchrow("SELECT * FROM listings WHERE item_id = $1", item(1).item_id)
    assert row is not None
    assert row["buying_options"] == ["FIXED_PRICE", "BEST_OFFER"]
    assert row["category_ids"] == ["170083"]
    assert row["seller_feedback_percent"] == Decimal("99.50")
    assert (row["first_seen_at"], row["last_seen_at"], row["active"]) == (T0, T0, True)
    assert await pool.fetchval("SELECT count(*) FROM watch_hits WHERE watch_id = $1", watch_id) == 2
    assert await pool.fetchval("SELECT count(*) FROM listing_prices") == 2
    jobs = await pool.fetch("SELECT reason, status FROM extraction_jobs")
    assert [(j["reason"], j["status"]) for j in jobs] == [("new", "pending")] * 2


async def test_reseen_listing_updates_price_history_and_reactivates(
    pool: Pool, watch_id: int
) -> None:
    later = T0 + timedelta(hours=5)
    async with pool.acquire() as conn:
        await repo.upsert_seen(conn, [watch_id], [item(1), item(2)], T0)
        await pool.execute("UPDATE listings SET active = false, ended_at = $1", T0)
        outcome = await repo.upsert_seen(
            conn, [watch_id], [item(1, "35.00"), item(2, title="New title")], later
        )
    assert (outcome.seen, outcome.new, outcome.price_changed) == (2, 0, 1)
    assert (outcome.title_changed, outcome.reactivated) == (1, 2)
    one = await pool.fetchrow("SELECT * FROM listings WHERE item_id = $1", item(1).item_id)
    assert one is not None
    assert (one["price"], one["first_seen_at"], one["last_seen_at"]) == (
        Decimal("35.00"),
        T0,
        later,
    )
    assert (one["active"], one["ended_at"]) == (True, None)
    history = await pool.fetch(
        "SELECT price FROM listing_prices WHERE listing_id = $1 ORDER BY observed_at", one["id"]
    )
    assert [h["price"] for h in history] == [Decimal("40.00"), Decimal("35.00")]
    # the title change queues re-extraction, but only one open job per listing exists
    jobs = await pool.fetchval("SELECT count(*) FROM extraction_jobs")
    assert jobs == 2


async def test_title_change_after_extraction_queues_a_new_job(pool: Pool, watch_id: int) -> None:
    async with pool.acquire() as conn:
        await repo.upsert_seen(conn, [watch_id], [item(1)], T0)
        await pool.execute("UPDATE extraction_jobs SET status = 'done'")
        await repo.upsert_seen(
            conn, [watch_id], [item(1, title="Changed")], T0 + timedelta(hours=1)
        )
    reasons = await pool.fetch("SELECT reason, status FROM extraction_jobs ORDER BY id")
    assert [(r["reason"], r["status"]) for r in reasons] == [
        ("new", "done"),
        ("changed", "pending"),
    ]


async def test_stale_and_ended_listings_deactivate(pool: Pool, watch_id: int) -> None:
    async with pool.acquire() as conn:
        await repo.upsert_seen(conn, [watch_id], [item(1)], T0)
        await repo.upsert_seen(
            conn,
            [watch_id],
            [item(2, auction_end_at=T0 + timedelta(hours=1), buying_options=("AUCTION",))],
            T0 + timedelta(hours=70),
        )
        now = T0 + timedelta(hours=73)
        assert await repo.deactivate_ended(conn, now) == 1
        assert await repo.deactivate_stale(conn, now, 72) == 1
    rows = await pool.fetch("SELECT item_id, active, ended_at FROM listings ORDER BY item_id")
    assert [(r["active"], r["ended_at"]) for r in rows] == [
        (False, now),
        (False, T0 + timedelta(hours=1)),
    ]


async def test_vanished_fixed_price_listing_is_likely_sold(pool: Pool, watch_id: int) -> None:
    start = T0 + timedelta(days=1)
    async with pool.acquire() as conn:
        await repo.upsert_seen(
            conn,
            [watch_id],
            [
                item(1),
                item(2),
                item(3, buying_options=("AUCTION",), auction_end_at=T0 + timedelta(days=5)),
            ],
            T0,
        )
        await repo.upsert_seen(conn, [watch_id], [item(2)], start)  # the sweep saw only #2
        gone, likely_sold = await repo.mark_vanished(conn, watch_id, start, start, 24)
    assert (gone, likely_sold) == (2, 1)
    rows = {r["item_id"]: r for r in await pool.fetch("SELECT * FROM listings")}
    one = rows[item(1).item_id]
    assert (one["active"], one["sold_source"], one["sold_price"]) == (
        False,
        "ended_early",
        Decimal("40.00"),
    )
    assert one["sold_at"] == T0
    assert rows[item(2).item_id]["active"] is True
    assert rows[item(3).item_id]["sold_source"] is None  # an auction that vanished: no guess
    # seen again later: the guess was wrong and is withdrawn
    async with pool.acquire() as conn:
        await repo.upsert_seen(conn, [watch_id], [item(1)], start + timedelta(hours=1))
    again = await pool.fetchrow("SELECT * FROM listings WHERE item_id = $1", item(1).item_id)
    assert again is not None
    assert (again["active"], again["sold_source"], again["sold_price"]) == (True, None, None)


async def test_sold_items_are_recorded_inactive_with_price(pool: Pool, watch_id: int) -> None:
    sold_at = T0 - timedelta(days=2)
    async with pool.acquire() as conn:
        await repo.upsert_seen(conn, [watch_id], [item(1)], T0)
        outcome = await repo.upsert_sold(
            conn,
            [watch_id],
            [
                SoldListing(item(1, "38.00"), sold_at, 1),
                SoldListing(item(7, "30.00"), None, 1),
            ],
            T0,
        )
    assert (outcome.seen, outcome.new) == (2, 1)
    rows = {r["item_id"]: r for r in await pool.fetch("SELECT * FROM listings")}
    known, fresh = rows[item(1).item_id], rows[item(7).item_id]
    assert (known["active"], known["sold_price"], known["sold_at"]) == (
        False,
        Decimal("38.00"),
        sold_at,
    )
    assert known["sold_source"] == "marketplace_insights"
    assert known["price"] == Decimal("40.00")  # the asking price stays as it was
    assert (fresh["active"], fresh["sold_price"], fresh["sold_at"]) == (False, Decimal("30.00"), T0)
    assert await pool.fetchval("SELECT count(*) FROM extraction_jobs") == 2
