"""Watches making the same eBay search share one run (issue 14, point 1, first step)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from core.watches import Watch
from tests.ingest.conftest import NOW, Env


async def guild_watch(env: Env, guild: int, **fields: Any) -> Watch:
    base: dict[str, Any] = {"name": "ram", "query": "DDR4", "component_type": "ram"}
    watch = await env.watches.add(guild, {**base, **fields})
    await env.pool.execute(
        "UPDATE watches SET next_run_at = $1 WHERE id = $2", env.clock(), watch.id
    )
    return await env.watches.get(guild, watch.id)


async def hits(env: Env, watch: Watch) -> set[int]:
    rows = await env.pool.fetch("SELECT listing_id FROM watch_hits WHERE watch_id = $1", watch.id)
    return {r["listing_id"] for r in rows}


async def test_two_servers_watching_the_same_search_cost_one_search(env: Env) -> None:
    env.configure("ebay.page_size=5", "ebay.sweep_max_pages=2")
    first = await guild_watch(env, 111, query="DDR4 ECC", poll_interval_seconds=900)
    second = await guild_watch(env, 222, query="  ddr4   ecc", poll_interval_seconds=1800,
                               threshold=90)  # its own threshold: decided locally  # fmt: skip
    before = (await env.status()).quota.used
    tick = await env.scheduler("one").tick()
    assert [run.watch_id for run in tick.runs] == [first.id]  # one run served both
    (run,) = tick.runs
    assert run.pages == 2
    assert (await env.status()).quota.used - before == run.pages  # what eBay was asked
    assert await hits(env, first) == await hits(env, second)
    assert len(await hits(env, first)) == run.outcome.seen > 0
    a, b = await env.watches.get(111, first.id), await env.watches.get(222, second.id)
    assert (a.last_run_at, b.last_run_at) == (NOW, NOW)
    assert a.next_run_at - NOW == timedelta(seconds=900)  # each keeps its own interval
    assert b.next_run_at - NOW == timedelta(seconds=1800)
    assert a.last_sweep_at == b.last_sweep_at == NOW


async def test_different_server_side_filters_are_different_searches(env: Env) -> None:
    env.configure("ebay.page_size=5", "ebay.sweep_max_pages=1")
    cheap = await guild_watch(env, 111, query="DDR4", max_price="40")
    any_price = await guild_watch(env, 222, query="DDR4")
    auctions = await guild_watch(env, 333, query="DDR4", buying_options=["AUCTION"])
    tick = await env.scheduler("one").tick()
    assert sorted(run.watch_id for run in tick.runs) == sorted(
        [cheap.id, any_price.id, auctions.id]
    )
    assert await hits(env, cheap) != await hits(env, any_price)


async def test_a_shared_search_runs_at_its_most_demanding_interval(env: Env) -> None:
    env.configure("ebay.page_size=5", "ebay.sweep_max_pages=1")
    slow = await guild_watch(env, 111, poll_interval_seconds=3600)
    fast = await guild_watch(env, 222, poll_interval_seconds=600)
    scheduler = env.scheduler("one")
    assert len((await scheduler.tick()).runs) == 1
    env.clock.advance(timedelta(seconds=601))
    (run,) = (await scheduler.tick()).runs  # `fast` is due again: `slow` rides along
    assert run.watch_id == fast.id
    stored = await env.watches.get(111, slow.id)
    assert stored.last_run_at == env.clock()  # slow is never staler than its hour
