"""Benchmark: slash-command latency with 100,000 listings in the database.

A real SptBot, connected to the fake Discord on loopback, answers `/listings top` (overall,
by watch, by type and by product key, for a guild whose watches found every listing and
for one whose watches found a tenth of them) and `/watch list`. Each figure is the round
trip a member would wait for: from the INTERACTION_CREATE leaving the gateway to the
interaction callback arriving at Discord's REST API. PostgreSQL is embedded unless
SPT_BENCH_DATABASE_URL is set. Prints one JSON object.

Target on this 2-core machine: p95 <= 50 ms for `/listings top` and `/watch list`.

    .venv/bin/python -m benchmarks.bot [--listings 100000] [--rounds 200] [--reuse]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import statistics
import sys
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from benchmarks.database import bench_database
from core.db.migrate import migrate
from core.db.pool import Pool, create_pool
from core.pricing.baselines import BaselineService
from core.pricing.scorer import Scorer
from core.settings import DatabaseSettings, load_settings
from tests.bot.harness import (
    ADMIN_ROLE,
    DEALS,
    GUILD,
    OTHER_ADMIN_ROLE,
    OTHER_DEALS,
    OTHER_GUILD,
    holder_for,
    running_bot,
    world,
)
from tests.fakes.discord_api import FakeDiscord

NOW = datetime.now(UTC)
KEYS = 200
WATCHES = 25  # our guild's; the other guild has 5


async def populate(pool: Pool, listings: int) -> float:
    """Listings, extractions, two guilds' watches and hits, baselines and scores."""
    started = time.perf_counter()
    await pool.execute(
        """
        INSERT INTO listings (marketplace, item_id, legacy_item_id, title, url, currency, price,
                              shipping, condition, seller_username, seller_feedback_score,
                              seller_feedback_percent, seller_top_rated, image_url,
                              first_seen_at, last_seen_at, buying_options)
        SELECT 'EBAY_US', 'v1|' || (130000000000 + g) || '|0', (130000000000 + g)::text,
               'Samsung ' || (g % $2) || 'GB DDR4 2666 ECC RDIMM server memory #' || g,
               'https://www.ebay.com/itm/' || (130000000000 + g), 'USD',
               round((20 + (g % $2) + random() * 60)::numeric, 2), 5, 'used_working',
               'seller' || (g % 997), g % 5000, 98.5 + (g % 15) / 10.0, g % 7 = 0,
               'https://i.ebayimg.com/x.jpg', $3::timestamptz - make_interval(hours => g % 500),
               $3, '{FIXED_PRICE}'
        FROM generate_series(1, $1) AS g
        """,
        listings, KEYS, NOW,
    )  # fmt: skip
    await pool.execute(
        "INSERT INTO extractions (listing_id, component_type, confidence, method, quantity, "
        "product_key) SELECT id, 'ram', 0.95, 'rules', 1, "
        "'ram:ddr4:ecc_reg:' || (id % $1) || 'gb:2666' FROM listings",
        KEYS,
    )
    for guild, count in ((GUILD, WATCHES), (OTHER_GUILD, 5)):
        await pool.execute(
            "INSERT INTO watches (guild_id, channel_id, name, query, component_type, "
            "marketplace, threshold, poll_interval_seconds) SELECT $1, $3, 'DDR4 watch ' || g, "
            "'DDR4', 'ram', 'EBAY_US', 80, 900 FROM generate_series(1, $2) AS g",
            guild, count, DEALS if guild == GUILD else OTHER_DEALS,
        )  # fmt: skip
    # Our guild's watches found every listing; the other guild's a tenth of them.
    await pool.execute(
        "INSERT INTO watch_hits (watch_id, listing_id) SELECT w.id, l.id FROM listings l "
        "JOIN watches w ON w.guild_id = $1 AND w.id = (SELECT min(id) FROM watches "
        "WHERE guild_id = $1) + l.id % $2",
        GUILD, WATCHES,
    )  # fmt: skip
    await pool.execute(
        "INSERT INTO watch_hits (watch_id, listing_id) SELECT w.id, l.id FROM listings l "
        "JOIN watches w ON w.guild_id = $1 AND w.id = (SELECT min(id) FROM watches "
        "WHERE guild_id = $1) + l.id % 5 WHERE l.id % 10 = 0",
        OTHER_GUILD,
    )
    settings = load_settings(None, None, {}).settings
    await BaselineService(pool, lambda: settings, lambda: NOW).refresh()
    await Scorer(pool, lambda: settings, lambda: NOW).rescore()
    await pool.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(p95 * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


async def measure(
    fake: FakeDiscord, name: str, options: Mapping[str, Any], guild: int, rounds: int
) -> dict[str, float]:
    roles = [ADMIN_ROLE] if guild == GUILD else [OTHER_ADMIN_ROLE]
    channel = DEALS if guild == GUILD else OTHER_DEALS
    samples = []
    for round_ in range(rounds + 10):
        if round_ == 10:
            # The fake Discord lives in this process and keeps every request it saw; frozen,
            # its records no longer lengthen the bot's garbage collections (as they would not
            # in production, where Discord is elsewhere).
            gc.freeze()
        payload = fake.slash_command(name, dict(options), guild_id=guild, channel_id=channel,
                                     roles=roles)  # fmt: skip
        started = time.perf_counter()
        record = await fake.interact(payload, timeout=10)
        elapsed = time.perf_counter() - started
        assert record.type == 4, record
        if round_ >= 10:  # the first rounds warm caches and prepared statements
            samples.append(elapsed)
    return summary(samples)


async def round_trips(url: str, rounds: int) -> dict[str, dict[str, float]]:
    """Each command's latency through a connected bot over the populated database."""
    async with FakeDiscord() as fake:
        # Hundreds of answers a second would trip the fake's per-bucket limit (its 429s are
        # realistic); here only spt's own latency is measured.
        fake.rate_limit = 1_000_000
        world(fake)
        with fake.patch_discord():
            async with running_bot(fake, holder_for(fake, url, None)) as h:
                key = "ram:ddr4:ecc_reg:32gb:2666"
                watch = str(await h.pool.fetchval(
                    "SELECT min(id) FROM watches WHERE guild_id = $1", GUILD))  # fmt: skip
                return {
                    "listings_top": await measure(fake, "listings top", {}, GUILD, rounds),
                    "listings_top_by_watch": await measure(
                        fake, "listings top", {"watch": watch}, GUILD, rounds),
                    "listings_top_by_type": await measure(
                        fake, "listings top", {"type": "ram"}, GUILD, rounds),
                    "listings_top_by_key": await measure(
                        fake, "listings top", {"product_key": key}, GUILD, rounds),
                    "listings_top_sparse_guild": await measure(
                        fake, "listings top", {}, OTHER_GUILD, rounds),
                    "watch_list": await measure(fake, "watch list", {}, GUILD, rounds),
                }  # fmt: skip


async def main(listings: int, rounds: int, reuse: bool) -> dict[str, Any]:
    logging.disable(logging.WARNING)  # the bot's INFO lines would drown the JSON
    async with bench_database() as url:
        pool = await create_pool(url, DatabaseSettings(pool_min_size=1, pool_max_size=4))
        try:
            await migrate(pool)
            setup = 0.0
            if not reuse or await pool.fetchval("SELECT count(*) FROM listings") != listings:
                await pool.execute("TRUNCATE listings, watches, baselines, scores CASCADE")
                setup = await populate(pool, listings)
        finally:
            await pool.close()
        results = await round_trips(url, rounds)
    worst = max(r["p95_ms"] for r in results.values())
    return {
        "benchmark": "bot",
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
        "listings": listings,
        "watches": WATCHES + 5,
        "rounds": rounds,
        "setup_seconds": round(setup, 1),
        "measured": "INTERACTION_CREATE sent -> interaction callback received, loopback",
        **results,
        "worst_p95_ms": worst,
        "target_p95_ms": 50,
        "met": worst <= 50,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the data already in SPT_BENCH_DATABASE_URL if it fits",
    )
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.listings, args.rounds, args.reuse))))
