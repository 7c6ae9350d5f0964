"""Discord webhook delivery against a protocol-faithful fake webhook on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest

from bot.delivery import USER_AGENT, Webhook, discord_session
from core.alerts.card import AlertCard, embed, plain
from core.alerts.service import AlertService
from core.alerts.webhook import WebhookDelivery
from core.db.pool import Pool
from core.observability.metrics import REGISTRY
from core.pricing.baselines import BaselineService
from core.pricing.scorer import Scorer
from core.resilience import breaker_factory
from core.settings import Settings, load_settings, parse_cli_overrides
from tests.clock import ManualClock
from tests.fakes.discord import FakeDiscordWebhook
from tests.pricing.test_baselines import NOW, Market


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscordWebhook]:
    server = FakeDiscordWebhook()
    await server.start()
    yield server
    await server.stop()


class Setup:
    def __init__(
        self, pool: Pool, session: aiohttp.ClientSession, fake: FakeDiscordWebhook
    ) -> None:
        self.pool = pool
        self.clock = ManualClock(NOW)
        self.settings: Settings = load_settings(None, parse_cli_overrides([
            f"discord.webhook_url={fake.url}", f"discord.api_base_url={fake.base_url}",
            "alerts.delivery=webhook", "resilience.backoff_base_seconds=0.01",
        ]), {}).settings  # fmt: skip
        alerts = AlertService(pool, lambda: self.settings, self.clock)
        self.scorer = Scorer(pool, lambda: self.settings, self.clock, alerts.evaluate)
        self.baselines = BaselineService(pool, lambda: self.settings, self.clock,
                                         lambda keys: self.scorer.rescore(keys=keys))  # fmt: skip
        webhook = Webhook(session, lambda: self.settings)
        self.delivery = WebhookDelivery(pool, webhook, lambda: self.settings, breaker_factory(),
                                        self.clock, "test")  # fmt: skip
        self.market = Market(pool)

    async def deals(self, titles: list[str]) -> None:
        watch = await self.pool.fetchval(
            "INSERT INTO watches (name, query, component_type, marketplace, threshold, "
            "poll_interval_seconds, cold_start_opt_in) VALUES "
            "('ram', 'ddr4', 'ram', 'EBAY_US', 1, 900, true) "
            "ON CONFLICT DO NOTHING RETURNING id"
        ) or await self.pool.fetchval("SELECT id FROM watches WHERE name = 'ram'")
        for title in titles:
            listing = await self.market.listing("20", seen=NOW - timedelta(minutes=5))
            url = f"https://www.ebay.com/itm/{listing}"
            await self.pool.execute(
                "UPDATE listings SET title = $1, url = $2 WHERE id = $3", title, url, listing
            )
            await self.pool.execute(
                "INSERT INTO watch_hits (watch_id, listing_id) VALUES ($1, $2)", watch, listing
            )
        await self.baselines.refresh()


@pytest.fixture
async def setup(pool: Pool, fake: FakeDiscordWebhook) -> AsyncIterator[Setup]:
    async with discord_session() as session:
        yield Setup(pool, session, fake)


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_alerts_go_out_as_embeds_with_no_mentions(
    setup: Setup, fake: FakeDiscordWebhook
) -> None:
    before = metric("spt_discord_requests_total", status="success")
    await setup.deals(
        ["@everyone FREE **RAM** <@123> [click](https://evil) 32GB DDR4", "DDR4 16GB"]
    )
    assert await setup.delivery.deliver_pending() == 2
    (message,) = fake.payloads  # both embeds in one message
    assert message["allowed_mentions"] == {"parse": []}
    titles = [e["title"] for e in message["embeds"]]
    hostile = next(t for t in titles if "everyone" in t)
    assert "@everyone" not in hostile
    assert "<@123>" not in hostile
    assert "\\*\\*RAM\\*\\*" in hostile
    statuses = await setup.pool.fetch("SELECT status FROM alerts")
    assert {s["status"] for s in statuses} == {"delivered"}
    assert metric("spt_discord_requests_total", status="success") == before + 1
    assert await setup.delivery.deliver_pending() == 0


async def test_429_is_honoured_and_5xx_retried_later(
    setup: Setup, fake: FakeDiscordWebhook
) -> None:
    await setup.deals(["DDR4 A"])
    fake.fail_next(429, retry_after=0.2)
    assert await setup.delivery.deliver_pending() == 1  # waited, then sent
    assert fake.requests == 2
    await setup.deals(["DDR4 B"])
    fake.fail_next(503)  # discord.py waits a second and tries again
    assert await setup.delivery.deliver_pending() == 1
    assert fake.requests == 4
    await setup.deals(["DDR4 C"])
    s = setup.settings
    setup.settings = s.model_copy(update={
        "discord": s.discord.model_copy(update={"request_timeout_seconds": 0.5})})  # fmt: skip
    fake.fail_next(503)  # discord.py's wait before its retry outlasts the timeout: retried later
    assert await setup.delivery.deliver_pending() == 0
    row = await setup.pool.fetchrow("SELECT * FROM outbox WHERE status = 'pending'")
    assert row is not None
    assert "timed out" in row["last_error"]
    attempts = await setup.pool.fetch("SELECT outcome FROM delivery_attempts ORDER BY id")
    assert [a["outcome"] for a in attempts] == ["delivered", "delivered", "retryable"]
    setup.clock.advance(31)
    assert await setup.delivery.deliver_pending() == 1
    assert {a.split(")")[0] for a in fake.user_agents} == {USER_AGENT.split(")")[0]}


async def test_500s_then_429_then_a_hang_delay_delivery_and_lose_nothing(
    setup: Setup, fake: FakeDiscordWebhook
) -> None:
    """Issue 13, point 8: the webhook answers 500s, then 429 with Retry-After, then hangs;
    delivery resumes by itself and every alert goes out exactly once."""
    s = setup.settings
    setup.settings = s.model_copy(update={
        "discord": s.discord.model_copy(update={"request_timeout_seconds": 0.3}),
        # the breaker opens after these failures; a short cooldown keeps the test short
        "resilience": s.resilience.model_copy(update={"breaker_cooldown_seconds": 0.2}),
    })  # fmt: skip
    titles = [f"DDR4 32GB module {n}" for n in range(3)]
    await setup.deals(titles)
    for _ in range(2):  # one whole call (2 tries) of 500s
        fake.fail_next(500)
    fake.fail_next(429, retry_after=0.2)  # honoured within the next call, then ...
    fake.hang_next(1.5)  # ... the retry hangs past the timeout, and so does the one after it
    fake.hang_next(1.5)
    rounds = []
    for _ in range(6):
        rounds.append(await setup.delivery.deliver_pending())
        if sum(rounds) == len(titles):
            break
        setup.clock.advance(600)  # past any back-off the failures set
        await asyncio.sleep(0.25)  # and past the open circuit's cooldown (real time)
    assert rounds[0] == 0  # the 500s
    assert sum(rounds) == len(titles)
    posted = [e["title"] for message in fake.payloads for e in message["embeds"]]
    assert sorted(posted) == sorted(titles)  # each exactly once: nothing lost, nothing twice
    outcomes = [r["outcome"] for r in await setup.pool.fetch(
        "SELECT outcome FROM delivery_attempts ORDER BY id")]  # fmt: skip
    assert outcomes[-1] == "delivered"
    assert fake.requests == 6  # every fault was met: 2 x 500, 429, 2 hangs, then the post
    assert "failed" not in outcomes
    statuses = await setup.pool.fetch("SELECT DISTINCT status FROM alerts")
    assert [s["status"] for s in statuses] == ["delivered"]


async def test_a_burst_becomes_one_digest(setup: Setup, fake: FakeDiscordWebhook) -> None:
    await setup.deals([f"DDR4 32GB module {n}" for n in range(7)])
    assert await setup.delivery.deliver_pending() == 7
    (message,) = fake.payloads
    (digest,) = message["embeds"]
    assert digest["title"] == "7 new deals"
    assert digest["description"].count("\n") == 6


def test_embeds_respect_every_limit() -> None:
    card = AlertCard(watch_name="w" * 500, title="x" * 5000, url="javascript:alert(1)", score=99,
                     unit_price="1" * 300, currency="USD", marketplace="EBAY_US", condition="new",
                     seller="s" * 400, price_position="at or under P10", product_key="k" * 500,
                     cold_start=True, sequence=2)  # fmt: skip
    value = embed(card)
    assert len(value["title"]) <= 256
    assert "url" not in value  # only https links are kept
    assert all(len(f["value"]) <= 1024 for f in value["fields"])
    assert plain("@here hi", 50) == "@\u200bhere hi"


async def test_a_burst_of_200_is_one_digest_within_limits(
    setup: Setup, fake: FakeDiscordWebhook
) -> None:
    await setup.deals([f"@here DDR4 32GB RDIMM lot {n} **bold** " + "x" * 60 for n in range(200)])
    assert await setup.delivery.deliver_pending(limit=500) == 200
    (message,) = fake.payloads  # the fake rejects anything over Discord's limits
    (digest,) = message["embeds"]
    assert digest["title"] == "200 new deals"
    assert "more" in digest["description"]
    assert "@here" not in digest["description"]
    assert (
        await setup.pool.fetchval("SELECT count(*) FROM alerts WHERE status = 'delivered'") == 200
    )


async def test_a_rejected_message_fails_without_retrying(
    setup: Setup, fake: FakeDiscordWebhook
) -> None:
    await setup.deals(["DDR4 A"])
    fake.fail_next(400)
    assert await setup.delivery.deliver_pending() == 0
    assert fake.requests == 1
    assert await setup.pool.fetchval("SELECT status FROM outbox") == "failed"
    assert await setup.pool.fetchval("SELECT status FROM alerts") == "failed"
    setup.clock.advance(3600)
    assert await setup.delivery.deliver_pending() == 0
    assert fake.requests == 1


async def test_global_rate_limit_and_bucket_headers_are_honoured(
    setup: Setup, fake: FakeDiscordWebhook
) -> None:
    fake.remaining_zero_after_each = True  # every reply says the bucket is empty for 0.05 s
    await setup.deals(["DDR4 A", "DDR4 B"])
    fake.fail_next(429, retry_after=0.1, is_global=True)
    assert await setup.delivery.deliver_pending() == 2
    assert fake.requests == 2


async def test_alerts_trickling_in_within_the_window_are_digested(
    setup: Setup, fake: FakeDiscordWebhook
) -> None:
    await setup.deals([f"DDR4 first {n}" for n in range(3)])
    assert await setup.delivery.deliver_pending() == 3
    await setup.deals([f"DDR4 second {n}" for n in range(3)])
    assert await setup.delivery.deliver_pending() == 3
    first, second = fake.payloads
    assert len(first["embeds"]) == 3  # individual embeds
    assert second["embeds"][0]["title"] == "3 new deals"  # 6 within a minute: a digest


def test_an_alert_card_names_market_factors_and_an_immature_baseline() -> None:
    card = AlertCard(watch_name="w", title="Micron 32GB DDR4", url="https://www.ebay.com/itm/1",
                     score=72, unit_price="30.00", currency="EUR", marketplace="EBAY_DE",
                     condition="like_new", seller="s", price_position="unknown (immature baseline)",
                     product_key="ram:ddr4:ecc_reg:32gb:2666", cold_start=True, sequence=1,
                     alert_id=7, price="115.00", shipping="5.00", quantity=4,
                     image_url="http://insecure.example/x.jpg", baseline_p50="40.00",
                     baseline_samples=4, price_factor=50.0,
                     adjustments=(("seller", 1.5), ("condition", 0.9), ("quantity", 0.02),
                                  ("timing", -0.4)))  # fmt: skip
    value = embed(card)
    fields = {f["name"]: f["value"] for f in value["fields"]}
    assert fields["Price"] == "115.00 EUR + 5.00 shipping"
    assert fields["Unit price"] == "30.00 EUR (4 units)"
    assert fields["Market"] == "25% under the usual €40, from 4 listings"
    assert fields["Score"] == "**72**/100 · price 50 · seller +1.5 · condition +0.9"
    assert fields["Condition"] == "Like new"
    assert "only 4 price(s) known" in fields["Baseline immature"]
    assert "thumbnail" not in value  # only https images
    assert value["footer"]["text"] == "EBAY_DE · spt · alert 7"  # footers show no markdown
