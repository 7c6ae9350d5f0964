"""Claiming due watches under leases: disjoint claims, expiry after a crash, release."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from core.db import schedule as repo
from core.db.pool import Pool

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


async def make_watches(pool: Pool, count: int, due: datetime = T0) -> list[int]:
    ids = []
    for n in range(count):
        ids.append(
            await pool.fetchval(
                "INSERT INTO watches (name, query, component_type, marketplace, threshold, "
                "poll_interval_seconds, next_run_at) "
                "VALUES ($1, $1, 'ram', 'EBAY_US', 80, 900, $2) RETURNING id",
                f"w{n}",  # name and query: each watch makes its own search
                due,
            )
        )
    return ids


async def claim(pool: Pool, holder: str, now: datetime, limit: int = 10) -> list[int]:
    async with pool.acquire() as conn:
        return [r["id"] for r in await repo.claim_due(conn, holder, now, 300, limit)]


async def test_concurrent_claims_are_disjoint(pool: Pool) -> None:
    ids = await make_watches(pool, 12)
    claims = await asyncio.gather(*(claim(pool, f"p{n}", T0, 3) for n in range(6)))
    claimed = [watch for batch in claims for watch in batch]
    assert sorted(claimed) == sorted(ids)
    assert len(set(claimed)) == len(claimed)


async def test_only_due_enabled_unleased_watches_are_claimed(pool: Pool) -> None:
    due, later = await make_watches(pool, 1), await make_watches(pool, 0)
    (paused,) = await pool.fetch(
        "INSERT INTO watches (name, query, component_type, marketplace, "
        "threshold, poll_interval_seconds, next_run_at, enabled) VALUES "
        "('p', 'q', 'ram', 'EBAY_US', 80, 900, $1, false) RETURNING id",
        T0,
    )
    future = await pool.fetchval(
        "INSERT INTO watches (name, query, component_type, marketplace, threshold, "
        "poll_interval_seconds, next_run_at) VALUES ('f', 'q', 'ram', 'EBAY_US', 80, 900, $1) "
        "RETURNING id",
        T0 + timedelta(hours=1),
    )
    assert later == []
    assert await claim(pool, "a", T0) == due
    assert await claim(pool, "b", T0) == []  # held by a
    assert paused["id"] not in await claim(pool, "c", T0 + timedelta(hours=2))
    assert future not in await claim(pool, "d", T0)


async def add(pool: Pool, query: str, due: datetime, max_price: str | None = None,
              buying: list[str] | None = None, interval: int = 900) -> int:  # fmt: skip
    value: int = await pool.fetchval(
        "INSERT INTO watches (name, query, component_type, marketplace, threshold, max_price, "
        "buying_options, poll_interval_seconds, next_run_at) "
        "VALUES ($1, $2, 'ram', 'EBAY_US', 80, $3::numeric, $4, $5, $6) RETURNING id",
        f"w{await pool.fetchval('SELECT count(*) FROM watches')}", query, max_price,
        buying or [], interval, due,
    )  # fmt: skip
    return value


async def test_watches_making_the_same_search_are_claimed_together(pool: Pool) -> None:
    due = await add(pool, "DDR4 32GB ECC", T0, "100")
    same = await add(pool, "  ddr4   32gb ecc ", T0 + timedelta(hours=1), "100.00",
                     buying=["FIXED_PRICE", "AUCTION"])  # the default, named  # fmt: skip
    dearer = await add(pool, "DDR4 32GB ECC", T0 + timedelta(minutes=1), "150")
    auctions = await add(pool, "DDR4 32GB ECC", T0 + timedelta(minutes=1), "100", ["AUCTION"])
    keys = {
        r["id"]: r["search_key"] for r in await pool.fetch("SELECT id, search_key FROM watches")
    }
    assert keys[due] == keys[same]
    assert len({keys[due], keys[dearer], keys[auctions]}) == 3
    assert await claim(pool, "a", T0) == [due, same]  # not due, but served by the same search
    # a still holds its two; the other searches are their own
    assert await claim(pool, "b", T0 + timedelta(minutes=2)) == [dearer, auctions]


async def test_a_search_another_process_is_running_waits_for_that_run(pool: Pool) -> None:
    later = await add(pool, "DDR4", T0 + timedelta(minutes=5))
    assert await claim(pool, "a", T0 + timedelta(minutes=5)) == [later]
    due = await add(pool, "ddr4", T0)
    assert await claim(pool, "b", T0 + timedelta(minutes=5)) == []  # a is running its search
    async with pool.acquire() as conn:
        await repo.finish_run(conn, later, "a", now=T0 + timedelta(minutes=6),
                              next_run_at=T0 + timedelta(minutes=21), calls=1, swept=False,
                              error=None)  # fmt: skip
    assert await claim(pool, "b", T0 + timedelta(minutes=6)) == [due, later]


async def test_concurrent_claims_never_split_a_search(pool: Pool) -> None:
    """Two processes claiming at once must not each take a due watch of the same search."""
    for n in range(6):
        for query in ("DDR4", "ddr4 ", " DDR4"):
            await add(pool, f"{query} lot{n}", T0)
    keys = {
        r["id"]: r["search_key"] for r in await pool.fetch("SELECT id, search_key FROM watches")
    }
    by_key: dict[str, set[str]] = {}
    claimed = 0
    for _ in range(6):  # rounds of four processes claiming at once; leases are kept
        claims = await asyncio.gather(*(claim(pool, f"p{n}", T0, 2) for n in range(4)))
        for holder, watches in enumerate(claims):
            for watch in watches:
                by_key.setdefault(keys[watch], set()).add(f"p{holder}")
            claimed += len(watches)
    assert claimed == 18  # every watch once ...
    assert len(by_key) == 6
    assert all(len(holders) == 1 for holders in by_key.values())  # ... each search by one


async def test_demand_counts_a_shared_search_once_at_its_shortest_interval(pool: Pool) -> None:
    await add(pool, "DDR4", T0, interval=900)
    await add(pool, "ddr4", T0, interval=300)
    await add(pool, "DDR5", T0, interval=600)
    async with pool.acquire() as conn:
        assert sorted(await repo.demand(conn)) == [(300, 1.0), (600, 1.0)]
        assert await repo.enabled_count(conn) == 3


async def test_a_crashed_holders_lease_expires(pool: Pool) -> None:
    (watch,) = await make_watches(pool, 1)
    assert await claim(pool, "crashed", T0) == [watch]
    assert await claim(pool, "other", T0 + timedelta(seconds=299)) == []
    assert await claim(pool, "other", T0 + timedelta(seconds=301)) == [watch]


async def test_finish_releases_and_reschedules(pool: Pool) -> None:
    (watch,) = await make_watches(pool, 1)
    await claim(pool, "me", T0)
    async with pool.acquire() as conn:
        assert not await repo.finish_run(
            conn, watch, "not-me", now=T0, next_run_at=T0, calls=1, swept=False, error=None
        )
        assert await repo.finish_run(
            conn,
            watch,
            "me",
            now=T0,
            next_run_at=T0 + timedelta(minutes=15),
            calls=3,
            swept=True,
            error="boom",
        )
    row = await pool.fetchrow("SELECT * FROM watches WHERE id = $1", watch)
    assert row is not None
    assert (row["lease_holder"], row["last_run_at"], row["last_sweep_at"]) == (None, T0, T0)
    assert row["next_run_at"] == T0 + timedelta(minutes=15)
    assert row["last_error"] == "boom"
    assert row["avg_calls_per_run"] == pytest.approx(0.7 * 1 + 0.3 * 3)


async def test_release_all_frees_only_my_leases(pool: Pool) -> None:
    ids = await make_watches(pool, 3)
    await claim(pool, "me", T0, 2)
    await claim(pool, "you", T0, 1)
    async with pool.acquire() as conn:
        assert await repo.release_all(conn, "me") == 2
    holders = await pool.fetch("SELECT lease_holder FROM watches ORDER BY id")
    assert sorted(h["lease_holder"] or "" for h in holders) == ["", "", "you"]
    assert len(ids) == 3
