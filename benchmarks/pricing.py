"""Benchmark: baseline refresh over 1,000,000 listings in 10,000 product keys, and a
rescore of 100,000 listings, in a real PostgreSQL (embedded unless
SPT_BENCH_DATABASE_URL is set). Prints one JSON object.

Targets on this 2-core machine: refresh <= 15 s, rescore <= 20 s.

    .venv/bin/python -m benchmarks.pricing [--listings 1000000] [--keys 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from datetime import UTC, datetime
from typing import Any

from benchmarks.database import bench_database
from core.db.migrate import migrate
from core.db.pool import Pool, create_pool
from core.pricing.baselines import BaselineService
from core.pricing.scorer import Scorer
from core.settings import DatabaseSettings, load_settings

NOW = datetime.now(UTC)


async def populate(pool: Pool, listings: int, keys: int) -> float:
    """Listings with extractions spread over `keys` RAM product keys; returns seconds."""
    started = time.perf_counter()
    await pool.execute(
        """
        INSERT INTO listings (marketplace, item_id, title, currency, price, shipping, condition,
                              seller_feedback_score, seller_feedback_percent, seller_top_rated,
                              image_url, first_seen_at, last_seen_at, buying_options)
        SELECT 'EBAY_US', 'v1|' || g || '|0', 'bench listing ' || g, 'USD',
               round((20 + (g % $2) % 200 + random() * 40)::numeric, 2), 5,
               CASE WHEN g % 50 = 0 THEN 'for_parts' ELSE 'used_working' END,
               (g % 5000), 98.5 + (g % 15) / 10.0, g % 7 = 0, 'https://i.ebayimg.com/x.jpg',
               $3::timestamptz - make_interval(hours => g % 2000), $3, '{FIXED_PRICE}'
        FROM generate_series(1, $1) AS g
        """,
        listings,
        keys,
        NOW,
    )
    await pool.execute(
        """
        INSERT INTO extractions (listing_id, component_type, confidence, method, quantity,
                                 product_key)
        SELECT id, 'ram', 0.95, 'rules', 1 + (id % 9 = 0)::int * 3,
               'ram:ddr4:ecc_reg:' || (id % $1) || 'gb:2666'
        FROM listings
        """,
        keys,
    )
    await pool.execute("ANALYZE listings; ANALYZE extractions")
    return time.perf_counter() - started


async def main(listings: int, keys: int, rescore: int) -> dict[str, Any]:
    settings = load_settings(None, None, {}).settings
    async with bench_database() as url:
        pool = await create_pool(url, DatabaseSettings(pool_min_size=1, pool_max_size=4))
        try:
            await migrate(pool)
            await pool.execute(
                "TRUNCATE listings, extractions, baselines, baseline_history, scores CASCADE"
            )
            setup = await populate(pool, listings, keys)
            baselines = BaselineService(pool, lambda: settings, lambda: NOW)
            started = time.perf_counter()
            refreshed = await baselines.refresh()
            refresh_seconds = time.perf_counter() - started
            # The keys holding about `rescore` listings (keys are spread evenly).
            wanted = [f"ram:ddr4:ecc_reg:{n}gb:2666"
                      for n in range(max(1, keys * rescore // listings))]  # fmt: skip
            scorer = Scorer(pool, lambda: settings, lambda: NOW)
            started = time.perf_counter()
            scored = await scorer.rescore(keys=wanted)
            rescore_seconds = time.perf_counter() - started
        finally:
            await pool.close()
    return {
        "benchmark": "pricing",
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
        "listings": listings,
        "product_keys": keys,
        "setup_seconds": round(setup, 1),
        "baselines_written": refreshed.refreshed,
        "refresh_seconds": round(refresh_seconds, 2),
        "refresh_target_seconds": 15,
        "rescored": scored,
        "rescore_seconds": round(rescore_seconds, 2),
        "rescore_target_seconds": 20,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=1_000_000)
    parser.add_argument("--keys", type=int, default=10_000)
    parser.add_argument("--rescore", type=int, default=100_000)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.listings, args.keys, args.rescore))))
