"""Fixtures for bot tests: the fake Discord with two guilds, the sandbox eBay, a live bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from sandbox import SandboxMarketplace, build_catalog
from tests.bot.harness import Harness, holder_for, running_bot, world
from tests.fakes.discord_api import FakeDiscord


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        world(server)
        with server.patch_discord():
            yield server


@pytest.fixture(scope="session")
def bot_catalog() -> object:
    return build_catalog(seed=11, size=600, now=datetime.now(UTC))


@pytest.fixture
async def sandbox(bot_catalog: object) -> AsyncIterator[SandboxMarketplace]:
    market = SandboxMarketplace(bot_catalog)  # type: ignore[arg-type]
    await market.start()
    yield market
    await market.stop()


@pytest.fixture
async def h(
    fake: FakeDiscord, database_url: str, sandbox: SandboxMarketplace
) -> AsyncIterator[Harness]:
    async with running_bot(fake, holder_for(fake, database_url, sandbox)) as harness:
        yield harness
