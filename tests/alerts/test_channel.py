"""Channel delivery through discord.py against the fake Discord: exactly once across a
crash, inside and past Discord's nonce window, with the lease held while a send lasts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest

from bot.delivery import USER_AGENT, BotChannels
from core.alerts.channel import ChannelDelivery
from core.alerts.service import AlertService
from core.db import alerts as repo
from core.db.pool import Pool
from core.pricing.baselines import BaselineService
from core.pricing.scorer import Scorer
from core.resilience import breaker_factory
from core.settings import Settings, load_settings, parse_cli_overrides
from tests.clock import ManualClock
from tests.fakes.discord_api import (
    BOT_TOKEN,
    DEFAULT_BOT_PERMISSIONS,
    DEFAULT_EVERYONE_PERMISSIONS,
    FakeDiscord,
    Permission,
)
from tests.pricing.test_baselines import NOW, Market

CHANNEL = 555000111222333444
GUILD = 555000111222333000


def build(server: FakeDiscord, without: int = 0) -> None:
    server.add_guild(GUILD, "deals", bot_permissions=DEFAULT_BOT_PERMISSIONS & ~without,
                     everyone_permissions=DEFAULT_EVERYONE_PERMISSIONS & ~without)  # fmt: skip
    server.add_channel(GUILD, CHANNEL, "deals")


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        build(server)
        yield server


@pytest.fixture
async def client(fake: FakeDiscord) -> AsyncIterator[discord.Client]:
    """A logged-in discord.py client (REST only: channel delivery needs no gateway)."""
    async with fake.rest_client() as bot:
        yield bot


def posts(fake: FakeDiscord) -> int:
    path = f"/channels/{CHANNEL}/messages"
    return sum(1 for r in fake.requests if r.method == "POST" and r.path == path)


def lookups(fake: FakeDiscord) -> int:
    path = f"/channels/{CHANNEL}/messages"
    return sum(1 for r in fake.requests if r.method == "GET" and r.path == path)


def config(fake: FakeDiscord, *extra: str) -> Settings:
    return load_settings(None, parse_cli_overrides([
        f"discord.token={BOT_TOKEN}", f"discord.api_base_url={fake.base_url}",
        "resilience.backoff_base_seconds=0.01", *extra,
    ]), {}).settings  # fmt: skip


async def alerts_for_channel(pool: Pool, settings: Settings, clock: Any, deals: int = 1) -> None:
    """A channel watch and `deals` alerts for it (the first one's title tries to ping)."""
    alerts = AlertService(pool, lambda: settings, clock)
    scorer = Scorer(pool, lambda: settings, clock, alerts.evaluate)
    baselines = BaselineService(pool, lambda: settings, clock, lambda k: scorer.rescore(keys=k))
    watch = await pool.fetchval(
        "INSERT INTO watches (name, query, component_type, marketplace, threshold, channel_id, "
        "poll_interval_seconds, cold_start_opt_in) VALUES "
        "('ram', 'ddr4', 'ram', 'EBAY_US', 1, $1, 900, true) RETURNING id",
        CHANNEL,
    )
    market = Market(pool)
    for n in range(deals):
        listing = await market.listing(str(20 + n), seen=NOW - timedelta(minutes=5))
        if n == 0:
            await pool.execute(
                "UPDATE listings SET title = '@everyone DDR4 32GB' WHERE id = $1", listing
            )
        await pool.execute(
            "INSERT INTO watch_hits (watch_id, listing_id) VALUES ($1, $2)", watch, listing
        )
    await baselines.refresh()


def sender(pool: Pool, client: discord.Client, settings: Settings, clock: Any, worker: str
           ) -> ChannelDelivery:  # fmt: skip
    return ChannelDelivery(pool, BotChannels(client), lambda: settings, breaker_factory(), clock,
                           worker)  # fmt: skip


async def crash_after_discord_accepted(
    delivery: ChannelDelivery, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run one delivery that dies after Discord took the message, before it was recorded."""
    real_record = repo.record_attempt

    async def crash(*args: Any, **kwargs: Any) -> None:
        raise SystemExit("the process died after Discord accepted the message")

    monkeypatch.setattr(repo, "record_attempt", crash)
    with pytest.raises(SystemExit):
        await delivery.deliver_pending()
    monkeypatch.setattr(repo, "record_attempt", real_record)


async def test_exactly_once_across_a_crash_between_sending_and_recording(
    pool: Pool, fake: FakeDiscord, client: discord.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ManualClock(NOW)
    settings = config(fake)
    await alerts_for_channel(pool, settings, clock)
    await crash_after_discord_accepted(sender(pool, client, settings, clock, "a"), monkeypatch)
    assert len(fake.messages_in(CHANNEL)) == 1
    assert await pool.fetchval("SELECT status FROM outbox") == "sending"
    # another process takes over once the dead sender's lease has expired
    clock.advance(61)
    assert await sender(pool, client, settings, clock, "b").deliver_pending() == 1
    (message,) = fake.messages_in(CHANNEL)
    assert posts(fake) == 1  # found in the channel: not posted again
    assert message.channel_id == CHANNEL
    assert "@everyone" not in message.embeds[0]["title"]
    assert await pool.fetchval("SELECT status FROM alerts") == "delivered"
    assert await pool.fetchval("SELECT message_id FROM outbox") == message.id
    assert await pool.fetchval("SELECT count(*) FROM delivery_attempts") == 1
    assert {r.headers.get("User-Agent", "").split(")")[0] for r in fake.requests} == {
        USER_AGENT.split(")")[0]
    }


async def test_a_resend_after_the_nonce_window_finds_the_message_instead_of_posting(
    pool: Pool, fake: FakeDiscord, client: discord.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Discord checks a nonce only "in the past few minutes": past that a resend that
    trusted it would post a second message."""
    clock = ManualClock(NOW)
    settings = config(fake)
    await alerts_for_channel(pool, settings, clock)
    await crash_after_discord_accepted(sender(pool, client, settings, clock, "a"), monkeypatch)
    now = fake.clock()
    fake.clock = lambda: now + fake.nonce_window + 1  # Discord has forgotten the nonce
    clock.advance(3600)
    assert await sender(pool, client, settings, clock, "b").deliver_pending() == 1
    assert len(fake.messages_in(CHANNEL)) == 1
    assert (posts(fake), lookups(fake)) == (1, 1)
    assert await pool.fetchval("SELECT status FROM alerts") == "delivered"


async def test_a_message_never_accepted_is_posted_once(
    pool: Pool, fake: FakeDiscord, client: discord.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ManualClock(NOW)
    settings = config(fake)
    await alerts_for_channel(pool, settings, clock)

    async def die(self: BotChannels, channel_id: int, message: Any) -> int:
        raise SystemExit("the process died before the message left")

    with monkeypatch.context() as patch:
        patch.setattr(BotChannels, "post", die)
        with pytest.raises(SystemExit):
            await sender(pool, client, settings, clock, "a").deliver_pending()
    assert fake.messages_in(CHANNEL) == []
    clock.advance(3600)
    assert await sender(pool, client, settings, clock, "b").deliver_pending() == 1
    assert len(fake.messages_in(CHANNEL)) == 1
    assert (posts(fake), lookups(fake)) == (1, 1)  # looked for it, then posted it


async def test_a_digest_resent_after_the_window_is_found_by_its_ref(
    pool: Pool, fake: FakeDiscord, client: discord.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ManualClock(NOW)
    settings = config(fake)
    await alerts_for_channel(pool, settings, clock, deals=7)
    await crash_after_discord_accepted(sender(pool, client, settings, clock, "a"), monkeypatch)
    (digest,) = fake.messages_in(CHANNEL)
    assert digest.embeds[0]["title"] == "7 new deals"
    assert " · ref " in digest.embeds[0]["footer"]["text"]
    now = fake.clock()
    fake.clock = lambda: now + fake.nonce_window + 1
    clock.advance(3600)
    assert await sender(pool, client, settings, clock, "b").deliver_pending() == 7
    assert len(fake.messages_in(CHANNEL)) == 1
    assert await pool.fetchval("SELECT count(*) FROM alerts WHERE status = 'delivered'") == 7
    assert await pool.fetchval("SELECT count(DISTINCT message_id) FROM outbox") == 1


async def test_a_digest_is_recorded_whole_or_not_at_all(
    pool: Pool, fake: FakeDiscord, client: discord.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ManualClock(NOW)
    settings = config(fake)
    await alerts_for_channel(pool, settings, clock, deals=7)
    real_record, calls = repo.record_attempt, []

    async def dies_midway(*args: Any, **kwargs: Any) -> None:
        calls.append(args)
        if len(calls) == 3:
            raise SystemExit("the process died while recording the digest")
        await real_record(*args, **kwargs)

    monkeypatch.setattr(repo, "record_attempt", dies_midway)
    with pytest.raises(SystemExit):
        await sender(pool, client, settings, clock, "a").deliver_pending()
    statuses = await pool.fetch("SELECT DISTINCT status FROM outbox")
    assert [r["status"] for r in statuses] == ["sending"]  # none recorded: all resent together
    assert await pool.fetchval("SELECT count(*) FROM delivery_attempts") == 0


async def test_a_slow_send_keeps_its_lease(
    pool: Pool, fake: FakeDiscord, client: discord.Client
) -> None:
    """A send that outlasts the lease renews it: no other sender takes the message over."""
    settings = config(fake, "alerts.delivery_lease_seconds=1",
                      "discord.request_timeout_seconds=10")  # fmt: skip
    real_clock = lambda: datetime.now(UTC)  # noqa: E731 - leases compare against real time here
    await alerts_for_channel(pool, settings, ManualClock(NOW))
    fake.create_message_delay = 2.5  # Discord stored it, the answer takes 2.5 leases
    slow = asyncio.create_task(sender(pool, client, settings, real_clock, "a").deliver_pending())
    other = sender(pool, client, settings, real_clock, "b")
    taken = 0
    for _ in range(10):  # 2 s of another sender polling
        await asyncio.sleep(0.2)
        taken += await other.deliver_pending()
    holder = await pool.fetchrow("SELECT leased_by, lease_expires_at, status FROM outbox")
    assert holder is not None
    assert dict(holder) | {"lease_expires_at": None} == {
        "leased_by": "a", "lease_expires_at": None, "status": "sending"}  # fmt: skip
    assert holder["lease_expires_at"] > datetime.now(UTC)
    assert await slow == 1
    assert taken == 0
    assert (posts(fake), lookups(fake)) == (1, 0)
    assert await pool.fetchval("SELECT count(*) FROM delivery_attempts") == 1


async def test_without_read_message_history_the_nonce_still_guards_a_resend(
    pool: Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with FakeDiscord() as server:
        build(server, without=Permission.READ_MESSAGE_HISTORY)
        async with server.rest_client() as bot:
            clock = ManualClock(NOW)
            settings = config(server)
            await alerts_for_channel(pool, settings, clock)
            await crash_after_discord_accepted(sender(pool, bot, settings, clock, "a"),
                                               monkeypatch)  # fmt: skip
            clock.advance(61)
            assert await sender(pool, bot, settings, clock, "b").deliver_pending() == 1
        assert len(server.messages_in(CHANNEL)) == 1  # the lookup was refused; the nonce held
        assert [r.status for r in server.requests if r.method == "GET"
                and r.path.endswith("/messages")] == [403]  # fmt: skip
