"""Channel delivery over Discord's REST API: exactly once across a crash, via the nonce."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from core.alerts.channel import ChannelDelivery
from core.alerts.service import AlertService
from core.db import alerts as repo
from core.db.pool import Pool
from core.marketplace.sandbox import ManualClock
from core.pricing.baselines import BaselineService
from core.pricing.scorer import Scorer
from core.resilience import breaker_factory
from core.settings import load_settings, parse_cli_overrides
from tests.fakes.discord_api import BOT_TOKEN, FakeDiscord
from tests.pricing.test_baselines import NOW, Market

CHANNEL = 555000111222333444


GUILD = 555000111222333000


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        server.add_guild(GUILD, "deals")
        server.add_channel(GUILD, CHANNEL, "deals")
        yield server


def posts(fake: FakeDiscord) -> int:
    return sum(1 for r in fake.requests if r.path == f"/channels/{CHANNEL}/messages")


async def alert_for_channel(pool: Pool, fake: FakeDiscord, clock: ManualClock) -> Any:
    settings = load_settings(None, parse_cli_overrides([
        f"discord.token={BOT_TOKEN}", f"discord.api_base_url={fake.base_url}",
        "resilience.backoff_base_seconds=0.01",
    ]), {}).settings  # fmt: skip
    alerts = AlertService(pool, lambda: settings, clock)
    scorer = Scorer(pool, lambda: settings, clock, alerts.evaluate)
    baselines = BaselineService(pool, lambda: settings, clock, lambda k: scorer.rescore(keys=k))
    watch = await pool.fetchval(
        "INSERT INTO watches (name, query, component_type, marketplace, threshold, channel_id, "
        "poll_interval_seconds, cold_start_opt_in) VALUES "
        "('ram', 'ddr4', 'ram', 'EBAY_US', 1, $1, 900, true) RETURNING id",
        CHANNEL,
    )
    listing = await Market(pool).listing("20", seen=NOW - timedelta(minutes=5))
    await pool.execute("UPDATE listings SET title = '@everyone DDR4 32GB' WHERE id = $1", listing)
    await pool.execute(
        "INSERT INTO watch_hits (watch_id, listing_id) VALUES ($1, $2)", watch, listing
    )
    await baselines.refresh()
    return settings


async def test_exactly_once_across_a_crash_between_sending_and_recording(
    pool: Pool, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ManualClock(NOW)
    settings = await alert_for_channel(pool, fake, clock)
    async with aiohttp.ClientSession() as session:
        first = ChannelDelivery(pool, session, lambda: settings, breaker_factory(), clock, "a")
        real_record = repo.record_attempt

        async def crash(*args: Any, **kwargs: Any) -> None:
            raise SystemExit("the process died after Discord accepted the message")

        monkeypatch.setattr(repo, "record_attempt", crash)
        with pytest.raises(SystemExit):
            await first.deliver_pending()
        monkeypatch.setattr(repo, "record_attempt", real_record)
        assert len(fake.messages_in(CHANNEL)) == 1
        assert await pool.fetchval("SELECT status FROM outbox") == "sending"
        # another process takes over once the dead sender's lease has expired
        clock.advance(61)
        second = ChannelDelivery(pool, session, lambda: settings, breaker_factory(), clock, "b")
        assert await second.deliver_pending() == 1
    assert posts(fake) == 2
    # the resend carried the same nonce: no second post
    (message,) = fake.messages_in(CHANNEL)
    assert message.channel_id == CHANNEL
    assert "@everyone" not in message.embeds[0]["title"]
    assert await pool.fetchval("SELECT status FROM alerts") == "delivered"
    assert await pool.fetchval("SELECT count(*) FROM delivery_attempts") == 1


async def test_a_burst_for_one_channel_is_one_digest(pool: Pool, fake: FakeDiscord) -> None:
    clock = ManualClock(NOW)
    settings = await alert_for_channel(pool, fake, clock)
    market = Market(pool)
    market.n = 100
    watch = await pool.fetchval("SELECT id FROM watches")
    listings = [await market.listing("21", seen=NOW - timedelta(minutes=5)) for _ in range(7)]
    for listing in listings:
        await pool.execute(
            "INSERT INTO watch_hits (watch_id, listing_id) VALUES ($1, $2)", watch, listing
        )
    alerts = AlertService(pool, lambda: settings, clock)
    await Scorer(pool, lambda: settings, clock, alerts.evaluate).rescore()
    async with aiohttp.ClientSession() as session:
        delivery = ChannelDelivery(pool, session, lambda: settings, breaker_factory(), clock, "a")
        assert await delivery.deliver_pending() == 8
    (message,) = fake.messages_in(CHANNEL)
    assert message.embeds[0]["title"] == "8 new deals"
    assert await pool.fetchval("SELECT count(*) FROM alerts WHERE status = 'delivered'") == 8
