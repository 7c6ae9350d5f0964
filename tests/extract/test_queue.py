"""The extraction queue against real PostgreSQL: claims, leases, retries, parking, re-queues."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import aiohttp
import pytest

from core.db import extraction as repo
from core.db.listings import upsert_seen
from core.db.pool import Pool
from core.extract.service import Extractor
from core.jobs.extract import ExtractionJobs, ExtractionWorker
from core.marketplace.listing import MarketListing
from core.models import Marketplace
from core.resilience import breaker_factory
from core.settings import Settings, load_settings, parse_cli_overrides
from tests.clock import ManualClock
from tests.fakes.llm import status
from tests.fakes.ollama import FakeOllama

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
VAGUE = ["HP 16GB memory", "Kingston RAM"]  # the rules are unsure of these
TITLES = [
    "Samsung 32GB DDR4-2666 PC4-21300 ECC Registered RDIMM M393A4K40BB2-CTD",
    "Seagate Exos X18 18TB SATA 6Gb/s 3.5in 7200RPM HDD ST18000NM000J",
    "Dell PowerEdge R740xd 2x Gold 6130 256GB RAM 12x 3.5 Bay 2U Server",
    "Intel Xeon Gold 6130 16-Core 2.1GHz SR3B9 LGA3647 CPU",
    "Dell PowerEdge R630 Ready Rails Sliding Rail Kit",
]


class Env:
    def __init__(self, pool: Pool, session: aiohttp.ClientSession) -> None:
        self.pool = pool
        self.session = session
        self.clock = ManualClock(T0)
        self.settings = self.configure()

    def configure(self, *pairs: str) -> Settings:
        base = ["resilience.backoff_base_seconds=0.01", "resilience.backoff_max_seconds=0.02"]
        self.settings = load_settings(None, parse_cli_overrides([*base, *pairs]), {}).settings
        return self.settings

    def worker(self, name: str) -> ExtractionWorker:
        extractor = Extractor(lambda: self.settings, self.session, breaker_factory())
        return ExtractionWorker(self.pool, extractor, lambda: self.settings, self.clock, name)

    def jobs(self) -> ExtractionJobs:
        extractor = Extractor(lambda: self.settings, self.session, breaker_factory())
        return ExtractionJobs(self.pool, extractor, lambda: self.settings, self.clock)

    async def ingest(self, titles: list[str]) -> None:
        watch = await self.pool.fetchval(
            "INSERT INTO watches (name, query, component_type, marketplace, threshold, "
            "poll_interval_seconds) VALUES ('w', 'q', 'ram', 'EBAY_US', 80, 900) "
            "ON CONFLICT DO NOTHING RETURNING id"
        ) or await self.pool.fetchval("SELECT id FROM watches WHERE name = 'w'")
        listings = [
            MarketListing(Marketplace.EBAY_US, f"v1|{n:012d}|0", title, Decimal("10"), "USD")
            for n, title in enumerate(titles)
        ]
        async with self.pool.acquire() as conn:
            await upsert_seen(conn, [watch], listings, T0 - timedelta(minutes=1))
        await self.due_now()

    async def due_now(self) -> None:
        """New jobs are due at the database's now(); these tests run on their own clock."""
        await self.pool.execute(
            "UPDATE extraction_jobs SET next_attempt_at = $1 WHERE status = 'pending'",
            self.clock(),
        )

    async def counts(self) -> dict[str, int]:
        async with self.pool.acquire() as conn:
            return await repo.counts(conn)


@pytest.fixture
async def env(pool: Pool) -> AsyncIterator[Env]:
    async with aiohttp.ClientSession() as session:
        yield Env(pool, session)


async def test_worker_stores_extractions_with_product_keys(env: Env) -> None:
    env.configure("extract.backend=rules")
    await env.ingest(TITLES)
    stored = await env.worker("a").drain()
    assert stored == len(TITLES)
    rows = {
        r["title"]: r
        for r in await env.pool.fetch(
            "SELECT l.title, e.* FROM extractions e JOIN listings l ON l.id = e.listing_id"
        )
    }
    ram = rows[TITLES[0]]
    assert ram["component_type"] == "ram"
    assert ram["product_key"] == "ram:ddr4:rdimm:ecc_reg:32gb:2666"
    assert ram["attributes"]["capacity_gb"] == 32
    assert ram["method"] == "rules"
    assert rows[TITLES[4]]["component_type"] == "other"
    assert rows[TITLES[4]]["product_key"] is None
    assert await env.counts() == {"pending": 0, "running": 0, "done": 5, "parked": 0}


async def test_concurrent_workers_claim_disjoint_jobs(env: Env) -> None:
    env.configure("extract.backend=rules")
    await env.ingest([f"{t} #{n}" for n in range(20) for t in TITLES])
    workers = [env.worker(f"w{n}") for n in range(4)]
    results = await asyncio.gather(*(w.run_batch(limit=10) for w in workers))
    assert sum(r.claimed for r in results) == 40
    assert sum(r.stored for r in results) == 40
    await asyncio.gather(*(w.drain() for w in workers))
    assert await env.pool.fetchval("SELECT count(*) FROM extractions") == 100
    assert (await env.counts())["done"] == 100


