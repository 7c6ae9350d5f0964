"""Migration product_key_markets (issue 15): stored RAM and drive listings get the new
product keys (module kind, Optane) by being read again; mutes of old keys carry over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from core.db.listings import upsert_seen
from core.db.migrate import discover, migrate
from core.db.pool import Pool
from core.extract.service import Extractor
from core.jobs.extract import ExtractionWorker
from core.marketplace.listing import MarketListing
from core.models import Marketplace
from core.pricing.baselines import BaselineService
from core.settings import load_settings, parse_cli_overrides
from tests.clock import ManualClock

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
# (title, type, product key as spt stored it before the migration)
OLD = [
    ("Samsung 64GB DDR4 2666 ECC LRDIMM M386A8K40BM2-CTD", "ram", "ram:ddr4:ecc_reg:64gb:2666"),
    ("Samsung 64GB DDR4 2666 ECC RDIMM M393A8G40MB2-CTD", "ram", "ram:ddr4:ecc_reg:64gb:2666"),
    ("Intel Optane P4800X 375GB U.2 NVMe SSD", "drive", "drive:nvme:2.5:375gb:ssd"),
    ("Intel Xeon Gold 6130 16-Core 2.1GHz SR3B9 CPU", "cpu", "cpu:intel:6130"),
]
NEW = {
    "ram:ddr4:lrdimm:ecc_reg:64gb:2666",
    "ram:ddr4:rdimm:ecc_reg:64gb:2666",
    "drive:nvme:2.5:375gb:xpoint",
    "cpu:intel:6130",
}


async def _fill(pool: Pool) -> None:
    """Listings with extractions, a baseline and mutes as spt stored them before."""
    listings = [
        MarketListing(Marketplace.EBAY_US, f"v1|{110000000000 + n}|0", title, Decimal(50), "USD")
        for n, (title, _kind, _key) in enumerate(OLD)
    ]
    async with pool.acquire() as conn:
        await upsert_seen(conn, [], listings, NOW - timedelta(hours=1))
        await conn.execute("DELETE FROM extraction_jobs")  # read long ago
        for title, kind, key in OLD:
            await conn.execute(
                "INSERT INTO extractions (listing_id, component_type, attributes, confidence, "
                "method, product_key, created_at) SELECT id, $2, '{}', 0.95, 'rules', $3, $4 "
                "FROM listings WHERE title = $1",
                title, kind, key, NOW - timedelta(hours=1),
            )  # fmt: skip
        await conn.execute(
            "INSERT INTO baselines (product_key, currency, sample_count, p50, window_days, "
            "computed_at) VALUES ('ram:ddr4:ecc_reg:64gb:2666', 'USD', 2, 50, 90, $1)",
            NOW - timedelta(hours=1),
        )
        await conn.executemany(
            "INSERT INTO mutes (guild_id, kind, value) VALUES (7, $1, $2)",
            [("product_key", "ram:ddr4:ecc_reg:64gb:2666"),
             ("product_key", "drive:nvme:2.5:375gb:ssd"), ("seller", "ram:x:y:z:w")],
        )  # fmt: skip


async def test_old_keys_are_read_again_into_the_new_markets(empty_pool: Pool) -> None:
    migrations = discover()
    mine = next(i for i, m in enumerate(migrations) if m.name == "product_key_markets")
    await migrate(empty_pool, migrations[:mine])
    await _fill(empty_pool)
    await migrate(empty_pool)

    queued = await empty_pool.fetch(
        "SELECT l.title, j.reason FROM extraction_jobs j JOIN listings l ON l.id = j.listing_id "
        "WHERE j.status = 'pending'"
    )
    assert {(r["title"], r["reason"]) for r in queued} == {
        (title, "manual") for title, kind, _key in OLD if kind in ("ram", "drive")
    }
    rows = await empty_pool.fetch(
        "SELECT value FROM mutes WHERE guild_id = 7 AND kind = 'product_key'"
    )
    modules = ("rdimm", "lrdimm", "udimm", "sodimm", "unknown")
    assert {r["value"] for r in rows} == {
        "ram:ddr4:ecc_reg:64gb:2666",
        *(f"ram:ddr4:{module}:ecc_reg:64gb:2666" for module in modules),
        "drive:nvme:2.5:375gb:ssd",
        "drive:nvme:2.5:375gb:xpoint",
    }

    # the queued jobs are due at the database's now(); the test's clock is NOW
    await empty_pool.execute("UPDATE extraction_jobs SET next_attempt_at = $1", NOW)
    settings = load_settings(None, parse_cli_overrides(["extract.backend=rules"]), {}).settings
    clock = ManualClock(NOW)
    worker = ExtractionWorker(empty_pool, Extractor(lambda: settings), lambda: settings, clock,
                              "w")  # fmt: skip
    assert await worker.drain() == 3
    rows = await empty_pool.fetch("SELECT product_key FROM extractions WHERE is_current")
    assert {r["product_key"] for r in rows} == NEW
    # the full refresh drops the old key's baseline: no listing carries it any more
    refresh = await BaselineService(empty_pool, lambda: settings, clock).refresh()
    assert refresh.removed == 1
    assert (
        await empty_pool.fetchval(
            "SELECT count(*) FROM baselines WHERE product_key = 'ram:ddr4:ecc_reg:64gb:2666'"
        )
        == 0
    )
