"""Apprise delivery against a fake ntfy server on loopback, through the real Apprise library.

Apprise pauses between two notifications to one ntfy target (`request_rate_per_sec`, 5.5 s
for most services). Tests that send one target a second notification soon after the first
(a retry) lift that pause on their targets (`no_pause`); nothing else about Apprise is
changed.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from app.services import Services
from core.alerts.apprise import AppriseDelivery, alert_notification, digest_notification, inert
from core.alerts.card import AlertCard
from core.alerts.service import AlertService, delivery_promise, destination_mode
from core.db.pool import Pool
from core.observability.logging import setup_logging
from core.pricing.baselines import BaselineService
from core.pricing.scorer import Scorer
from core.settings import (
    ConfigError,
    LoggingSettings,
    Settings,
    load_settings,
    parse_cli_overrides,
)
from tests.clock import ManualClock
from tests.fakes.ntfy import FakeNtfy
from tests.pricing.test_baselines import NOW, Market
from tests.spt_process import SptRun, kill_leftovers, spt_env
from tests.test_cli import invoke
from tests.test_crash_delivery import Deals

TOKEN = "tk_" + "s3cr3t" * 5  # ntfy's access tokens: tk_ and 29 characters


@pytest.fixture
async def ntfy() -> AsyncIterator[FakeNtfy]:
    server = FakeNtfy(token=TOKEN)
    await server.start()
    yield server
    await server.stop()


class Setup:
    def __init__(self, pool: Pool, urls: list[str], *extra: str) -> None:
        self.pool = pool
        self.clock = ManualClock(NOW)
        quoted = ", ".join(f'"{u}"' for u in urls)
        self.settings: Settings = load_settings(None, parse_cli_overrides([
            f"alerts.apprise_urls=[{quoted}]", "alerts.delivery=apprise", *extra,
        ]), {}).settings  # fmt: skip
        alerts = AlertService(pool, lambda: self.settings, self.clock)
        self.scorer = Scorer(pool, lambda: self.settings, self.clock, alerts.evaluate)
        self.baselines = BaselineService(pool, lambda: self.settings, self.clock,
                                         lambda keys: self.scorer.rescore(keys=keys))  # fmt: skip
        self.delivery = AppriseDelivery(pool, lambda: self.settings, self.clock, "test")
        self.market = Market(pool)
        self.item = 0

    def no_pause(self) -> None:
        for target in self.delivery.targets():
            target.notifier[0].request_rate_per_sec = 0

    async def deals(self, titles: list[str], market: int = 0) -> None:
        watch = await self.pool.fetchval(
            "INSERT INTO watches (name, query, component_type, marketplace, threshold, "
            "poll_interval_seconds, cold_start_opt_in) VALUES "
            "('ram', 'ddr4', 'ram', 'EBAY_US', 1, 900, true) "
            "ON CONFLICT DO NOTHING RETURNING id"
        ) or await self.pool.fetchval("SELECT id FROM watches WHERE name = 'ram'")
        for _ in range(market):  # the usual price: $40
            await self.market.listing("40", seen=NOW - timedelta(days=1))
        for title in titles:
            self.item += 1
            listing = await self.market.listing("20", seen=NOW - timedelta(minutes=5))
            await self.pool.execute(
                "UPDATE listings SET title = $1, url = $2, legacy_item_id = $3 WHERE id = $4",
                title, f"https://www.ebay.com/itm/x/{listing}?tracking=long",
                f"{256000000000 + self.item}", listing,
            )  # fmt: skip
            await self.pool.execute(
                "INSERT INTO watch_hits (watch_id, listing_id) VALUES ($1, $2)", watch, listing
            )
        await self.baselines.refresh()


async def test_an_alert_arrives_once_as_plain_text_with_price_market_score_and_link(
    pool: Pool, ntfy: FakeNtfy
) -> None:
    setup = Setup(pool, [ntfy.url("deals")])
    await setup.deals(["Samsung 32GB DDR4 2666 ECC RDIMM"], market=25)
    assert await setup.delivery.deliver_pending() == 1
    (message,) = ntfy.messages
    assert message.topic == "deals"
    assert message.headers["Authorization"] == f"Bearer {TOKEN}"
    assert message.title == "Samsung 32GB DDR4 2666 ECC RDIMM"
    lines = message.message.splitlines()
    assert lines[0] == "$20 per unit"
    assert lines[1].startswith("50% under the usual $40, from ")
    assert lines[2].startswith("Score ")
    assert lines[2].endswith("/100 · Used, working")
    assert lines[3] == "Watch: ram"
    assert lines[-1] == "https://www.ebay.com/itm/256000000001"  # /itm/{legacyItemId}
    assert "X-Markdown" not in message.headers  # plain text
    assert await pool.fetchval("SELECT status FROM alerts") == "delivered"
    row = await pool.fetchrow("SELECT destination_kind, status, attempts FROM outbox")
    assert row is not None
    assert tuple(row) == ("apprise", "delivered", 1)
    outcomes = await pool.fetch("SELECT outcome FROM delivery_attempts")
    assert [r["outcome"] for r in outcomes] == ["delivered"]
    assert await setup.delivery.deliver_pending() == 0
    assert len(ntfy.messages) == 1  # once


async def test_a_burst_is_one_notification_listing_every_alert(pool: Pool, ntfy: FakeNtfy) -> None:
    setup = Setup(pool, [ntfy.url("deals")])
    await setup.deals([f"DDR4 32GB module {n}" for n in range(7)])
    assert await setup.delivery.deliver_pending() == 7
    (message,) = ntfy.messages
    assert message.title == "7 new deals"
    lines = message.message.splitlines()
    assert len(lines) == 7
    assert all("· $20 · DDR4 32GB module " in line for line in lines)
    assert all(" https://www.ebay.com/itm/2560000000" in line for line in lines)
    assert await pool.fetchval("SELECT count(*) FROM alerts WHERE status = 'delivered'") == 7


async def test_a_target_answering_500_is_retried_later_and_nothing_is_lost(
    pool: Pool, ntfy: FakeNtfy
) -> None:
    setup = Setup(pool, [ntfy.url("deals")])
    setup.no_pause()
    await setup.deals(["DDR4 A"])
    ntfy.fail_next(500)
    root, capture = logging.getLogger(), io.StringIO()
    level = root.level
    handler = setup_logging(LoggingSettings(level="DEBUG", format="text"), capture)
    try:
        assert await setup.delivery.deliver_pending() == 0
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    assert ntfy.messages == []
    row = await pool.fetchrow("SELECT status, last_error FROM outbox")
    assert row is not None
    assert row["status"] == "pending"
    assert row["last_error"] == "apprise: alerts.apprise_urls[0] (ntfy): HTTP 500"
    assert await pool.fetchval("SELECT status FROM alerts") == "queued"
    # Apprise's own lines (which name the topic, and here the token) stay out of spt's log.
    logged = capture.getvalue()
    assert TOKEN not in logged
    assert "topic" not in logged
    assert "apprise notification failed: apprise: alerts.apprise_urls[0] (ntfy): HTTP 500" in (
        logged
    )
    assert await setup.delivery.deliver_pending() == 0  # not due yet
    setup.clock.advance(31)
    assert await setup.delivery.deliver_pending() == 1
    assert [m.title for m in ntfy.messages] == ["DDR4 A"]
    outcomes = await pool.fetch("SELECT outcome FROM delivery_attempts ORDER BY id")
    assert [r["outcome"] for r in outcomes] == ["retryable", "delivered"]


async def test_a_target_that_has_it_is_not_sent_it_again_while_another_fails(
    pool: Pool, ntfy: FakeNtfy
) -> None:
    setup = Setup(pool, [ntfy.url("phone"), ntfy.url("desk")])
    setup.no_pause()
    await setup.deals(["DDR4 A"])
    ntfy.failing_topics["desk"] = 502
    assert await setup.delivery.deliver_pending() == 0
    row = await pool.fetchrow("SELECT status, last_error, accepted_targets FROM outbox")
    assert row is not None
    assert row["status"] == "pending"
    assert row["last_error"] == (
        "1 of 2 targets have it; apprise: alerts.apprise_urls[1] (ntfy): HTTP 502"
    )
    assert len(row["accepted_targets"]) == 1
    assert TOKEN not in str(row["accepted_targets"])  # a fingerprint, never the URL
    for _ in range(2):  # still failing: retried, the phone is left alone
        setup.clock.advance(31)
        assert await setup.delivery.deliver_pending() == 0
    del ntfy.failing_topics["desk"]
    setup.clock.advance(31)
    assert await setup.delivery.deliver_pending() == 1
    assert [m.title for m in ntfy.on("phone")] == ["DDR4 A"]
    assert [m.title for m in ntfy.on("desk")] == ["DDR4 A"]
    assert await pool.fetchval("SELECT status FROM alerts") == "delivered"


async def test_a_hanging_target_times_out_and_is_retried(pool: Pool, ntfy: FakeNtfy) -> None:
    setup = Setup(pool, [ntfy.url("deals")], "alerts.apprise_timeout_seconds=0.5")
    setup.no_pause()
    await setup.deals(["DDR4 A"])
    ntfy.hang_next(2.0)
    assert await setup.delivery.deliver_pending() == 0
    error = await pool.fetchval("SELECT last_error FROM outbox")
    assert error.startswith("apprise: alerts.apprise_urls[0] (ntfy): ")
    assert "0.5s" in error
    await asyncio.sleep(2.0)  # the abandoned request ends (503: nothing stored)
    setup.clock.advance(31)
    assert await setup.delivery.deliver_pending() == 1
    assert [m.title for m in ntfy.messages] == ["DDR4 A"]


HOSTILE = "@everyone **FREE** <@123> <!channel> [click](https://evil.example) `x`\nScore 100"


def _assert_inert(text: str) -> None:
    for live in ("@everyone", "<@123>", "<!channel>", "https://evil", "**", "[click]", "`"):
        assert live not in text
    assert "\n" not in text


async def test_listing_text_with_markdown_and_mentions_arrives_inert(
    pool: Pool, ntfy: FakeNtfy
) -> None:
    setup = Setup(pool, [ntfy.url("text"), ntfy.url("md", "format=markdown")])
    await setup.deals([HOSTILE])
    assert await setup.delivery.deliver_pending() == 1
    (text,) = ntfy.on("text")
    (markdown,) = ntfy.on("md")
    for message in (text, markdown):
        _assert_inert(message.title)
        assert message.title == (
            "@\u200beveryone \u2217\u2217FREE\u2217\u2217 <\u200b@\u200b123> <\u200b!channel> "
            "(click)(https:\u200b//evil.example) \u02cbx\u02cb Score 100"
        )  # reads as written, formats nothing, pings no one
    assert "X-Markdown" not in text.headers
    assert text.message.splitlines()[-1] == "https://www.ebay.com/itm/256000000001"
    # To a Markdown target spt writes Markdown: hard line breaks, the link an autolink.
    assert markdown.headers["X-Markdown"] == "yes"
    lines = markdown.message.split("  \n")
    assert lines[0] == "$20 per unit"
    assert lines[-1] == "<https://www.ebay.com/itm/256000000001>"


async def test_a_digest_of_hostile_titles_formats_nothing(pool: Pool, ntfy: FakeNtfy) -> None:
    setup = Setup(pool, [ntfy.url("text"), ntfy.url("md", "format=markdown")])
    await setup.deals([f"{HOSTILE} {n}" for n in range(6)])
    assert await setup.delivery.deliver_pending() == 6
    for message, separator in ((ntfy.on("text")[0], "\n"), (ntfy.on("md")[0], "  \n")):
        lines = message.message.split(separator)
        assert len(lines) == 6
        for line in lines:
            _assert_inert(line.replace("<https://www.ebay.com/itm/", ""))
            assert "https://www.ebay.com/itm/2560000000" in line


def test_html_targets_get_escaped_text_and_a_real_link() -> None:
    card = AlertCard(watch_name="<b>w</b>", title="t", url=None, score=90, unit_price="30.00",
                     currency="USD", marketplace="EBAY_US", condition="new", seller=None,
                     price_position="unknown", product_key=None, cold_start=False, sequence=1,
                     legacy_item_id="256000000001")  # fmt: skip
    body = alert_notification(card).body("html")
    assert "<b>" not in body
    assert "Watch: &lt;\u200bb&gt;w&lt;/b&gt;" in body
    assert body.endswith(
        '<a href="https://www.ebay.com/itm/256000000001">https://www.ebay.com/itm/256000000001</a>'
    )
    assert body.count("<br/>") == 4


def test_a_bad_apprise_url_is_a_config_error_naming_its_index_and_no_secret() -> None:
    secret = "hunter2-token-abc"
    urls = [
        f"ntfys://{secret}@ntfy.example.org/deals",  # fine
        f"nope://{secret}",  # no such service
        f"mailto://user:{secret}@",  # the mail plugin refuses it
        secret,  # no URL at all
    ]
    quoted = ", ".join(f'"{u}"' for u in urls)
    with pytest.raises(ConfigError) as caught:
        load_settings(None, parse_cli_overrides([f"alerts.apprise_urls=[{quoted}]"]), {})
    lines = caught.value.lines
    assert [line.split(":")[0] for line in lines] == [
        "alerts.apprise_urls[1]", "alerts.apprise_urls[2]", "alerts.apprise_urls[3]"]  # fmt: skip
    assert all("got '********' (from flag --set alerts.apprise_urls)" in line for line in lines)
    assert "nope:// is not a service Apprise knows" in lines[0]
    assert "this mailto:// URL does not" in lines[1]
    assert "scheme://" in lines[2]
    assert all(secret not in line for line in lines)
    with pytest.raises(ConfigError) as caught:
        load_settings(None, None, {"SPT_ALERTS__DELIVERY": "apprise"})
    assert caught.value.lines == [
        "alerts: delivery = 'apprise' needs alerts.apprise_urls, e.g. "
        '["ntfy://ntfy.example.org/deals"] (from env)'
    ]


def test_apprise_urls_are_secrets_in_logs_and_config_show() -> None:
    from app.cli.config import _display
    from core.observability.logging import secret_values

    url = "ntfys://tk_abcdefghijklmnopqrstuvwxyz123@ntfy.example.org/deals"
    settings = load_settings(None, None, {"SPT_ALERTS__APPRISE_URLS": f'["{url}"]'}).settings
    assert url in secret_values(settings)
    assert _display(settings.alerts.apprise_urls) == ["********"]
    assert url not in repr(settings)


def test_auto_sends_to_apprise_after_discord_and_the_webhook() -> None:
    url = "ntfys://ntfy.example.org/deals"
    webhook = "https://discord.com/api/webhooks/118000000000000077/" + "T0k3n-_." * 8

    def mode(*pairs: str) -> str:
        return destination_mode(load_settings(None, parse_cli_overrides(list(pairs)), {}).settings)

    assert mode() == "console"
    assert mode(f'alerts.apprise_urls=["{url}"]') == "apprise"
    assert mode(f'alerts.apprise_urls=["{url}"]', f"discord.webhook_url={webhook}") == "webhook"
    assert mode(f'alerts.apprise_urls=["{url}"]', "discord.token=x") == "discord"
    both = f'alerts.apprise_urls=["{url}", "mailtos://u:p@mail.example.org"]'
    settings = load_settings(None, parse_cli_overrides([both]), {}).settings
    promise = delivery_promise(settings)
    assert promise.startswith("Apprise (2 targets: ntfys, mailtos), at least once")
    assert "p@mail" not in promise


def test_a_notification_keeps_listing_text_on_one_line_within_limits() -> None:
    card = AlertCard(watch_name="@here w\nScore 100", title="x" * 5000, url="javascript:alert(1)",
                     score=99, unit_price="30.00", currency="EUR", marketplace="EBAY_DE",
                     condition="like_new", seller=None, price_position="unknown",
                     product_key=None, cold_start=True, sequence=2, baseline_samples=3)  # fmt: skip
    note = alert_notification(card, title_max=200)
    assert len(note.title) == 200
    assert note.title.endswith("…")
    body = note.body("text")
    assert "Watch: @\u200bhere w Score 100 · price dropped, alert #2" in body
    assert "javascript" not in body  # only https links
    assert "Baseline immature: only 3 price(s)" in body
    assert body.splitlines()[0] == "€30 per unit"
    many = [card] * 300
    digest = digest_notification(many, body_max=1000)
    assert len(digest.body("text")) <= 1000
    assert digest.title == "300 new deals"
    assert digest.body("text").endswith("more")
    assert inert("a\u202eb\x00c", 10) == "abc"  # no control or direction characters


@pytest.fixture
def no_leftover_processes() -> Iterator[None]:
    yield
    kill_leftovers()


async def test_spt_run_delivers_to_apprise_and_logs_no_secret(
    database_url: str, pool: Pool, ntfy: FakeNtfy, tmp_path: Path, no_leftover_processes: None
) -> None:
    """A headless `spt run` with only alerts.apprise_urls set (auto) sends its alerts there
    as they are created (woken by the outbox's notification), and its log names no secret."""
    env = spt_env(database_url, {"SPT_ALERTS__APPRISE_URLS": f'["{ntfy.url("deals")}"]'})
    settings = load_settings(None, None, env).settings
    assert destination_mode(settings) == "apprise"
    deals = Deals(pool, settings)
    await deals.market()
    watch = await deals.watch("DDR4")
    run = await SptRun.start(env, tmp_path)
    up = await run.wait_until(lambda: any(m.startswith("spt running") for m in run.messages()),
                              "start-up", 20)  # fmt: skip
    assert up, run.tail()
    await deals.alert(watch, 1)
    assert await run.wait_until(lambda: len(ntfy.messages) == 1, "the notification", 10)
    assert ntfy.messages[0].title == "Samsung 32GB DDR4 2666 ECC RDIMM #1"
    assert await run.stop() == 0
    assert not run.problems(), run.tail()
    assert await pool.fetchval("SELECT status FROM outbox") == "delivered"
    logged = json.dumps(run.logs)
    assert TOKEN not in logged
    assert ntfy.url("deals") not in logged


def test_spt_status_says_alerts_go_to_apprise(database_url: str) -> None:
    url = f"ntfys://{TOKEN}@ntfy.example.org/deals"
    env = {"SPT_ALERTS__APPRISE_URLS": f'["{url}"]'}
    result = invoke("--database-url", database_url, "status", env=env)
    assert result.exit_code == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("alert delivery: "))
    assert line.startswith("alert delivery: Apprise (1 target: ntfys), at least once")
    assert TOKEN not in result.stdout + result.stderr


def test_the_pipeline_runs_an_apprise_sender_only_with_urls() -> None:
    from app.pipeline import _deliveries

    def kinds(*pairs: str) -> list[str]:
        settings = load_settings(None, parse_cli_overrides(list(pairs)), {}).settings
        services = SimpleNamespace(holder=SimpleNamespace(current=settings),
                                   db=SimpleNamespace(pool=None), webhook=None)  # fmt: skip
        deliveries, names = _deliveries(cast(Services, services), None)
        assert len(deliveries) == len(names)
        return names

    assert kinds() == ["console"]
    assert kinds('alerts.apprise_urls=["ntfys://ntfy.example.org/deals"]') == [
        "console", "apprise"]  # fmt: skip
