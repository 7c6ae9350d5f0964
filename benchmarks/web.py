"""Benchmark: dashboard page renders with 100,000 listings in the database.

The side server with the dashboard runs over a populated PostgreSQL (the bot benchmark's
data: 100,000 listings in 200 product keys, 30 watches in two guilds, plus 5,000 alerts)
and each page is fetched over loopback: from the request leaving the client to the whole
page arriving. Charts are images of their own and are reported apart. PostgreSQL is
embedded unless SPT_BENCH_DATABASE_URL is set. Prints one JSON object.

Target on this 2-core machine: p95 <= 100 ms per page.

    .venv/bin/python -m benchmarks.web [--listings 100000] [--rounds 100] [--reuse]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import sys
import time
from typing import Any

import aiohttp

from app.services import open_services
from app.sidecar import Sidecar
from benchmarks.bot import populate, summary
from benchmarks.database import bench_database
from core.config_reload import SettingsHolder
from core.db.migrate import migrate
from core.db.pool import Pool, create_pool
from core.settings import DatabaseSettings, load_settings, parse_cli_overrides
from tests.bot.harness import GUILD

ALERTS = 5000


async def add_alerts(pool: Pool) -> None:
    """Alerts for our guild's watches, and every listing's price history."""
    await pool.execute(
        """
        INSERT INTO alerts (watch_id, listing_id, guild_id, score, unit_price, currency, status,
                            created_at, delivered_at)
        SELECT DISTINCT ON (s.listing_id) h.watch_id, s.listing_id, $1, s.score, s.unit_price,
               s.currency, 'delivered',
               now() - make_interval(mins => (s.listing_id % 5000)::int), now()
        FROM scores s JOIN watch_hits h ON h.listing_id = s.listing_id
        JOIN watches w ON w.id = h.watch_id AND w.guild_id = $1
        WHERE s.is_current ORDER BY s.listing_id LIMIT $2
        """,
        GUILD, ALERTS,
    )  # fmt: skip
    # Two observed prices per listing, for the price-history pages and charts.
    await pool.execute(
        "INSERT INTO listing_prices (listing_id, observed_at, price, shipping) "
        "SELECT id, now() - interval '3 days', price + 10, shipping FROM listings UNION ALL "
        "SELECT id, now() - interval '1 hour', price, shipping FROM listings ON CONFLICT DO NOTHING"
    )
    await pool.execute("ANALYZE alerts; ANALYZE listing_prices")


async def measure(http: aiohttp.ClientSession, url: str, rounds: int) -> dict[str, float]:
    samples = []
    for round_ in range(rounds + 10):
        if round_ == 10:
            gc.freeze()
        started = time.perf_counter()
        async with http.get(url) as response:
            await response.read()
            assert response.status == 200, (url, response.status)
        if round_ >= 10:  # the first rounds warm caches and prepared statements
            samples.append(time.perf_counter() - started)
    return summary(samples)


async def pages(url: str, rounds: int) -> dict[str, dict[str, float]]:
    layer = parse_cli_overrides([f"database.url={url!r}", "sidecar.port=0",
                                 "extract.backend='rules'"])  # fmt: skip
    loaded = load_settings(None, layer, {})
    async with open_services(SettingsHolder(loaded, lambda: loaded)) as services:
        sidecar = Sidecar(services)
        base = await sidecar.start()
        try:
            listing = await services.db.pool.fetchval(
                "SELECT listing_id FROM scores WHERE is_current ORDER BY score DESC LIMIT 1"
            )
            key = "ram:ddr4:ecc_reg:32gb:2666"
            scope = f"scope={GUILD}"
            targets = {
                "page_deals": f"/?{scope}",
                "page_watches": f"/watches?{scope}",
                "page_listings": f"/listings?{scope}",
                "page_listings_by_score": f"/listings?{scope}&sort=score",
                "page_listings_by_price": f"/listings?{scope}&sort=price",
                "page_listings_filtered": f"/listings?{scope}&type=ram&min_score=50&max_price=200",
                "page_listings_search": f"/listings?{scope}&q=samsung+32gb",
                "page_listings_page_20": f"/listings?{scope}&page=20",
                "page_listing_detail": f"/listings/{listing}?{scope}",
                "page_baselines": f"/baselines?{scope}",
                "page_baseline_detail": f"/baselines/{key}?{scope}",
                "page_alerts": f"/alerts?{scope}",
                "page_alerts_page_20": f"/alerts?{scope}&page=20",
            }
            charts = {
                "chart_price_history": f"/listings/{listing}/history.svg?{scope}",
                "chart_distribution": f"/baselines/{key}/USD/distribution.svg",
            }
            async with aiohttp.ClientSession() as http:
                results = {name: await measure(http, base + path, rounds)
                           for name, path in targets.items()}  # fmt: skip
                chart_results = {name: await measure(http, base + path, max(10, rounds // 5))
                                 for name, path in charts.items()}  # fmt: skip
        finally:
            await sidecar.stop()
    return {**results, **chart_results}


async def main(listings: int, rounds: int, reuse: bool) -> dict[str, Any]:
    logging.disable(logging.WARNING)  # the service's INFO lines would drown the JSON
    async with bench_database() as url:
        pool = await create_pool(url, DatabaseSettings(pool_min_size=1, pool_max_size=4))
        try:
            await migrate(pool)
            setup = 0.0
            if not reuse or await pool.fetchval("SELECT count(*) FROM listings") != listings:
                await pool.execute("TRUNCATE listings, watches, baselines, scores CASCADE")
                setup = await populate(pool, listings)
                await add_alerts(pool)
        finally:
            await pool.close()
        results = await pages(url, rounds)
    worst = max(v["p95_ms"] for k, v in results.items() if k.startswith("page_"))
    return {
        "benchmark": "web",
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
        "listings": listings,
        "alerts": ALERTS,
        "rounds": rounds,
        "setup_seconds": round(setup, 1),
        "measured": "GET sent -> whole page received, loopback",
        **results,
        "worst_page_p95_ms": worst,
        "target_p95_ms": 100,
        "met": worst <= 100,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the data already in SPT_BENCH_DATABASE_URL if it fits",
    )
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.listings, args.rounds, args.reuse))))
