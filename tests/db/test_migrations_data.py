"""Upgrades with data: a database filled at each earlier schema version upgrades to the
latest with nothing lost, and spt's services read and write it afterwards; migrations that
build indexes concurrently run outside a transaction and survive a crashed build."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from core.alerts.service import AlertService
from core.db.migrate import discover, migrate
from core.db.pool import Pool
from core.guild_settings import GuildSettingsService
from core.pricing.baselines import BaselineService
from core.pricing.scorer import Scorer
from core.settings import load_settings
from core.watches import WatchService
from tests.clock import ManualClock
from tests.db.test_migrations import write_migrations

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
KEY = "ram:ddr4:ecc_reg:32gb:2666"
LISTINGS = 40

# Rows as spt wrote them at schema 001: every later migration only adds, so the same
# statements fill a database at any earlier version. A guild's watch with its finds, their
# price history, extractions, scores, a baseline and its history, an alert delivered to a
# channel with its outbox message and attempts, a mute, a parked extraction job, quota.
_FILL = [
    """INSERT INTO guild_settings (guild_id, manager_role_ids, default_channel_id)
       VALUES (111, '{222}', 333)""",
    """INSERT INTO watches (guild_id, channel_id, owner_id, name, query, component_type,
                           marketplace, max_price, conditions, filters, threshold,
                           poll_interval_seconds, last_run_at, avg_calls_per_run)
       VALUES (111, 333, 444, 'DDR4 32GB', '32GB DDR4 RDIMM', 'ram', 'EBAY_US', 90,
               '{used_working}', '[{"attribute": "capacity_gb", "op": "min", "value": 32}]',
               80, 900, $1, 1.5)""",
    f"""INSERT INTO listings (marketplace, item_id, legacy_item_id, title, url, image_url,
                             currency, price, shipping, seller_username, seller_feedback_score,
                             seller_feedback_percent, seller_top_rated, condition_id,
                             condition, buying_options, category_ids, first_seen_at,
                             last_seen_at)
        SELECT 'EBAY_US', 'v1|' || (110000000000 + g) || '|0', (110000000000 + g)::text,
               'Samsung 32GB 2Rx4 PC4-2666V DDR4 ECC RDIMM #' || g,
               'https://www.ebay.com/itm/' || (110000000000 + g),
               'https://i.ebayimg.com/images/g/x/s-l1600.jpg', 'USD',
               CASE WHEN g = 1 THEN 24 ELSE 40 + g END, 4.5, 'homelab_parts', 5400, 99.8,
               true, 3000, 'used_working', '{{FIXED_PRICE}}', '{{170083}}',
               $1::timestamptz - make_interval(hours => g), $1
        FROM generate_series(1, {LISTINGS}) AS g""",
    """INSERT INTO listing_prices (listing_id, observed_at, price, shipping)
       SELECT id, $1::timestamptz - interval '2 days', price + 5, shipping FROM listings""",
    """INSERT INTO watch_hits (watch_id, listing_id) SELECT 1, id FROM listings""",
    f"""INSERT INTO extractions (listing_id, component_type, attributes, condition, quantity,
                                confidence, method, product_key, created_at)
        SELECT id, 'ram', '{{"generation": "DDR4", "capacity_gb": 32, "speed_mhz": 2666,
                              "ecc": true, "registered": true}}', 'used_working', 1, 0.97,
               'rules', '{KEY}', $1 FROM listings""",
    """INSERT INTO extraction_jobs (listing_id, status, attempts, last_error, finished_at)
       SELECT id, 'parked', 5, 'ollama: connection refused', $1 FROM listings WHERE id = 2""",
    f"""INSERT INTO baselines (product_key, currency, sample_count, p10, p25, p50, p75, p90,
                              mean, window_days, computed_at)
        VALUES ('{KEY}', 'USD', {LISTINGS}, 48, 55, 65, 75, 82, 65, 90, $1)""",
    f"""INSERT INTO baseline_history (product_key, currency, day, sample_count, p50)
        VALUES ('{KEY}', 'USD', ($1::timestamptz)::date, {LISTINGS}, 65)""",
    """INSERT INTO scores (listing_id, extraction_id, score, breakdown, unit_price, currency,
                          product_key, baseline_samples, cold_start, computed_at)
       SELECT l.id, e.id, CASE WHEN l.id = 1 THEN 91 ELSE 50 END,
              '{"price": {"factor": 100, "weight": 0.6, "position": "at or under P10"}}',
              l.price + l.shipping, 'USD', e.product_key, 40, false, $1
       FROM listings l JOIN extractions e ON e.listing_id = l.id""",
    """INSERT INTO outbox (idempotency_key, destination_kind, destination, kind, status,
                          attempts, message_id, created_at, delivered_at)
       VALUES ('alert:1:1:1', 'discord_channel', '333', 'alert', 'delivered', 1,
               900000000000000001, $1, $1)""",
    """INSERT INTO alerts (watch_id, listing_id, score_id, guild_id, score, unit_price,
                          currency, status, outbox_id, feedback, created_at, delivered_at)
       VALUES (1, 1, 1, 111, 91, 28.5, 'USD', 'delivered', 1, 'not_a_deal', $1, $1)""",
    """INSERT INTO delivery_attempts (outbox_id, attempted_at, outcome, http_status,
                                     duration_ms)
       VALUES (1, $1, 'delivered', 200, 180)""",
    """INSERT INTO mutes (guild_id, kind, value, created_by) VALUES (111, 'seller', 'junk', 444)""",
    """INSERT INTO ebay_quota (resource, call_limit, calls_used, window_start, reset_at)
       VALUES ('buy.browse', 5000, 1234, $1::timestamptz - interval '3 hours',
               $1::timestamptz + interval '21 hours')""",
]
_COUNTS = (
    "watches", "listings", "listing_prices", "watch_hits", "extractions", "scores",
    "baselines", "alerts", "outbox", "delivery_attempts", "mutes", "extraction_jobs",
)  # fmt: skip


async def _fill(pool: Pool) -> None:
    async with pool.acquire() as conn, conn.transaction():
        for statement in _FILL:
            args = (NOW,) if "$1" in statement else ()
            await conn.execute(statement, *args)


async def _counts(pool: Pool) -> dict[str, int]:
    return {t: await pool.fetchval(f"SELECT count(*) FROM {t}") for t in _COUNTS}


@pytest.mark.parametrize("version", range(1, len(discover())))
async def test_a_database_filled_at_an_earlier_version_upgrades_with_nothing_lost(
    empty_pool: Pool, version: int
) -> None:
    migrations = discover()
    await migrate(empty_pool, migrations[:version])
    await _fill(empty_pool)
    before = await _counts(empty_pool)
    applied = await migrate(empty_pool)
    assert [m.version for m in applied] == list(range(version + 1, len(migrations) + 1))
    # product_key_markets (issue 15) queues every RAM and drive extraction to be read again
    queued = LISTINGS if any(m.name == "product_key_markets" for m in applied) else 0
    assert await _counts(empty_pool) == {
        **before,
        "extraction_jobs": before["extraction_jobs"] + queued,
    }
    # what each later migration added has its default on the old rows
    row = await empty_pool.fetchrow(
        "SELECT left_out_for_parts, left_out_low, left_out_lots, left_out_high FROM baselines"
    )
    assert row is not None
    assert tuple(row) == (0, 0, 0, 0)
    assert await empty_pool.fetchval("SELECT delivery_error FROM watches") is None
    assert await empty_pool.fetchval("SELECT suppressed_reason FROM alerts") is None
    # and spt's services read and write the upgraded rows
    settings = load_settings(None, None, {}).settings
    clock = ManualClock(NOW + timedelta(minutes=5))
    (watch,) = await WatchService(empty_pool, lambda: settings).list(111)
    assert (watch.name, [f.describe() for f in watch.filters]) == ("DDR4 32GB", ["capacity_gb>=32"])
    guild = await GuildSettingsService(empty_pool, clock).get(111)
    assert (guild.manager_role_ids, guild.default_channel_id) == ([222], 333)
    assert (guild.has_quiet_hours, guild.daily_cap, guild.zone_name) == (False, None, "UTC")
    alerts = AlertService(empty_pool, lambda: settings, clock)
    (alert,) = await alerts.history(111)
    assert (alert["status"], alert["feedback"]) == ("delivered", "not_a_deal")
    scorer = Scorer(empty_pool, lambda: settings, clock, alerts.evaluate)
    baselines = BaselineService(empty_pool, lambda: settings, clock,
                                lambda keys: scorer.rescore(keys=keys))  # fmt: skip
    result = await baselines.refresh()
    assert result.refreshed == 1
    (baseline,) = await baselines.get(KEY)
    assert baseline.sample_count == LISTINGS - 1  # the 24 + 4.50 one is far under the rest
    assert baseline.left_out_low == 1
    rescored = await empty_pool.fetchrow(
        "SELECT score, breakdown FROM scores WHERE listing_id = 1 AND is_current"
    )
    assert rescored is not None
    assert rescored["breakdown"]["maturity"] == "mature"
    assert float(rescored["score"]) > 80  # 28.50 against a usual ~62: a deal, as before


async def test_a_concurrent_index_migration_runs_outside_a_transaction(
    empty_pool: Pool, tmp_path: Path
) -> None:
    migrations = write_migrations(tmp_path / "m", {
        "001_table.sql": "CREATE TABLE t (id int, v int);\nINSERT INTO t VALUES (1, 1), (2, 2);",
        "002_index.sql": "-- spt: no transaction\n-- why: a big table stays writable\n"
                         "CREATE INDEX CONCURRENTLY IF NOT EXISTS t_v ON t (v);\n"
                         "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS t_id ON t (id);\n",
    })  # fmt: skip
    assert [m.transactional for m in migrations] == [True, False]
    assert len(migrations[1].statements()) == 2
    await migrate(empty_pool, migrations)
    valid = await empty_pool.fetch(
        "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE c.relname IN ('t_v', 't_id') ORDER BY 1"
    )
    assert [tuple(r) for r in valid] == [("t_id", True), ("t_v", True)]
    assert await empty_pool.fetchval("SELECT array_agg(version) FROM schema_migrations") == [1, 2]


async def test_a_crashed_concurrent_build_is_rebuilt_on_the_next_start(
    empty_pool: Pool, tmp_path: Path
) -> None:
    directory = tmp_path / "m"
    migrations = write_migrations(directory, {
        "001_table.sql": "CREATE TABLE t (id int);\nINSERT INTO t VALUES (1), (1);",
        "002_index.sql": "-- spt: no transaction\n"
                         "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS t_id ON t (id);\n",
    })  # fmt: skip
    with pytest.raises(Exception, match=r"002_index\.sql failed"):
        await migrate(empty_pool, migrations)  # the duplicate fails the build half-way
    invalid = "SELECT NOT indisvalid FROM pg_index WHERE indexrelid = 't_id'::regclass"
    assert await empty_pool.fetchval(invalid) is True  # PostgreSQL leaves it behind
    assert await empty_pool.fetchval("SELECT max(version) FROM schema_migrations") == 1
    await empty_pool.execute("DELETE FROM t WHERE ctid = (SELECT max(ctid) FROM t)")
    assert [m.version for m in await migrate(empty_pool, migrations)] == [2]
    assert await empty_pool.fetchval(invalid) is False
    with pytest.raises(asyncpg.UniqueViolationError):
        await empty_pool.execute("INSERT INTO t VALUES (1)")


async def test_the_shipped_concurrent_migration_builds_a_valid_index(pool: Pool) -> None:
    assert not next(m for m in discover() if m.version == 5).transactional
    valid = await pool.fetchval(
        "SELECT indisvalid FROM pg_index WHERE indexrelid = 'alerts_watch_recent'::regclass"
    )
    assert valid is True
