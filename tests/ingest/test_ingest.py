"""Watch runs and the scheduler against the sandbox and real PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from core.jobs.ingest import TickResult, deactivate_expired, search_request
from core.models import Marketplace
from core.watches import Watch
from sandbox import INSIGHTS_SCOPE, Endpoint
from sandbox.faults import Fault
from tests.ingest.conftest import NOW, Env


async def count(env: Env, sql: str, *args: object) -> int:
    return int(await env.pool.fetchval(sql, *args))


async def swept(env: Env, watch: Watch) -> Watch:
    """Mark the watch's sweep as recent, so its runs use the early-stop rule."""
    await env.pool.execute("UPDATE watches SET last_sweep_at = $1 WHERE id = $2", NOW, watch.id)
    return await env.watches.get(None, watch.id)


async def test_first_run_sweeps_everything_the_search_returns(env: Env) -> None:
    env.configure("ebay.page_size=10", "ebay.sweep_max_pages=50")
    watch = await env.watch(query="DDR4", marketplace="EBAY_US")
    result = await env.ingestor().run_watch(watch)
    assert result.error is None
    assert result.swept
    assert result.complete
    first = await env.client.search(search_request(watch, env.settings, 0))
    assert result.outcome.seen == first.total
    assert result.pages == -(-first.total // 10)
    assert await count(env, "SELECT count(*) FROM listings") == first.total
    assert await count(env, "SELECT count(*) FROM watch_hits WHERE watch_id = $1", watch.id) == (
        first.total
    )
    assert await count(env, "SELECT count(*) FROM extraction_jobs WHERE reason = 'new'") == (
        first.total
    )
    currencies = await env.pool.fetch("SELECT DISTINCT currency FROM listings")
    assert [r["currency"] for r in currencies] == ["USD"]


async def test_run_stops_at_the_first_page_of_known_listings(env: Env) -> None:
    env.configure(
        "ebay.page_size=5", "ebay.max_pages_per_run=4", "schedule.sweep_interval_hours=700"
    )
    watch = await swept(env, await env.watch(query="DDR4", marketplace="EBAY_US"))
    ingestor = env.ingestor()
    first = await ingestor.run_watch(watch)
    assert (first.pages, first.outcome.new, first.swept) == (4, 20, False)  # capped at 4 pages
    again = await ingestor.run_watch(watch)
    assert (again.pages, again.outcome.new, again.outcome.seen) == (1, 0, 5)
    # time passes: new listings appear at the top, the run reads until a known page
    env.clock.advance(timedelta(days=3))
    later = await ingestor.run_watch(watch)
    assert later.outcome.new > 0
    assert later.pages >= 2
    assert later.pages <= 4


async def test_reseen_listings_update_last_seen_and_price_history(env: Env) -> None:
    env.configure("ebay.page_size=5", "ebay.max_pages_per_run=1")
    watch = await swept(env, await env.watch(query="DDR4", marketplace="EBAY_US"))
    await env.ingestor().run_watch(watch)
    env.clock.advance(timedelta(minutes=20))
    await env.ingestor().run_watch(watch)
    rows = await env.pool.fetch("SELECT first_seen_at, last_seen_at FROM listings")
    spans = [r["last_seen_at"] - r["first_seen_at"] for r in rows]
    assert set(spans) <= {timedelta(0), timedelta(minutes=20)}
    seen_twice = spans.count(timedelta(minutes=20))
    assert seen_twice >= 1
    hits = await env.pool.fetch("SELECT first_hit_at, last_hit_at FROM watch_hits")
    assert sum(h["last_hit_at"] > h["first_hit_at"] for h in hits) == seen_twice


async def test_server_side_filters_follow_the_watch(env: Env) -> None:
    env.configure("ebay.page_size=50", "ebay.sweep_max_pages=5")
    watch = await env.watch(
        query="DDR4",
        marketplace="EBAY_DE",
        max_price="40",
        conditions=["used_working"],
        buying_options=["FIXED_PRICE"],
    )
    result = await env.ingestor().run_watch(watch)
    assert result.outcome.seen > 0
    rows = await env.pool.fetch("SELECT * FROM listings")
    assert {r["currency"] for r in rows} == {"EUR"}
    assert {r["marketplace"] for r in rows} == {"EBAY_DE"}
    assert all(r["price"] <= 40 for r in rows)
    assert {r["condition"] for r in rows} == {"used_working"}
    assert all("FIXED_PRICE" in r["buying_options"] for r in rows)


async def test_malformed_response_mid_run_keeps_whole_pages_and_retries_next_time(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    env.configure(
        "ebay.page_size=5", "ebay.max_pages_per_run=3", "schedule.sweep_interval_hours=700"
    )
    watch = await swept(env, await env.watch(query="DDR4", marketplace="EBAY_US"))
    scheduler = env.scheduler("solo")
    await env.client.tokens.get()
    # page 1 fine, page 2 garbage
    original = env.sandbox.faults.take

    calls = {"n": 0}

    def second_page_garbled(endpoint: str) -> Fault | None:
        if endpoint == Endpoint.SEARCH:
            calls["n"] += 1
            if calls["n"] == 2:
                env.sandbox.malform_next(1, endpoint=Endpoint.SEARCH)
        return original(endpoint)

    env.sandbox.faults.take = second_page_garbled  # type: ignore[method-assign]
    with caplog.at_level(logging.WARNING):
        tick = await scheduler.tick()
    (run,) = tick.runs
    assert run.error is not None
    assert "not valid JSON" in run.error
    assert "run failed after 1 page(s)" in caplog.text
    assert await count(env, "SELECT count(*) FROM listings") == 5  # page 1 whole, page 2 none
    stored = await env.watches.get(None, watch.id)
    assert stored.last_error is not None
    assert stored.lease_holder is None
    assert stored.next_run_at == NOW + timedelta(seconds=watch.poll_interval_seconds)
    env.sandbox.faults.take = original  # type: ignore[method-assign]
    env.clock.advance(timedelta(seconds=watch.poll_interval_seconds))
    tick = await scheduler.tick()
    assert [r.error for r in tick.runs] == [None]
    assert (await env.watches.get(None, watch.id)).last_error is None


async def test_budget_exhaustion_pauses_and_the_reset_resumes(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    env.configure(
        "ebay.daily_call_budget=3",
        "ebay.page_size=5",
        "ebay.sweep_max_pages=10",
        "schedule.default_poll_interval_seconds=60",
    )
    for query in ("DDR4", "SSD"):
        await env.watch(query=query, name=query)
    scheduler = env.scheduler("one")
    with caplog.at_level(logging.WARNING):
        tick = await scheduler.tick()
    assert tick.paused_until is not None
    assert "ingestion paused until" in caplog.text
    assert env.sandbox.stats.count(Endpoint.SEARCH) == 3
    status_before = await env.status()
    assert status_before.paused
    # still paused: nothing goes out, even when watches are due
    env.clock.advance(timedelta(minutes=5))
    assert (await scheduler.tick()).paused_until == tick.paused_until
    assert env.sandbox.stats.count(Endpoint.SEARCH) == 3
    # a new process sees the persisted count and does not spend either
    other = env.scheduler("two")
    assert (await other.tick()).paused_until is not None
    assert env.sandbox.stats.count(Endpoint.SEARCH) == 3
    # after the reset, ingestion resumes
    env.clock.set(tick.paused_until + timedelta(seconds=1))
    resumed = await scheduler.tick()
    assert resumed.runs
    assert env.sandbox.stats.count(Endpoint.SEARCH) > 3


async def test_two_concurrent_schedulers_never_run_a_watch_twice(env: Env) -> None:
    env.configure("ebay.page_size=5", "ebay.sweep_max_pages=2")
    watches = [
        await env.watch(query=q, name=q) for q in ("DDR4", "SSD", "SAS", "Xeon", "EPYC", "GPU")
    ]
    first, second = env.scheduler("p1"), env.scheduler("p2")
    ticks = await asyncio.gather(first.tick(), second.tick())
    ran = [run.watch_id for tick in ticks for run in tick.runs]
    assert sorted(ran) == sorted(w.id for w in watches)
    assert len(ran) == len(set(ran))
    # both are idle now: nothing is due until the interval passes
    again = await asyncio.gather(first.tick(), second.tick())
    assert [t.runs for t in again] == [[], []]


async def test_intervals_stretch_when_the_budget_cannot_cover_them(env: Env) -> None:
    env.configure(
        "ebay.daily_call_budget=40",
        "ebay.page_size=5",
        "ebay.sweep_max_pages=1",
        "schedule.default_poll_interval_seconds=60",
    )
    watch = await env.watch(query="DDR4")
    scheduler = env.scheduler("one")
    tick = await scheduler.tick()
    # one call a minute wants ~1440 calls a day; 39 are left
    assert tick.stretch > 30
    stored = await env.watches.get(None, watch.id)
    assert stored.next_run_at - NOW > timedelta(minutes=30)
    status = await env.status()
    assert status.stretch > 30
    assert any("intervals stretched" in line for line in status.lines())


async def test_a_vanished_fixed_price_listing_is_recorded_as_likely_sold(env: Env) -> None:
    env.configure("ebay.page_size=50", "ebay.sweep_max_pages=20")
    watch = await env.watch(query="DDR4", marketplace="EBAY_US")
    await env.ingestor().run_watch(watch)
    stored = {r["item_id"] for r in await env.pool.fetch("SELECT item_id FROM listings")}
    later = NOW + timedelta(days=5)
    gone = [
        x
        for x in env.sandbox.catalog.in_marketplace(Marketplace.EBAY_US)
        if x.item_id in stored and not x.visible_at(later) and not x.is_auction
    ]
    assert gone, "the catalog should end some fixed-price DDR4 listings within 5 days"
    env.clock.set(later)
    result = await env.ingestor().run_watch(await env.watches.get(None, watch.id))
    assert result.swept
    assert result.complete
    assert result.vanished >= len(gone)
    rows = await env.pool.fetch(
        "SELECT item_id, sold_source, active FROM listings WHERE item_id = ANY($1)",
        [x.item_id for x in gone],
    )
    assert {(r["sold_source"], r["active"]) for r in rows} <= {
        ("ended_early", False),
        (None, False),
    }
    assert any(r["sold_source"] == "ended_early" for r in rows)


async def test_marketplace_insights_records_sold_prices(env: Env) -> None:
    env.sandbox.grant_scopes(INSIGHTS_SCOPE)  # a Limited Release API: granted per application
    env.configure("ebay.marketplace_insights=true", "ebay.page_size=20", "ebay.sweep_max_pages=1")
    watch = await env.watch(query="DDR4", marketplace="EBAY_US")
    result = await env.ingestor().run_watch(watch)
    assert result.error is None
    assert result.sold_recorded > 0
    sold = await env.pool.fetch(
        "SELECT sold_price, sold_at, active FROM listings "
        "WHERE sold_source = 'marketplace_insights'"
    )
    assert len(sold) == result.sold_recorded
    assert all(r["sold_price"] is not None and not r["active"] for r in sold)


async def test_a_failing_insights_call_leaves_the_browse_run_whole(env: Env) -> None:
    env.sandbox.grant_scopes(INSIGHTS_SCOPE)
    env.sandbox.insights_enabled = False  # eBay answers 403: the API is not enabled
    env.configure("ebay.marketplace_insights=true", "ebay.page_size=20", "ebay.sweep_max_pages=1")
    watch = await env.watch(query="DDR4", marketplace="EBAY_US")
    result = await env.ingestor().run_watch(watch)
    assert result.error is None  # the pages read are a complete, successful run
    assert result.pages == 1
    assert result.sold_recorded == 0
    assert await count(env, "SELECT count(*) FROM listings") > 0


async def test_lifecycle_deactivates_stale_and_ended_listings(env: Env) -> None:
    env.configure("ebay.page_size=50", "ebay.sweep_max_pages=2")
    watch = await env.watch(query="DDR4")
    await env.ingestor().run_watch(watch)
    active = await count(env, "SELECT count(*) FROM listings WHERE active")
    assert active > 0
    env.clock.advance(timedelta(hours=73))
    changed = await deactivate_expired(env.pool, lambda: env.settings, env.clock)
    assert changed == active
    assert await count(env, "SELECT count(*) FROM listings WHERE active") == 0


async def test_scheduler_loop_syncs_quota_runs_watches_and_releases_on_stop(env: Env) -> None:
    env.configure("ebay.page_size=5", "ebay.sweep_max_pages=1", "schedule.ingest_tick_seconds=0.05")
    watch = await env.watch(query="DDR4")
    scheduler = env.scheduler("looper")
    stop = asyncio.Event()
    task = asyncio.create_task(scheduler.run_forever(stop))
    async with asyncio.timeout(10):
        # Polls the database: the run's only visible effect is a row another task writes.
        while (await env.watches.get(None, watch.id)).last_run_at is None:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert env.sandbox.stats.count(Endpoint.RATE_LIMIT, 200) >= 2  # at start and after the run
    quota = await env.status()
    assert quota.quota.synced_at is not None
    assert (await env.watches.get(None, watch.id)).lease_holder is None


async def test_scheduler_loop_survives_errors(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    env.configure("schedule.ingest_tick_seconds=0.01")
    scheduler = env.scheduler("flaky")
    calls = {"n": 0}
    recovered = asyncio.Event()
    real_tick = scheduler.tick

    async def failing_tick() -> TickResult:
        calls["n"] += 1
        if calls["n"] <= 2:
            raise RuntimeError("database hiccup")
        recovered.set()
        return await real_tick()

    scheduler.tick = failing_tick  # type: ignore[method-assign]
    stop = asyncio.Event()
    with caplog.at_level(logging.ERROR):
        task = asyncio.create_task(scheduler.run_forever(stop))
        await asyncio.wait_for(recovered.wait(), 10)
        stop.set()
        await asyncio.wait_for(task, 5)
    assert "ingest tick failed (2 in a row)" in caplog.text
