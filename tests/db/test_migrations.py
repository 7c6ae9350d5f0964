"""Migrations against real PostgreSQL: empty database, idempotent re-run, one transaction each."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from core.db.migrate import Migration, MigrationError, applied_versions, discover, migrate, pending
from core.db.pool import Pool

EXPECTED_TABLES = {
    "schema_migrations", "guild_settings", "watches", "listings", "listing_prices", "watch_hits",
    "extraction_jobs", "extractions", "baselines", "baseline_history", "scores", "outbox",
    "alerts", "delivery_attempts", "mutes", "ebay_quota", "feeds", "processes",
}  # fmt: skip


async def tables(pool: Pool) -> set[str]:
    rows = await pool.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {row["tablename"] for row in rows}


def write_migrations(directory: Path, files: dict[str, str]) -> list[Migration]:
    directory.mkdir(exist_ok=True)
    for name, sql in files.items():
        (directory / name).write_text(sql, encoding="utf-8")
    return discover(directory)


async def test_empty_database_gets_the_whole_schema(empty_pool: Pool) -> None:
    assert await tables(empty_pool) == set()
    applied = await migrate(empty_pool)
    assert [m.label for m in applied] == [m.label for m in discover()]
    assert applied[0].label == "001_initial"
    assert await tables(empty_pool) == EXPECTED_TABLES
    async with empty_pool.acquire() as conn:
        recorded = await applied_versions(conn)
    assert recorded == {m.version: m.checksum for m in discover()}


async def test_rerun_applies_nothing_and_changes_nothing(empty_pool: Pool) -> None:
    await migrate(empty_pool)
    before = await empty_pool.fetch("SELECT version, applied_at FROM schema_migrations")
    assert await migrate(empty_pool) == []
    after = await empty_pool.fetch("SELECT version, applied_at FROM schema_migrations")
    assert before == after
    async with empty_pool.acquire() as conn:
        assert await pending(conn) == []


async def test_concurrent_starts_apply_each_migration_once(empty_pool: Pool) -> None:
    results = await asyncio.gather(*(migrate(empty_pool) for _ in range(3)))
    assert sorted(len(r) for r in results) == [0, 0, len(discover())]
    count = await empty_pool.fetchval("SELECT count(*) FROM schema_migrations")
    assert count == len(discover())


async def test_each_migration_runs_in_its_own_transaction(empty_pool: Pool, tmp_path: Path) -> None:
    migrations = write_migrations(
        tmp_path / "m",
        {
            "001_first.sql": "CREATE TABLE first_table (id int);",
            "002_broken.sql": "CREATE TABLE second_table (id int);\nSELECT 1 / 0;",
        },
    )
    with pytest.raises(MigrationError, match=r"002_broken\.sql failed: division by zero"):
        await migrate(empty_pool, migrations)
    assert await tables(empty_pool) == {"schema_migrations", "first_table"}
    assert await empty_pool.fetchval("SELECT array_agg(version) FROM schema_migrations") == [1]


async def test_edited_migration_is_refused(empty_pool: Pool, tmp_path: Path) -> None:
    directory = tmp_path / "m"
    await migrate(
        empty_pool, write_migrations(directory, {"001_a.sql": "CREATE TABLE a (id int);"})
    )
    edited = write_migrations(directory, {"001_a.sql": "CREATE TABLE a (id bigint);"})
    with pytest.raises(MigrationError, match=r"001_a\.sql changed after it was applied"):
        await migrate(empty_pool, edited)


async def test_database_from_a_newer_spt_is_refused(empty_pool: Pool, tmp_path: Path) -> None:
    directory = tmp_path / "m"
    both = write_migrations(
        directory, {"001_a.sql": "CREATE TABLE a (id int);", "002_b.sql": "CREATE TABLE b ();"}
    )
    await migrate(empty_pool, both)
    with pytest.raises(MigrationError, match="migration 002, which this spt does not know"):
        await migrate(empty_pool, both[:1])


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"001_a.sql": "", "003_c.sql": ""}, "003_c.sql: expected migration number 002"),
        ({"002_a.sql": ""}, "002_a.sql: expected migration number 001"),
        ({"1_a.sql": ""}, "1_a.sql: migration files are named NNN_lowercase_name.sql"),
        ({"001_Bad-Name.sql": ""}, "migration files are named"),
    ],
)
def test_discover_rejects_bad_sequences(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    with pytest.raises(MigrationError, match=message):
        write_migrations(tmp_path / "m", files)


async def test_schema_enforces_its_invariants(pool: Pool) -> None:
    listing = await pool.fetchval(
        "INSERT INTO listings (marketplace, item_id, title, currency, price) "
        "VALUES ('EBAY_US', 'v1|1|0', 'DDR4 32GB', 'USD', 40) RETURNING id"
    )
    await pool.execute("INSERT INTO extraction_jobs (listing_id) VALUES ($1)", listing)
    with pytest.raises(asyncpg.UniqueViolationError):  # one open job per listing
        await pool.execute("INSERT INTO extraction_jobs (listing_id) VALUES ($1)", listing)
    with pytest.raises(asyncpg.CheckViolationError):  # 'other' never gets a product key
        await pool.execute(
            "INSERT INTO extractions (listing_id, component_type, confidence, method, product_key)"
            " VALUES ($1, 'other', 0.9, 'rules', 'other:x')",
            listing,
        )
    with pytest.raises(asyncpg.UniqueViolationError):  # one listing per marketplace item
        await pool.execute(
            "INSERT INTO listings (marketplace, item_id, title, currency, price) "
            "VALUES ('EBAY_US', 'v1|1|0', 'again', 'USD', 1)"
        )
