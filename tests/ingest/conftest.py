"""Fixtures for ingestion tests: the sandbox marketplace on loopback, a client, a clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from core.db.pool import Pool
from core.jobs.ingest import Ingestor, IngestScheduler
from core.jobs.status import IngestStatus, ingest_status
from core.marketplace.client import EbayClient
from core.marketplace.wiring import build_ebay_client
from core.resilience import breaker_factory
from core.settings import Settings, load_settings, parse_cli_overrides
from core.watches import Watch, WatchService
from sandbox import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    Catalog,
    SandboxMarketplace,
    build_catalog,
)
from tests.clock import ManualClock

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return build_catalog(seed=7, now=NOW)


@pytest.fixture
def clock() -> ManualClock:
    """One clock for the sandbox and spt, so tests move time for both."""
    return ManualClock(NOW)


@pytest.fixture
async def sandbox(catalog: Catalog, clock: ManualClock) -> AsyncIterator[SandboxMarketplace]:
    market = SandboxMarketplace(catalog, clock=clock)
    await market.start()
    yield market
    await market.stop()


FAST = [
    "resilience.backoff_base_seconds=0.01",
    "resilience.backoff_max_seconds=0.05",
    "ebay.requests_per_second=100",
    "ebay.burst=1000",
]


def make_settings(sandbox: SandboxMarketplace, *pairs: str) -> Settings:
    overrides = parse_cli_overrides(
        [
            f"ebay.api_base_url={sandbox.base_url}",
            f"ebay.client_id={DEFAULT_CLIENT_ID}",
            f"ebay.client_secret={DEFAULT_CLIENT_SECRET}",
            *FAST,
            *pairs,
        ]
    )
    return load_settings(None, overrides, {}).settings


class Env:
    """Settings that tests may change, and a client that reads them at call time."""

    def __init__(
        self,
        sandbox: SandboxMarketplace,
        pool: Pool,
        session: aiohttp.ClientSession,
        clock: ManualClock,
    ) -> None:
        self.sandbox = sandbox
        self.pool = pool
        self.session = session
        self.clock = clock
        self.settings = make_settings(sandbox)
        self.client: EbayClient = self.new_client()
        self.watches = WatchService(pool, lambda: self.settings)

    def new_client(self) -> EbayClient:
        """A client as a new process would build it (own token cache, breakers, bucket)."""
        # The budget's daily window follows the test clock.
        return build_ebay_client(
            self.session, lambda: self.settings, self.pool, breaker_factory(), self.clock
        )

    async def status(self) -> IngestStatus:
        assert self.client.budget is not None
        return await ingest_status(self.pool, self.client.budget, self.clock())

    def ingestor(self, client: EbayClient | None = None) -> Ingestor:
        return Ingestor(self.pool, client or self.client, lambda: self.settings, self.clock)

    def scheduler(self, holder: str, client: EbayClient | None = None) -> IngestScheduler:
        client = client or self.new_client()
        assert client.budget is not None
        return IngestScheduler(
            self.pool, self.ingestor(client), client, client.budget, lambda: self.settings,
            clock=self.clock, holder=holder,
        )  # fmt: skip

    def configure(self, *pairs: str) -> None:
        self.settings = make_settings(self.sandbox, *pairs)

    async def watch(self, **fields: Any) -> Watch:
        base: dict[str, Any] = {"name": f"w{len(await self.watches.list(None))}",
                                "query": "DDR4", "component_type": "ram"}  # fmt: skip
        watch = await self.watches.add(None, {**base, **fields})
        # New watches are due at the database's now(); the tests run on their own clock.
        await self.pool.execute(
            "UPDATE watches SET next_run_at = $1 WHERE id = $2", self.clock(), watch.id
        )
        return await self.watches.get(None, watch.id)


@pytest.fixture
async def env(sandbox: SandboxMarketplace, pool: Pool, clock: ManualClock) -> AsyncIterator[Env]:
    async with aiohttp.ClientSession() as session:
        yield Env(sandbox, pool, session, clock)
