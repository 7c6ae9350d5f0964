"""SIGKILL a delivering `spt run` again and again (issue 13, point 8).

A real `spt run` process delivers alerts to the fake Discord served by this test's event
loop, and is SIGKILLed at random moments (a seeded `random.Random`, printed) at least 20
times, each time restarted on the same database. The fake answers each message it stored
`SEND_DELAY` later, so most kills land after Discord accepted a message and before spt
heard so; and it remembers nonces for only `NONCE_WINDOW` (real Discord: "a few minutes"),
shorter than the delivery lease, so a restarted spt cannot lean on Discord's nonce check.

- Channels (bot token): every alert delivered, each shown in exactly one message.
- Webhook (headless): webhooks take no idempotency key, so the promise is at least once:
  every alert shown, and no more repeated messages than kills.
- Both: no outbox message left sending, no extraction job holding an expired lease, and a
  clean exit on SIGTERM at the end.

Alerts are created between runs, while no spt runs, so each run has messages to send when
it is killed (seeding them all up front leaves the later runs idle) and a burst is always
claimed whole: a digest is resent with the same alerts, hence the same nonce. Set
CRASH_TEST_SEED to replay other kill moments.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from core.alerts.service import AlertService
from core.db.pool import Pool
from core.pricing.baselines import BaselineService
from core.pricing.scorer import Scorer
from core.settings import Settings, load_settings
from core.watches import WatchService
from tests.fakes.discord import FakeDiscordWebhook
from tests.fakes.discord_api import BOT_TOKEN, FakeDiscord
from tests.spt_process import SptRun, kill_leftovers, spt_env

SEED = int(os.environ.get("CRASH_TEST_SEED", "1308"))
KILLS = 20
LEASE_SECONDS = 2  # alerts.delivery_lease_seconds: a killed sender's messages go out again after it
SEND_DELAY = 0.3  # s between Discord storing a message and answering
NONCE_WINDOW = 1.0  # s the fake remembers an enforced nonce: shorter than the lease
DIGEST_THRESHOLD = 5
KILL_WINDOW = (0.0, 1.2)  # s after a run's first post reached the fake (channels: a few queued)
WEBHOOK_KILL_WINDOW = (0.0, 2 * SEND_DELAY)  # one post a run: half unanswered, half answered
DIGEST_KILL_WINDOW = (0.02, SEND_DELAY - 0.05)  # while the fake holds the digest's answer
FIRST_POST_SECONDS = 10.0  # a run that posted nothing by then is killed anyway
DRAIN_SECONDS = 40.0  # the last run's time to deliver everything
TIMEOUT = 85  # s per scenario (each takes about 55 s on 2 cores): the file stays under 3 min

KEY = "ram:ddr4:ecc_reg:32gb:2666"
GUILD = (291_000_000_000 << 22) | 7
SINGLES = 1_310_000_000_000_000_001  # a watch whose alerts come a few at a time
BURSTS = 1_310_000_000_000_000_002  # a watch whose alerts come in bursts: digests
ITEM_LINK = re.compile(r"https://www\.ebay\.com/itm/(\d+)")
ALERT_FOOTER = re.compile(r"\balert (\d+)\b")
DIGEST_TITLE = re.compile(r"^\d+ new deals$")


@pytest.fixture(autouse=True)
def no_leftover_processes() -> Iterator[None]:
    """A scenario that fails or times out half-way leaves no `spt run` behind."""
    yield
    kill_leftovers()


def shown_per_alert(
    messages: Iterable[Sequence[dict[str, Any]]], alert_by_item: dict[str, int]
) -> Counter[int]:
    """Alert id -> how many messages show it. A single alert's embed names it in its footer
    (`alert {id}`); a digest lists it by its eBay link (`/itm/{legacy_item_id}`)."""
    counts: Counter[int] = Counter()
    for embeds in messages:
        shown: set[int] = set()
        for embed in embeds:
            footer = embed.get("footer", {}).get("text", "")
            shown.update(int(i) for i in ALERT_FOOTER.findall(footer))
            description = embed.get("description") or ""
            assert "… and" not in description, f"a digest hid alerts: {description[-200:]}"
            shown.update(alert_by_item[item] for item in ITEM_LINK.findall(description))
        counts.update(shown)
    return counts


class InFlight:
    """Counts message posts a fake received, and those it has not answered yet (aiohttp
    middleware, so neither fake needs to know)."""

    def __init__(self, path: str) -> None:
        self._path = re.compile(path)
        self.received: Counter[str] = Counter()  # path -> posts
        self.unanswered = 0

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if request.method != "POST" or not self._path.search(request.path):
            return await handler(request)
        self.received[request.path] += 1
        self.unanswered += 1
        try:
            return await handler(request)
        finally:
            self.unanswered -= 1

    def total(self) -> int:
        """Posts received so far."""
        return sum(self.received.values())


class Deals:
    """Creates alerts as spt does: listings a watch found, extracted, scored against a mature
    baseline, and decided by `AlertService.evaluate` (which queues them in the outbox)."""

    def __init__(self, pool: Pool, settings: Settings) -> None:
        self.pool = pool
        current = lambda: settings  # noqa: E731
        now = lambda: datetime.now(UTC)  # noqa: E731
        self.alerts = AlertService(pool, current, now)
        self.scorer = Scorer(pool, current, now, self._evaluate)
        self.baselines = BaselineService(pool, current, now,
                                         lambda keys: self.scorer.rescore(keys=keys))  # fmt: skip
        self.watches = WatchService(pool, current)
        self.created: list[int] = []
        self.items = 0

    async def _evaluate(self, listing_ids: Sequence[int]) -> list[int]:
        created = await self.alerts.evaluate(listing_ids)
        self.created += created
        return created

    async def watch(self, name: str, guild: int | None = None, channel: int | None = None) -> int:
        """A DDR4 watch alerting at the default threshold."""
        fields = {"name": name, "query": "DDR4 ECC", "component_type": "ram",
                  "channel_id": channel}  # fmt: skip
        return int((await self.watches.add(guild, fields)).id)

    async def market(self, size: int = 400) -> None:
        """`size` fairly priced listings of the key ($100-$219), so its baseline is mature
        and stays put however many deals join it."""
        now = datetime.now(UTC)
        await self.pool.execute(
            "INSERT INTO listings (marketplace, item_id, legacy_item_id, title, currency, price, "
            "shipping, condition, seller_username, seller_feedback_score, first_seen_at, "
            "last_seen_at, updated_at) SELECT 'EBAY_US', 'v1|' || (110000000000 + n) || '|0', "
            "(110000000000 + n)::text, 'Samsung 32GB DDR4 2666 ECC RDIMM', 'USD', 100 + n % 120, "
            "0, 'used_working', 'dealer', 900, $2, $2, $2 FROM generate_series(1, $1) n",
            size, now - timedelta(hours=2),
        )  # fmt: skip
        await self.pool.execute(
            "INSERT INTO extractions (listing_id, component_type, attributes, confidence, method, "
            "quantity, product_key) SELECT id, 'ram', '{}', 0.95, 'rules', 1, $1 FROM listings",
            KEY,
        )  # fmt: skip
        await self.baselines.refresh()

    async def alert(self, watch_id: int, count: int) -> list[int]:
        """`count` new deals (about 70% under the market) found by the watch; their alerts."""
        listings = []
        now = datetime.now(UTC)
        for _ in range(count):
            self.items += 1
            legacy = str(120_000_000_000 + self.items)
            listing_id = await self.pool.fetchval(
                "INSERT INTO listings (marketplace, item_id, legacy_item_id, title, url, currency, "
                "price, shipping, condition, seller_username, seller_feedback_score, "
                "seller_feedback_percent, seller_top_rated, first_seen_at, last_seen_at, "
                "updated_at) VALUES ('EBAY_US', $1, $2, $3, $4, 'USD', $5, 0, 'used_working', "
                "'homelab_parts', 5400, 99.8, true, $6, $6, $6) RETURNING id",
                f"v1|{legacy}|0", legacy, f"Samsung 32GB DDR4 2666 ECC RDIMM #{self.items}",
                f"https://www.ebay.com/itm/{legacy}", Decimal(40 + self.items % 10), now,
            )  # fmt: skip
            await self.pool.execute(
                "INSERT INTO extractions (listing_id, component_type, attributes, confidence, "
                "method, quantity, product_key) VALUES ($1, 'ram', $2, 0.95, 'rules', 1, $3)",
                listing_id, {"generation": "DDR4", "capacity_gb": 32, "speed_mhz": 2666,
                             "ecc": True, "registered": True}, KEY,
            )  # fmt: skip
            await self.pool.execute(
                "INSERT INTO watch_hits (watch_id, listing_id) VALUES ($1, $2)",
                watch_id, listing_id,
            )  # fmt: skip
            listings.append(listing_id)
        before = len(self.created)
        await self.scorer.rescore(listing_ids=listings)
        created = self.created[before:]
        assert len(created) == count, f"{count} deals made {len(created)} alert(s)"
        return created

    async def extraction_work(self, count: int = 200) -> None:
        """New listings nobody watches, queued for extraction as ingestion queues them: work
        for the extraction workers while spt is killed. They come due over 1.5-4 s, about
        when the next run delivers and is killed, so kills find jobs under lease too."""
        await self.pool.execute(
            "WITH new AS (INSERT INTO listings (marketplace, item_id, title, currency, price, "
            "condition, first_seen_at, last_seen_at, updated_at) SELECT 'EBAY_US', "
            "'v1|' || (130000000000 + $2 + n) || '|0', "
            "'Seagate Exos X16 16TB 7200RPM SATA 3.5in HDD ST16000NM001G', 'USD', 180, "
            "'used_working', now(), now(), now() FROM generate_series(1, $1) n RETURNING id) "
            "INSERT INTO extraction_jobs (listing_id, next_attempt_at) SELECT id, "
            "now() + make_interval(secs => 1.5 + (id % 50) * 0.05) FROM new",
            count, await self.pool.fetchval("SELECT count(*) FROM extraction_jobs"),
        )  # fmt: skip

    async def retaken_jobs(self) -> int:
        """Extraction jobs claimed more than once: a killed worker's, taken back after its
        lease (the rules never fail a title, so nothing else retries one)."""
        return int(await self.pool.fetchval(
            "SELECT count(*) FROM extraction_jobs WHERE attempts > 1"
        ))  # fmt: skip

    async def undelivered(self, destination: str) -> int:
        """Alerts of a destination not delivered yet (pending or held by a dead sender)."""
        return int(await self.pool.fetchval(
            "SELECT count(*) FROM outbox WHERE destination = $1 AND status <> 'delivered'",
            destination,
        ))  # fmt: skip

    async def by_item(self) -> dict[str, int]:
        """eBay item number -> its alert (one alert per deal listing here)."""
        rows = await self.pool.fetch(
            "SELECT a.id, l.legacy_item_id FROM alerts a JOIN listings l ON l.id = a.listing_id"
        )
        mapping = {r["legacy_item_id"]: r["id"] for r in rows}
        assert len(mapping) == len(rows), "two alerts for one listing: links are ambiguous"
        return mapping


@dataclass
class Crashes:
    """What the kills hit."""

    seed: int
    kills: int = 0
    in_flight: int = 0  # kills while the fake held an accepted, unanswered post
    idle: int = 0  # kills of a run that had posted nothing
    aimed: int = 0  # kills aimed at a digest's post
    starts: list[float] = field(default_factory=list)  # s from start to a run's first post


Prepare = Callable[[int], Awaitable[Callable[[], int] | None]]


def grew(counter: Callable[[], int]) -> Callable[[], bool]:
    """A condition: `counter` went past the value it has now."""
    before = counter()
    return lambda: counter() > before


async def crash_and_restart(
    env: dict[str, str],
    cwd: Path,
    posts: InFlight,
    prepare: Prepare,
    rng: random.Random,
    window: tuple[float, float] = KILL_WINDOW,
) -> Crashes:
    """Start `spt run`, SIGKILL it at a random moment of `window` after its first post,
    `KILLS` times.

    `prepare(cycle)` runs while no spt runs (it adds work); it may return a counter of the
    posts to aim at (a digest's), and the kill then lands while the fake holds that post.
    """
    crashes = Crashes(SEED)
    for cycle in range(KILLS):
        aim = await prepare(cycle)
        first_post = grew(aim or posts.total)
        run = await SptRun.start(env, cwd)
        posted = await run.wait_until(first_post, "a post", FIRST_POST_SECONDS)
        if posted:
            crashes.starts.append(time.monotonic() - run.started)
        else:
            crashes.idle += 1
        await asyncio.sleep(rng.uniform(*(DIGEST_KILL_WINDOW if aim else window)))
        crashes.in_flight += posts.unanswered > 0
        crashes.aimed += bool(aim and posted)
        await run.kill()
        crashes.kills += 1
    return crashes


async def last_run(env: dict[str, str], cwd: Path, deals: Deals) -> SptRun:
    """A last `spt run`, left to deliver every alert and extract every listing (bounded),
    then stopped with SIGTERM."""
    run = await SptRun.start(env, cwd)
    # Until it says it runs, its signal handlers may not be there to turn SIGTERM into a stop.
    up = await run.wait_until(lambda: any(m.startswith("spt running") for m in run.messages()),
                              "start-up", FIRST_POST_SECONDS)  # fmt: skip
    assert up, run.tail()
    deadline = time.monotonic() + DRAIN_SECONDS
    while True:
        left = await deals.pool.fetchrow(
            "SELECT (SELECT count(*) FROM outbox WHERE status <> 'delivered') AS outbox, "
            "(SELECT count(*) FROM extraction_jobs WHERE status <> 'done') AS jobs"
        )
        assert left is not None
        if left["outbox"] == 0 and left["jobs"] == 0:
            await run.stop()
            return run
        assert not run.exited, f"spt exited ({run.process.returncode}):\n{run.tail()}"
        assert time.monotonic() < deadline, f"still undone after the last restart: {dict(left)}"
        await asyncio.sleep(0.2)


async def stuck(pool: Pool) -> dict[str, int]:
    """Alerts not delivered, and leases nobody will give back."""
    row = await pool.fetchrow(
        "SELECT (SELECT count(*) FROM alerts WHERE status <> 'delivered') AS undelivered, "
        "(SELECT count(*) FROM outbox WHERE status = 'sending') AS outbox_sending, "
        "(SELECT count(*) FROM extraction_jobs WHERE status = 'running' "
        "  AND lease_expires_at < now()) AS jobs_expired_lease, "
        "(SELECT count(*) FROM extraction_jobs WHERE status <> 'done') AS jobs_undone"
    )
    assert row is not None
    return dict(row)


def digests(messages: Iterable[Sequence[dict[str, Any]]]) -> int:
    """Messages that are a digest ("7 new deals") rather than alerts of their own."""
    return sum(1 for embeds in messages if any(DIGEST_TITLE.match(e.get("title", ""))
                                               for e in embeds))  # fmt: skip


def summary(name: str, crashes: Crashes, posts: int, messages: list[list[dict[str, Any]]],
            counts: Counter[int], alerts: int, retaken_jobs: int,
            started: float) -> dict[str, Any]:  # fmt: skip
    """The evidence of a scenario, printed as one JSON line (visible with `-s`)."""
    repeated = {a: n for a, n in counts.items() if n > 1}
    starts = sorted(crashes.starts)
    line = {
        "scenario": name, "seed": crashes.seed, "kills": crashes.kills,
        "kills_in_flight": crashes.in_flight, "kills_aimed_at_digest": crashes.aimed,
        "kills_idle": crashes.idle, "alerts": alerts, "posts": posts,
        "messages": len(messages), "digests": digests(messages),
        "alerts_shown_twice_or_more": len(repeated),
        "duplicate_appearances": sum(n - 1 for n in repeated.values()),
        "extraction_jobs_retaken": retaken_jobs,
        "first_post_after_start_s": round(starts[len(starts) // 2], 2) if starts else None,
        "seconds": round(time.monotonic() - started, 1),
    }  # fmt: skip
    print(f"crash summary: {json.dumps(line)}")
    return line


# ---------------------------------------------------------------------------------------------
# Channels: exactly once


@pytest.mark.timeout(TIMEOUT)
async def test_sigkilled_channel_delivery_loses_and_repeats_nothing(
    database_url: str, pool: Pool, tmp_path: Path
) -> None:
    started = time.monotonic()
    rng = random.Random(SEED)
    print(f"crash seed: {SEED} (CRASH_TEST_SEED)")
    fake = FakeDiscord(nonce_window=NONCE_WINDOW)
    posts = InFlight(r"/channels/\d+/messages$")
    fake.app.middlewares.append(posts.middleware)
    async with fake:
        fake.create_message_delay = SEND_DELAY
        fake.add_guild(GUILD, "homelab")
        fake.add_channel(GUILD, SINGLES, "deals")
        fake.add_channel(GUILD, BURSTS, "bursts")
        env = spt_env(database_url, {
            "SPT_DISCORD__TOKEN": BOT_TOKEN,
            "SPT_DISCORD__API_BASE_URL": fake.base_url,
            "SPT_ALERTS__DELIVERY_LEASE_SECONDS": str(LEASE_SECONDS),
            "SPT_ALERTS__DIGEST_THRESHOLD": str(DIGEST_THRESHOLD),
            "SPT_RESILIENCE__BACKOFF_BASE_SECONDS": "0.05",
            "SPT_RESILIENCE__BACKOFF_MAX_SECONDS": "0.5",
            "SPT_EXTRACT__LEASE_SECONDS": "10",
            "SPT_SCHEDULE__HEALTH_CHECK_SECONDS": "5",  # also how often expired jobs come back
        })  # fmt: skip
        deals = Deals(pool, load_settings(None, None, env).settings)  # spt's own settings
        await deals.market()
        singles = await deals.watch("DDR4 singles", GUILD, SINGLES)
        bursts = await deals.watch("DDR4 bursts", GUILD, BURSTS)
        burst_posts = f"/api/v10/channels/{BURSTS}/messages"

        async def prepare(cycle: int) -> Callable[[], int] | None:
            aim = None
            # A burst only once the last one is delivered, so it is claimed (and, after a
            # kill, resent) as one group: one digest, one nonce.
            if cycle % 4 == 0 and await deals.undelivered(str(BURSTS)) == 0:
                await deals.alert(bursts, DIGEST_THRESHOLD + 2)
                aim = lambda: posts.received[burst_posts]  # noqa: E731
            # Singles topped up to the threshold, never over it: always singles.
            room = DIGEST_THRESHOLD - await deals.undelivered(str(SINGLES))
            if room > 0:
                await deals.alert(singles, room)
            await deals.extraction_work()  # last: it comes due in the next run
            return aim

        crashes = await crash_and_restart(env, tmp_path, posts, prepare, rng)
        last = await last_run(env, tmp_path, deals)
        messages = [m.embeds for c in (SINGLES, BURSTS) for m in fake.messages_in(c)]
    counts = shown_per_alert(messages, await deals.by_item())
    # More posts than messages: resends that Discord's nonce check answered.
    line = summary("channel", crashes, posts.total(), messages, counts, len(deals.created),
                   await deals.retaken_jobs(), started)  # fmt: skip
    assert crashes.kills >= 20
    assert crashes.in_flight >= KILLS // 2, f"kills missed the posts: {line}"
    assert crashes.aimed >= 1, f"no kill landed on a digest: {line}"
    assert 0 < line["digests"] < line["messages"], f"digests and single alerts both: {line}"
    assert last.exit_code == 0, last.tail()
    assert not last.problems(), last.tail()
    assert await stuck(pool) == {"undelivered": 0, "outbox_sending": 0,
                                 "jobs_expired_lease": 0, "jobs_undone": 0}  # fmt: skip
    assert not [a for a in deals.created if counts[a] == 0], f"alerts never shown: {line}"
    repeated = {a: n for a, n in counts.items() if n > 1}
    assert not repeated, f"alerts posted more than once (alert: messages): {repeated}; {line}"


# ---------------------------------------------------------------------------------------------
# Webhook: at least once


@dataclass
class Webhook:
    """Where headless spt posts alerts, and what arrived there."""

    url: str
    base_url: str
    posts: InFlight
    messages: Callable[[], list[list[dict[str, Any]]]]  # each accepted message's embeds


@pytest.fixture
async def webhook() -> AsyncIterator[Webhook]:
    """A webhook that answers `SEND_DELAY` after accepting a post; spt reaches it through
    discord.py (`discord.api_base_url` is the fake's address, the URL Discord's form)."""
    fake = FakeDiscordWebhook()
    fake.delay = SEND_DELAY
    posts = InFlight(r"/webhooks/\d+/[^/]+$")
    fake.app.middlewares.append(posts.middleware)
    base_url = await fake.start()
    try:
        yield Webhook(fake.url, base_url, posts, lambda: [p["embeds"] for p in fake.payloads])
    finally:
        await fake.stop()


def repeats(messages: Iterable[Sequence[dict[str, Any]]], alert_by_item: dict[str, int]) -> int:
    """Messages that show an alert an earlier message already showed."""
    seen: set[int] = set()
    count = 0
    for embeds in messages:
        shown = set(shown_per_alert([embeds], alert_by_item))
        count += bool(shown & seen)
        seen |= shown
    return count


@pytest.mark.timeout(TIMEOUT)
async def test_sigkilled_webhook_delivery_loses_nothing(
    database_url: str, pool: Pool, tmp_path: Path, webhook: Webhook
) -> None:
    started = time.monotonic()
    rng = random.Random(SEED)
    print(f"crash seed: {SEED} (CRASH_TEST_SEED)")
    env = spt_env(database_url, {
        "SPT_DISCORD__WEBHOOK_URL": webhook.url,
        "SPT_DISCORD__API_BASE_URL": webhook.base_url,
        "SPT_ALERTS__DELIVERY_LEASE_SECONDS": str(LEASE_SECONDS),
        "SPT_ALERTS__DIGEST_THRESHOLD": str(DIGEST_THRESHOLD),
        # Bursts are what is due at once, not what went out in the last minute, so runs
        # send batched embeds as well as digests.
        "SPT_ALERTS__DIGEST_WINDOW_SECONDS": "1",
        "SPT_RESILIENCE__BACKOFF_BASE_SECONDS": "0.05",
        "SPT_RESILIENCE__BACKOFF_MAX_SECONDS": "0.5",
        "SPT_EXTRACT__LEASE_SECONDS": "10",
        "SPT_SCHEDULE__HEALTH_CHECK_SECONDS": "5",  # also how often expired jobs come back
    })  # fmt: skip
    deals = Deals(pool, load_settings(None, None, env).settings)
    await deals.market()
    watch = await deals.watch("DDR4")

    async def prepare(cycle: int) -> Callable[[], int] | None:
        aim = None
        if cycle % 4 == 0 and await deals.undelivered("default") == 0:
            await deals.alert(watch, DIGEST_THRESHOLD + 2)  # a digest
            aim = webhook.posts.total
        else:
            room = 3 - await deals.undelivered("default")  # a batch of a few embeds
            if room > 0:
                await deals.alert(watch, room)
        await deals.extraction_work()  # last: it comes due in the next run
        return aim

    crashes = await crash_and_restart(env, tmp_path, webhook.posts, prepare, rng,
                                      WEBHOOK_KILL_WINDOW)  # fmt: skip
    last = await last_run(env, tmp_path, deals)
    messages = webhook.messages()
    by_item = await deals.by_item()
    counts = shown_per_alert(messages, by_item)
    line = summary("webhook", crashes, webhook.posts.total(), messages, counts,
                   len(deals.created), await deals.retaken_jobs(), started)  # fmt: skip
    resent = repeats(messages, by_item)
    print(f"crash summary: webhook messages repeating an earlier one: {resent}")
    assert crashes.kills >= 20
    assert crashes.in_flight >= KILLS // 4, f"kills missed the posts: {line}"
    assert 0 < line["digests"] < line["messages"], f"digests and batched alerts both: {line}"
    assert last.exit_code == 0, last.tail()
    assert not last.problems(), last.tail()
    assert await stuck(pool) == {"undelivered": 0, "outbox_sending": 0,
                                 "jobs_expired_lease": 0, "jobs_undone": 0}  # fmt: skip
    assert not [a for a in deals.created if counts[a] == 0], f"alerts never shown: {line}"
    # At least once: a kill can make the post it interrupted go out again, no more. Counted
    # in messages: a repeated message repeats every alert it carries (a batch, a digest), so
    # the alerts' extra appearances may well outnumber the kills.
    assert resent <= crashes.kills, f"{resent} repeated messages; {line}"