async def test_expired_lease_is_reclaimed_and_the_late_worker_loses(env: Env) -> None:
    env.configure("extract.backend=rules", "extract.lease_seconds=60")
    await env.ingest(TITLES[:1])
    async with env.pool.acquire() as conn:
        (job,) = await repo.claim(conn, "crashed", env.clock(), 60, 10)
    assert job["attempts"] == 1
    assert (await env.jobs().housekeeping())["reclaimed"] == 0  # lease still valid
    env.clock.advance(61)
    assert (await env.jobs().housekeeping())["reclaimed"] == 1
    error = await env.pool.fetchval("SELECT last_error FROM extraction_jobs")
    assert error.startswith("lease expired")
    assert await env.worker("rescuer").drain() == 1
    # the crashed worker wakes up and tries to store a result: its lease is gone
    async with env.pool.acquire() as conn:
        assert await repo.fail(conn, job["id"], "crashed", "late", env.clock(), 5, 1, 1) is None
    assert (await env.counts())["done"] == 1


async def test_failures_back_off_then_park_with_the_reason(env: Env) -> None:
    # an LLM-only mode whose server is down: every attempt fails after its retries
    env.configure("extract.backend=ollama", "llm.ollama_url=http://127.0.0.1:9",
                  "extract.max_attempts=2", "resilience.max_attempts=1")  # fmt: skip
    await env.ingest(TITLES[:1])
    worker = env.worker("w")
    first = await worker.run_batch()
    assert (first.claimed, first.stored, first.retried) == (1, 0, 1)
    job = await env.pool.fetchrow("SELECT * FROM extraction_jobs")
    assert job is not None
    assert (job["status"], job["attempts"]) == ("pending", 1)
    assert job["next_attempt_at"] == T0 + timedelta(seconds=30)
    assert "connection failed" in job["last_error"]
    assert (await worker.run_batch()).claimed == 0  # not before its back-off
    env.clock.advance(31)
    second = await worker.run_batch()
    assert second.parked == 1
    assert (await env.counts())["parked"] == 1
    async with env.pool.acquire() as conn:
        (parked,) = await repo.parked(conn)
    assert parked["title"] == TITLES[0]
    assert "connection failed" in parked["last_error"]


async def test_auto_without_a_reachable_llm_keeps_rules_and_flags_them(env: Env) -> None:
    env.configure("extract.backend=auto", "llm.backend=ollama", "llm.ollama_url=http://127.0.0.1:9",
                  "resilience.max_attempts=1")  # fmt: skip
    await env.ingest(VAGUE)
    assert await env.worker("w").drain() == 2
    rows = await env.pool.fetch("SELECT * FROM extractions")
    assert {(r["method"], r["low_confidence"], r["llm_pending"]) for r in rows} == {
        ("rules", True, True)
    }
    jobs = await env.pool.fetch("SELECT status, last_error FROM extraction_jobs")
    assert {j["status"] for j in jobs} == {"done"}
    assert all(j["last_error"].startswith("LLM unreachable") for j in jobs)
    # still unreachable: nothing is re-queued
    assert (await env.jobs().housekeeping())["requeued"] == 0


async def test_reextract_requeues_by_type_and_confidence(env: Env) -> None:
    env.configure("extract.backend=rules")
    await env.ingest(TITLES)
    await env.worker("w").drain()
    await env.pool.execute(
        "UPDATE extractions SET low_confidence = true WHERE component_type = 'cpu'"
    )
    async with env.pool.acquire() as conn:
        assert await repo.requeue(conn, "manual", "ram") == 1
        assert await repo.requeue(conn, "manual", low_confidence_only=True) == 1
        assert await repo.requeue(conn, "manual") == 3  # the other two are already queued
        assert await repo.requeue(conn, "manual") == 0
    assert (await env.counts())["pending"] == 5
    await env.due_now()
    assert await env.worker("w").drain() == 5
    assert await env.pool.fetchval("SELECT count(*) FROM extractions WHERE is_current") == 5


async def test_clean_shutdown_releases_claimed_jobs_without_counting(env: Env) -> None:
    await env.ingest(TITLES[:2])
    async with env.pool.acquire() as conn:
        await repo.claim(conn, "leaving", env.clock(), 300, 10)
    await env.worker("leaving").release()
    jobs = await env.pool.fetch("SELECT status, attempts FROM extraction_jobs")
    assert {(j["status"], j["attempts"]) for j in jobs} == {("pending", 0)}


async def test_rules_kept_while_the_llm_was_down_are_redone_when_it_is_back(env: Env) -> None:
    fake = FakeOllama()
    url = await fake.start()
    try:
        env.configure("extract.backend=auto", "llm.backend=ollama", f"llm.ollama_url={url}",
                      "resilience.max_attempts=1")  # fmt: skip
        fake.script(status(503, "loading model"))
        await env.ingest(VAGUE[1:])
        assert await env.worker("w").drain() == 1
        first = await env.pool.fetchrow("SELECT * FROM extractions")
        assert first is not None
        assert (first["method"], first["llm_pending"]) == ("rules", True)
        # the LLM answers its ping again: the listing is queued and now read by the LLM
        housekeeping = await env.jobs().housekeeping()
        assert housekeeping["requeued"] == 1
        await env.due_now()
        assert await env.worker("w").drain() == 1
        again = await env.pool.fetchrow("SELECT * FROM extractions WHERE is_current")
        assert again is not None
        assert (again["method"], again["backend"], again["llm_pending"]) == ("llm", "ollama", False)
        assert again["model"] == "qwen2.5:7b-instruct"
        assert again["tokens_in"] > 0
        reasons = await env.pool.fetch("SELECT reason FROM extraction_jobs ORDER BY id")
        assert [r["reason"] for r in reasons] == ["new", "llm_retry"]
    finally:
        await fake.stop()
