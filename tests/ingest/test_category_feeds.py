"""Category feeds (issue 14, point 1): one newest-first search per marketplace and
category, every watch of it matched locally as eBay's search would have matched it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from core.watches import Watch
from sandbox.products import category_subtree
from tests.ingest.conftest import Env

FEEDS = ("ebay.category_feeds=true", "ebay.sweep_max_pages=50", "ebay.feed_max_pages=5")
# Searches whose eBay results the local matcher must reproduce: words, either-or groups,
# exclusions, price caps, conditions and buying options.
WATCHES: list[dict[str, Any]] = [
    {"query": "DDR4"},
    {"query": "ddr4 32gb ecc"},
    {"query": "DDR4 (RDIMM,LRDIMM) -lot", "max_price": "60"},
    {"query": "Samsung DDR4", "conditions": ["used_working"]},
    {"query": "DDR3", "min_price": "10", "buying_options": ["AUCTION"]},
    {"query": "16GB -(Hynix,Micron)"},
]


async def hits(env: Env, watch: Watch) -> set[int]:
    rows = await env.pool.fetch("SELECT listing_id FROM watch_hits WHERE watch_id = $1", watch.id)
    return {r["listing_id"] for r in rows}


async def add_watches(env: Env, specs: list[dict[str, Any]], **common: Any) -> list[Watch]:
    return [await env.watch(name=f"w{n}", component_type="ram", **{**spec, **common})
            for n, spec in enumerate(specs)]  # fmt: skip


async def calls(env: Env) -> int:
    return (await env.status()).quota.used


async def test_query_terms_follow_ebays_keyword_syntax(env: Env) -> None:
    watch = await env.watch(query='Samsung PC4-2666V (RDIMM, lrdimm) -(lot,bulk) -broken "2Rx4"')
    assert sorted(watch.query_required) == ["2666v", "2rx4", "pc4", "samsung"]
    assert watch.query_groups == ["rdimm|lrdimm"]
    assert sorted(watch.query_excluded) == ["broken", "bulk", "lot"]
    assert watch.feed_categories == ["170083"]  # RAM's eBay category
    other = await env.watch(name="o", query="x", component_type="other")
    assert other.feed_categories == []  # no category known: searches on its own
    own = await env.watch(name="c", query="x", component_type="drive", category_ids=["175669"])
    assert own.feed_categories == ["175669"]


async def test_a_feed_finds_for_each_watch_what_its_own_search_finds(env: Env) -> None:
    """The oracle is the sandbox's keyword search (eBay's syntax): each watch's own search
    results in the RAM category must be exactly its hits from the feed."""
    env.configure("ebay.page_size=200", "ebay.sweep_max_pages=50")
    own = await add_watches(env, WATCHES, category_ids=["170083"])
    tick = await env.scheduler("own").tick()
    assert len(tick.runs) == len(WATCHES)
    expected = {w.name: await hits(env, w) for w in own}
    assert all(expected.values())  # every search finds something
    await env.pool.execute("DELETE FROM watches")
    env.configure(*FEEDS)
    fed = await add_watches(env, WATCHES)
    tick = await env.scheduler("feeds").tick()
    assert tick.runs == []  # no watch searched on its own ...
    assert [(f.marketplace, f.category_id) for f in tick.feed_runs] == [("EBAY_US", "170083")]
    assert {w.name: await hits(env, w) for w in fed} == expected  # ... and each found the same


async def test_feed_calls_do_not_grow_with_watches(env: Env) -> None:
    env.configure(*FEEDS)
    await add_watches(env, WATCHES[:2])
    before = await calls(env)
    await env.scheduler("a").tick()
    few = await calls(env) - before
    await env.pool.execute("DELETE FROM watches; DELETE FROM feeds; DELETE FROM watch_hits")
    many = [{"query": f"DDR4 {size}GB", "max_price": str(price)}
            for size in (4, 8, 16, 32, 64) for price in (20, 40, 80, 160, 320, 640)]  # fmt: skip
    await add_watches(env, many)
    before = await calls(env)
    await env.scheduler("b").tick()
    assert await calls(env) - before == few  # 30 watches cost what 2 did: one RAM feed


async def test_a_feed_stops_at_known_listings_and_serves_its_watches_on_time(env: Env) -> None:
    env.configure(*FEEDS, "schedule.sweep_interval_hours=24")
    specs = [{"query": "DDR4", "poll_interval_seconds": 3600},
             {"query": "DDR3", "poll_interval_seconds": 600}]  # fmt: skip
    slow, fast = await add_watches(env, specs)
    scheduler = env.scheduler("a")
    (sweep,) = (await scheduler.tick()).feed_runs
    assert sweep.swept  # the first run is the daily sweep
    assert (await scheduler.tick()).feed_runs == []  # nothing due yet
    env.clock.advance(timedelta(seconds=601))
    (run,) = (await scheduler.tick()).feed_runs  # the feed runs at its shortest interval
    assert not run.swept
    assert run.pages == 1  # the newest page was known but for new arrivals: stop there
    for watch in (slow, fast):
        stored = await env.watches.get(None, watch.id)
        assert stored.last_run_at == env.clock()  # both served by that run
    assert (await env.watches.get(None, slow.id)).next_run_at - env.clock() == timedelta(hours=1)


async def test_watches_without_a_known_category_still_search_on_their_own(env: Env) -> None:
    env.configure(*FEEDS)
    ram = await env.watch(name="ram", query="DDR4", component_type="ram")
    other = await env.watch(name="other", query="DDR4", component_type="other")
    tick = await env.scheduler("a").tick()
    assert [r.watch_id for r in tick.runs] == [other.id]
    assert len(tick.feed_runs) == 1
    assert await hits(env, ram)
    in_ram = category_subtree("170083")
    rows = await env.pool.fetch(
        "SELECT l.category_ids FROM watch_hits h JOIN listings l ON l.id = h.listing_id "
        "WHERE h.watch_id = $1", ram.id)  # fmt: skip
    assert all(set(r["category_ids"]) & in_ram for r in rows)
