"""Benchmark: eBay calls per day for many watches across many servers (issue 14, point 2).

10,000 watches across 1,000 guilds (by default) over the sandbox marketplace on loopback,
through the real scheduler, EbayClient and PostgreSQL (embedded unless
SPT_BENCH_DATABASE_URL is set). Watches are drawn the way servers write them: a few
hundred homelab searches with Zipf popularity (many servers watch "DDR4 32GB ECC"), some
with a price cap, mostly on EBAY_US, at 15, 30 or 60 minutes. `--processes` schedulers
(separate holders and pools, as separate spt processes would be) share the work.

A simulated clock runs `--cycles` cycles of 15 minutes; listings appear in the sandbox as
the clock passes their listing time. The first cycle is every search's daily sweep; the
others are the steady state, so calls per day = the sweep cycle + 95 steady cycles.

Prints one JSON object: watches, guilds, distinct searches, calls per cycle (sweep and
steady), estimated calls per day against the 5,000 budget (and what it would be if every
watch searched on its own), wall seconds per steady cycle (sandbox and database), p95
minutes from a listing appearing to spt storing it, with `--pipeline` an upper bound of
the seconds from storing a listing to deciding its alert (each cycle's ingestion plus its
extraction, scoring and alert decisions), and per cycle whether every watch was served
exactly once (no search ran twice, none was missed).

    .venv/bin/python -m benchmarks.scale [--feeds] [--pipeline] [--watches 10000] [--cycles 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import aiohttp

from benchmarks.database import bench_database
from core.alerts.service import AlertService
from core.db.migrate import migrate
from core.db.pool import Pool, create_pool
from core.extract.service import Extractor
from core.jobs.extract import ExtractionWorker
from core.jobs.ingest import Ingestor, IngestScheduler
from core.marketplace.wiring import build_ebay_client
from core.pricing.baselines import BaselineService
from core.pricing.scorer import Scorer
from core.resilience import breaker_factory
from core.settings import DatabaseSettings, Settings, load_settings, parse_cli_overrides
from sandbox import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    SandboxMarketplace,
    build_catalog,
)
from tests.clock import ManualClock

NOW = datetime.now(UTC).replace(second=0, microsecond=0)
CYCLE = timedelta(minutes=15)
DAILY_BUDGET = 5000
# What homelab servers search for, by component type (the sandbox sells these).
SEARCHES: dict[str, list[str]] = {
    "ram": ["DDR4 32GB ECC", "DDR4 64GB RDIMM", "DDR4 16GB ECC", "DDR5 RDIMM", "DDR3 16GB ECC",
            "DDR4 LRDIMM", "32GB PC4-2666V", "64GB PC4-2933Y", "DDR4 2400 ECC", "DDR5 32GB"],
    "drive": ["SAS 12TB", "HGST 10TB", "SSD 3.84TB", "U.2 NVMe", "SAS SSD 1.92TB",
              "WD Red 8TB", "Exos 16TB", "Intel DC S3610", "Samsung PM883", "Micron 5300"],
    "server": ["Dell R740", "Dell R730xd", "HP DL380 Gen10", "Dell R640", "Supermicro 2U",
               "HPE DL360 Gen9", "Dell R720", "Lenovo SR650", "Dell R440", "HP DL380 Gen9"],
    "cpu": ["EPYC 7742", "Xeon Gold 6248", "Xeon E5-2680 v4", "EPYC 7302", "Xeon Silver 4214",
            "Xeon Platinum 8168", "EPYC 7551", "Xeon E5-2697 v2", "Xeon Gold 6140", "EPYC 7402"],
    "nic": ["ConnectX-4", "X710", "ConnectX-3", "Intel X520", "Mellanox 100GbE", "Chelsio T520",
            "Broadcom 57810", "ConnectX-5", "Intel X550", "Solarflare"],
    "gpu": ["Tesla P40", "Tesla V100", "RTX A4000", "Tesla T4", "Quadro P2000", "Tesla P100",
            "RTX 3090", "A100", "Quadro RTX 4000", "Tesla K80"],
}  # fmt: skip
PRICE_CAPS = [None, None, None, Decimal("50"), Decimal("100"), Decimal("200"), Decimal("500")]
MARKETS = ["EBAY_US"] * 7 + ["EBAY_GB", "EBAY_DE", "EBAY_AU"]
INTERVALS = [900] * 6 + [1800] * 3 + [3600]
THRESHOLDS = [80] * 9 + [50]  # some servers want more alerts than clear deals


def bench_settings(base_url: str, feeds: bool) -> Settings:
    overrides = parse_cli_overrides([
        f"ebay.api_base_url={base_url}", f"ebay.client_id={DEFAULT_CLIENT_ID}",
        f"ebay.client_secret={DEFAULT_CLIENT_SECRET}", "ebay.requests_per_second=100",
        "ebay.burst=1000", "ebay.daily_call_budget=10000000", "ebay.page_size=200",
        f"ebay.category_feeds={'true' if feeds else 'false'}", "extract.backend=rules",
    ])  # fmt: skip
    return load_settings(None, overrides, {}).settings


def draw_watches(
    rng: random.Random, watches: int, guilds: int, intervals: Sequence[int] = INTERVALS
) -> list[tuple[Any, ...]]:
    """Rows for `watches`: Zipf-popular searches, some capped, spread over `guilds`, each
    polling at one of `intervals` (seconds)."""
    markets, caps = dict.fromkeys(MARKETS), dict.fromkeys(PRICE_CAPS)
    catalogue = [(kind, query, market, cap) for kind, queries in SEARCHES.items()
                 for query in queries for market in markets for cap in caps]  # fmt: skip
    rng.shuffle(catalogue)
    weights = [1 / (rank + 1) for rank in range(len(catalogue))]
    rows = []
    for n in range(watches):
        kind, query, market, cap = rng.choices(catalogue, weights)[0]
        if rng.random() < 0.3:
            query = query.lower()  # servers type differently; the search stays the same
        rows.append((900_000_000_000_000_000 + n % guilds, f"w{n}", query, kind, market, cap,
                     rng.choice(intervals), rng.choice(THRESHOLDS)))  # fmt: skip
    return rows


async def seed(pool: Pool, rows: list[tuple[Any, ...]]) -> None:
    await pool.executemany(
        "INSERT INTO watches (guild_id, name, query, component_type, marketplace, max_price, "
        "poll_interval_seconds, threshold, next_run_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        [(*row, NOW) for row in rows],
    )


class Pipeline:
    """What follows ingestion in spt: extraction (rules), scoring and alert decisions."""

    def __init__(self, pool: Pool, settings: Settings, simulated: ManualClock) -> None:
        # Jobs PostgreSQL stamped with now() must be due: never behind the real time.
        def clock() -> datetime:
            return max(simulated(), datetime.now(UTC))

        self.extractor = Extractor(lambda: settings)
        alerts = AlertService(pool, lambda: settings, clock)
        self.scorer = Scorer(pool, lambda: settings, clock, alerts.evaluate)
        self.baselines = BaselineService(pool, lambda: settings, clock,
                                         lambda keys: self.scorer.rescore(keys=keys))  # fmt: skip
        self.worker = ExtractionWorker(pool, self.extractor, lambda: settings, clock,
                                       "bench/extract", self.scorer.rescore)  # fmt: skip

    async def follow(self, first: bool) -> float:
        """Extract, score and decide alerts for what the cycle stored; its wall seconds."""
        started = time.perf_counter()
        await self.worker.drain()
        if first:  # the sweep's prices make the first baselines
            await self.baselines.refresh()
        return time.perf_counter() - started


async def cycle(schedulers: list[IngestScheduler], pool: Pool, at: datetime) -> dict[str, Any]:
    """Run every due watch once across the schedulers; what it cost and who was served."""
    before = await pool.fetchval("SELECT coalesce(sum(calls_used), 0) FROM ebay_quota")
    started = time.perf_counter()
    ticks = await asyncio.gather(*(s.tick() for s in schedulers))
    seconds = time.perf_counter() - started
    runs = [run for tick in ticks for run in tick.runs]
    feed_runs = [run for tick in ticks for run in tick.feed_runs]
    after = await pool.fetchval("SELECT coalesce(sum(calls_used), 0) FROM ebay_quota")
    ran_keys = await pool.fetch(
        "SELECT w.search_key, count(*) AS runs FROM watches w "
        "WHERE w.id = ANY($1::bigint[]) GROUP BY w.search_key",
        [r.watch_id for r in runs],
    )
    stale = await pool.fetchval(
        "SELECT count(*) FROM watches WHERE enabled AND next_run_at <= $1", at
    )
    return {
        "calls": int(after - before),
        "runs": len(runs),
        "feed_runs": len(feed_runs),
        "feeds_run_twice": len(feed_runs) - len({r.feed_id for r in feed_runs}),
        "errors": sum(1 for r in runs if r.error) + sum(1 for f in feed_runs if f.error),
        "searches_run_twice": sum(1 for r in ran_keys if r["runs"] > 1),
        "watches_left_due": int(stale),
        "seconds": round(seconds, 2),
    }


async def main(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)  # noqa: S311 - reproducible workload
    clock = ManualClock(NOW)
    catalog = build_catalog(seed=args.seed, size=args.catalog, now=NOW)
    sandbox = SandboxMarketplace(catalog, clock=clock)
    base_url = await sandbox.start()
    try:
        async with bench_database() as url:
            setup = await create_pool(url, DatabaseSettings(pool_min_size=1, pool_max_size=2))
            try:
                await migrate(setup)
                await seed(setup, draw_watches(rng, args.watches, args.guilds))
                searches = int(await setup.fetchval(
                    "SELECT count(DISTINCT search_key) FROM watches"))  # fmt: skip
                # One call per run, as the steady cycles mostly are: the cost of every
                # watch searching on its own, for comparison.
                unshared = float(await setup.fetchval(
                    "SELECT sum(86400.0 / poll_interval_seconds) FROM watches"))  # fmt: skip
            finally:
                await setup.close()
            result = await simulate(args, url, base_url, clock, catalog, searches)
            return {**result, "calls_per_day_if_unshared": round(unshared)}
    finally:
        await sandbox.stop()


async def simulate(args: argparse.Namespace, url: str, base_url: str, clock: ManualClock,
                   catalog: Any, searches: int) -> dict[str, Any]:  # fmt: skip
    settings = bench_settings(base_url, args.feeds)
    pools = [await create_pool(url, DatabaseSettings(pool_min_size=1, pool_max_size=4))
             for _ in range(args.processes)]  # fmt: skip
    try:
        async with aiohttp.ClientSession() as session:
            schedulers = []
            for n, pool in enumerate(pools):
                client = build_ebay_client(session, lambda: settings, pool, breaker_factory())
                assert client.budget is not None
                ingestor = Ingestor(pool, client, lambda: settings, clock)
                schedulers.append(IngestScheduler(pool, ingestor, client, client.budget,
                                                  lambda: settings, clock=clock,
                                                  holder=f"process-{n}", batch=50))  # fmt: skip
            pipeline = Pipeline(pools[0], settings, clock) if args.pipeline else None
            cycles = []
            for n in range(args.cycles):
                ran = await cycle(schedulers, pools[0], clock())
                if pipeline is not None:
                    before = await pools[0].fetchval("SELECT count(*) FROM alerts")
                    ran["pipeline_seconds"] = round(await pipeline.follow(n == 0), 2)
                    ran["alerts"] = int(await pools[0].fetchval("SELECT count(*) FROM alerts"))
                    ran["alerts"] -= int(before)
                cycles.append(ran)
                clock.advance(CYCLE)
            latency = await appearance_to_store(pools[0], catalog)
            if pipeline is not None:
                await pipeline.extractor.close()
    finally:
        for pool in pools:
            await pool.close()
    steady = [c["calls"] for c in cycles[1:]] or [cycles[0]["calls"]]
    per_cycle = statistics.mean(steady)
    per_day = cycles[0]["calls"] + per_cycle * (timedelta(days=1) / CYCLE - 1)
    return {
        "mode": "category feeds" if args.feeds else "shared searches",
        "watches": args.watches,
        "guilds": args.guilds,
        "processes": args.processes,
        "distinct_searches": searches,
        "sweep_cycle_calls": cycles[0]["calls"],
        "steady_cycle_calls": round(per_cycle, 1),
        "calls_per_day": round(per_day),
        "daily_budget": DAILY_BUDGET,
        "within_budget": per_day <= DAILY_BUDGET,
        # Wall time of a steady cycle: the sandbox's HTTP answers and the database together.
        "steady_cycle_seconds": round(statistics.mean(c["seconds"] for c in cycles[1:]), 2)
        if len(cycles) > 1
        else None,
        "p95_minutes_appearance_to_stored": latency,
        # A listing stored in a cycle has its alert decided by the end of that cycle's
        # extraction and scoring: the cycle's ingestion plus pipeline time bounds it.
        "stored_to_alert_seconds_at_most": max(
            (c["seconds"] + c["pipeline_seconds"] for c in cycles[1:]), default=None
        )
        if args.pipeline
        else "not measured (run with --pipeline)",
        "cycles": cycles,
    }


async def appearance_to_store(pool: Pool, catalog: Any) -> float | None:
    """p95 minutes between a listing's appearance (after the start) and spt storing it."""
    listed = {x.item_id: x.listed_at for x in catalog.listings if x.listed_at > NOW}
    rows = await pool.fetch("SELECT item_id, first_seen_at FROM listings")
    delays = sorted((r["first_seen_at"] - listed[r["item_id"]]).total_seconds() / 60
                    for r in rows if r["item_id"] in listed)  # fmt: skip
    if not delays:
        return None
    p95: float = delays[int(0.95 * (len(delays) - 1))]
    return round(p95, 1)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__)
    parser.add_argument("--watches", type=int, default=10_000)
    parser.add_argument("--guilds", type=int, default=1_000)
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--catalog", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--feeds", action="store_true", help="ebay.category_feeds on")
    parser.add_argument("--pipeline", action="store_true",
                        help="also extract, score and decide alerts each cycle")  # fmt: skip
    return parser.parse_args(argv)


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(parse(sys.argv[1:])))))
