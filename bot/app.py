"""Composition root: builds the pool, HTTP session, clients and services, and runs spt's modes.

Every resource is created here and passed down; nothing else opens connections.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp

from bot.demo import seed_examples
from core.alerts.actions import AlertActions
from core.alerts.channel import ChannelDelivery
from core.alerts.console import ConsoleDelivery
from core.alerts.delivery import ChannelPort, Delivery
from core.alerts.preview import WatchPreview
from core.alerts.service import AlertService
from core.alerts.service import destination_mode as alert_destination
from core.alerts.webhook import WebhookDelivery
from core.browse import ListingBrowser
from core.clock import utc_now
from core.config_reload import SettingsHolder, watch_config
from core.db import alerts as outbox_repo
from core.db import extraction as extraction_repo
from core.db import listings as listing_repo
from core.db import scores as scores_repo
from core.db.migrate import migrate
from core.db.notify import Listener
from core.db.pool import Database, open_database
from core.extract.service import Extractor
from core.guild_settings import GuildSettingsService
from core.jobs.extract import ExtractionWorker, run_workers
from core.jobs.ingest import Ingestor, IngestScheduler, TickResult, process_id
from core.jobs.status import IngestStatus, ingest_status
from core.jobs.supervisor import Supervisor
from core.marketplace.client import EbayClient
from core.marketplace.wiring import build_ebay_client, credentials
from core.observability.health import Check, HealthMonitor
from core.observability.logging import apply_level, setup_logging
from core.observability.metrics import (
    ALERT_DESTINATION,
    LAST_NEW_LISTING,
    LLM_BACKEND,
    LLM_BACKENDS,
    initialise_series,
)
from core.pricing.baselines import BaselineService
from core.pricing.scorer import Scorer
from core.resilience import breaker_factory
from core.settings import Settings
from core.status import StatusService
from core.watches import Watch, WatchService
from sandbox import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    SandboxMarketplace,
    build_catalog,
)

__all__ = ["IngestStatus", "Services", "demo", "open_services", "run", "start_pipeline"]
log = logging.getLogger(__name__)
USER_AGENT = "spt (+https://github.com/spt-dev/spt)"
DEMO_CATALOG = 12000
# Woken or due delivery passes start at least this long after the last one ended: a burst
# of new alerts (each created in a transaction of its own) goes out in one or two passes,
# and the loop is never busier than the one-second poll it replaced.
DELIVERY_MIN_GAP_SECONDS = 1.0


@dataclass
class Services:
    """Everything commands and front ends use, built once over one pool and one session."""

    holder: SettingsHolder
    db: Database
    http: aiohttp.ClientSession
    watches: WatchService
    ebay: EbayClient
    scheduler: IngestScheduler
    extractor: Extractor
    baselines: BaselineService
    scorer: Scorer
    alerts: AlertService
    actions: AlertActions
    browser: ListingBrowser
    preview: WatchPreview
    health: HealthMonitor
    status_report: StatusService
    guild_settings: GuildSettingsService
    migrations_applied: list[str] = field(default_factory=list)
    # Discord's own session (its User-Agent, counted requests), for webhook alerts.
    discord_http: aiohttp.ClientSession | None = None

    async def status(self) -> IngestStatus:
        """Ingestion status (quota, pause, stretch, due watches)."""
        assert self.ebay.budget is not None
        return await ingest_status(self.db.pool, self.ebay.budget, utc_now())

    async def queue_status(self) -> dict[str, Any]:
        """Extraction queue counts and the latest parked jobs."""
        async with self.db.pool.acquire() as conn:
            counts = await extraction_repo.counts(conn)
            parked = await extraction_repo.parked(conn)
            extracted, keys = await extraction_repo.extracted_count(conn)
        return {**counts, "extracted": extracted, "product_keys": keys, "parked_jobs": parked}

    async def requeue(self, component_type: str | None, low_confidence: bool) -> int:
        """Queue listings for extraction again."""
        async with self.db.pool.acquire() as conn:
            return await extraction_repo.requeue(
                conn, "manual", component_type, low_confidence_only=low_confidence
            )

    def worker(self, name: str = "main") -> ExtractionWorker:
        """An extraction worker over this process's extractor."""
        settings = lambda: self.holder.current  # noqa: E731
        return ExtractionWorker(self.db.pool, self.extractor, settings, utc_now,
                                f"{process_id()}/{name}", self.score_listings)  # fmt: skip

    async def score_listings(self, listing_ids: list[int]) -> int:
        """Score freshly extracted listings against their current baselines."""
        return await self.scorer.rescore(listing_ids=listing_ids)


@asynccontextmanager
async def open_services(holder: SettingsHolder) -> AsyncIterator[Services]:
    """Open the database (embedded when no URL), migrate, and build every service."""
    settings = lambda: holder.current  # noqa: E731 - read at call time so reloads apply
    async with open_database(holder.current.database) as db:
        applied = await migrate(db.pool)
        if applied:
            log.info("database migrated: %s", ", ".join(m.label for m in applied))
        async with (
            aiohttp.ClientSession(headers={"User-Agent": USER_AGENT}) as http,
            AsyncExitStack() as stack,
        ):
            discord_http = None
            if holder.current.discord.webhook_url is not None:
                from bot.discord_delivery import discord_session  # loads discord.py

                discord_http = await stack.enter_async_context(discord_session())
            breakers = breaker_factory()
            ebay = build_ebay_client(http, settings, db.pool, breakers)
            ingestor = Ingestor(db.pool, ebay, settings, utc_now)
            assert ebay.budget is not None
            extractor = Extractor(settings, http, breakers)
            alerts = AlertService(db.pool, settings, utc_now)
            scorer = Scorer(db.pool, settings, utc_now, alerts.evaluate)
            watches = WatchService(db.pool, settings)
            guild_settings = GuildSettingsService(db.pool, utc_now)
            health = HealthMonitor(utc_now)
            initialise_series()
            # "No new listings for a while" counts from the start, not from 1970.
            LAST_NEW_LISTING.set_to_current_time()
            try:
                services = Services(
                    holder=holder,
                    db=db,
                    http=http,
                    watches=watches,
                    ebay=ebay,
                    scheduler=IngestScheduler(db.pool, ingestor, ebay, ebay.budget, settings),
                    extractor=extractor,
                    baselines=BaselineService(
                        db.pool, settings, utc_now, lambda keys: scorer.rescore(keys=keys)
                    ),
                    scorer=scorer,
                    alerts=alerts,
                    actions=AlertActions(db.pool, utc_now),
                    browser=ListingBrowser(db.pool, settings, utc_now),
                    preview=WatchPreview(db.pool, ebay, extractor, settings, utc_now),
                    health=health,
                    status_report=StatusService(
                        db.pool,
                        ebay.budget,
                        health,
                        watches,
                        utc_now,
                        insights=ebay.insights_tokens,
                        settings=settings,
                        guild_settings=guild_settings,
                    ),
                    guild_settings=guild_settings,
                    migrations_applied=[m.label for m in applied],
                    discord_http=discord_http,
                )
                configure_health(services)
                yield services
            finally:
                await extractor.close()


@asynccontextmanager
async def extractor_session(holder: SettingsHolder) -> AsyncIterator[Extractor]:
    """An Extractor with its own HTTP session, for commands that need no database."""
    async with aiohttp.ClientSession(headers={"User-Agent": USER_AGENT}) as http:
        extractor = Extractor(lambda: holder.current, http, breaker_factory())
        try:
            yield extractor
        finally:
            await extractor.close()


def _on_reload(old: Settings, new: Settings) -> None:
    if old.logging.format != new.logging.format:
        setup_logging(new.logging)
    elif old.logging.level != new.logging.level:
        apply_level(new.logging)


def configure_health(services: Services) -> None:
    """One health check per external service this configuration uses (Discord's bot check
    is added by the bot), and the gauges saying which LLM and alert destination are in use.
    Safe to call again after the configuration changed (the demo pins rules)."""
    monitor, settings = services.health, services.holder.current
    pool = services.db.pool

    async def postgres() -> object:
        return await pool.fetchval("SELECT 1")

    monitor.register("postgres", postgres)
    if credentials(settings) is not None:
        # The token endpoint: a cached token answers at once; an expired one is renewed.
        monitor.register("ebay", services.ebay.tokens.get)
    llm = services.extractor.llm_name()
    for backend in LLM_BACKENDS:
        if backend != llm:
            monitor.unregister(backend)
        LLM_BACKEND.labels(backend).set(1 if backend == llm else 0)
    LLM_BACKEND.labels("none").set(1 if llm is None else 0)
    if llm is not None:
        monitor.register(llm, services.extractor.llm_reachable)
    target = alert_destination(settings)
    for name in ("discord", "webhook", "console"):
        ALERT_DESTINATION.labels(name).set(1 if name == target else 0)
    if target == "webhook" and services.discord_http is not None:
        from bot.discord_delivery import Webhook

        webhook = Webhook(services.discord_http, lambda: services.holder.current)
        monitor.register("discord", webhook.reachable)
    elif target == "console":

        async def console() -> bool:
            return not sys.stdout.closed

        monitor.register("console", console)


def start_pipeline(
    services: Services,
    supervisor: Supervisor,
    discord_check: Check | None = None,
    channels: ChannelPort | None = None,
) -> None:
    """Start every loop of the pipeline under `supervisor` (same event loop as the caller).

    `channels` is the bot's way into Discord channels; without it channel alerts wait.
    """
    holder = services.holder
    settings = lambda: holder.current  # noqa: E731
    path = holder.loaded.config_path
    if path is not None:
        supervisor.spawn("config-watch", lambda stop: watch_config(holder, path, stop))
    if credentials(holder.current) is None:
        log.warning("no eBay credentials (EBAY_CLIENT_ID / EBAY_CLIENT_SECRET): ingestion is off")
    else:
        supervisor.spawn("ingest", services.scheduler.run_forever)
    supervisor.spawn("baselines", services.baselines.run_forever)
    supervisor.spawn(
        "extract",
        lambda stop: run_workers(services.db.pool, services.extractor, settings, utc_now,
                                 process_id(), stop, on_stored=services.score_listings),
    )  # fmt: skip
    deliveries, kinds = _deliveries(services, channels)
    # New and rescheduled outbox messages wake the senders (a NOTIFY at commit, on a
    # connection of its own); retries and expired leases run them when due; the poll is
    # the fallback, e.g. while that connection is being re-established.
    listener = Listener(services.db.dsn, outbox_repo.OUTBOX_CHANNEL, kinds)
    supervisor.spawn("outbox-listener", listener.run)

    async def deliver() -> None:
        for delivery in deliveries:
            await delivery.deliver_pending()

    async def next_due() -> float | None:
        async with services.db.pool.acquire() as conn:
            due = await outbox_repo.next_due(conn, kinds)
        return None if due is None else (due - utc_now()).total_seconds()

    supervisor.every(
        "delivery", lambda: holder.current.alerts.delivery_poll_seconds, deliver,
        wake=listener.wake, next_due=next_due, min_gap=DELIVERY_MIN_GAP_SECONDS,
    )  # fmt: skip
    if discord_check is not None:
        services.health.register("discord", discord_check)
    supervisor.every(
        "health", lambda: float(holder.current.schedule.health_check_seconds),
        services.health.check_all,
    )  # fmt: skip


def _deliveries(
    services: Services, channels: ChannelPort | None
) -> tuple[list[Delivery], list[str]]:
    """This process's senders, and the outbox destination kinds they send."""
    settings = lambda: services.holder.current  # noqa: E731
    pool, breakers = services.db.pool, breaker_factory()  # one Discord circuit per process
    deliveries: list[Delivery] = [ConsoleDelivery(pool, utc_now, f"{process_id()}/console")]
    kinds = ["console"]
    if services.discord_http is not None:
        from bot.discord_delivery import Webhook

        webhook = Webhook(services.discord_http, settings)
        deliveries.append(WebhookDelivery(pool, webhook, settings, breakers, utc_now,
                                          f"{process_id()}/webhook"))  # fmt: skip
        kinds.append("webhook")
    if channels is not None:
        deliveries.append(ChannelDelivery(pool, channels, settings, breakers, utc_now,
                                          f"{process_id()}/channels"))  # fmt: skip
        kinds.append("discord_channel")
    return deliveries, kinds


async def _serve(services: Services, stop: asyncio.Event) -> None:
    """Headless: the pipeline's loops until `stop` is set, then a clean shutdown."""
    supervisor = Supervisor()
    start_pipeline(services, supervisor)
    await stop.wait()
    log.info("shutting down")
    await supervisor.stop()


@asynccontextmanager
async def side_server(services: Services, *, enabled: bool = True) -> AsyncIterator[None]:
    """The side server (/metrics, /healthz, /readyz) for as long as the block runs."""
    if not enabled or not services.holder.current.sidecar.enabled:
        yield
        return
    from bot.sidecar import Sidecar

    sidecar = Sidecar(services)
    await sidecar.start()
    try:
        yield
    finally:
        await sidecar.stop()


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def run(holder: SettingsHolder) -> None:
    """`spt run`: start everything and serve until SIGINT/SIGTERM.

    The pipeline's loops run under one supervisor either way. With `discord.token` the
    Discord bot runs beside them in the same event loop (and connects again if it loses
    Discord, while the pipeline goes on); without one spt runs headless (webhook or
    console alerts) and says so.
    """
    stop = _stop_on_signals()
    holder.subscribe(_on_reload)
    async with open_services(holder) as services, side_server(services):
        settings = holder.current
        where = "embedded" if services.db.embedded else "from database.url"
        if settings.discord.token is None:
            log.info("spt running headless (no discord.token set); database %s", where)
            await _serve(services, stop)
            return
        log.info("spt running with Discord; database %s", where)
        from bot.client import run_bot  # discord.py loads only when a bot runs

        await run_bot(services, stop)


@dataclass(frozen=True)
class DemoResult:
    """What `spt demo` did, for the human table and the `--json` summary."""

    embedded: bool
    migrations_applied: list[str]
    created: list[Watch]
    existing: list[Watch]
    tick: TickResult
    sandbox_url: str
    listings: int
    extracted: int
    product_keys: int
    extraction_mode: str
    baselines: int
    scored: int
    top: list[dict[str, Any]]
    alerts: int
    delivered: int

    @property
    def alerts_per_1000(self) -> float:
        """Alerts created per 1,000 listings read in this pass, to one decimal: how rare the
        demo's alerts are (a realistic market has a handful of clear deals)."""
        if self.tick.ingested == 0:
            return 0.0
        return round(self.alerts / self.tick.ingested * 1000, 1)

    def summary(self) -> dict[str, Any]:
        """The one-object JSON summary `spt demo --json` prints last."""
        return {
            "database": "embedded" if self.embedded else "url",
            "marketplace": self.sandbox_url,
            "migrations_applied": self.migrations_applied,
            "watches_created": len(self.created),
            "watches_existing": len(self.existing),
            "watches": [
                {"id": w.id, "name": w.name, "type": w.component_type.value,
                 "marketplace": w.marketplace.value}
                for w in (*self.created, *self.existing)
            ],
            "watch_runs": len(self.tick.runs),
            "ingested": self.listings,
            "seen_this_pass": self.tick.ingested,
            "new_listings": self.tick.new,
            "run_errors": [r.error for r in self.tick.runs if r.error],
            "extraction": self.extraction_mode,
            "extracted": self.extracted,
            "product_keys": self.product_keys,
            "baselines": self.baselines,
            "scored": self.scored,
            "alerts": self.alerts,
            "alerts_per_1000_listings": self.alerts_per_1000,
            "delivered": self.delivered,
        }  # fmt: skip


@asynccontextmanager
async def sandbox_for(holder: SettingsHolder) -> AsyncIterator[SandboxMarketplace]:
    """Start the sandbox marketplace on loopback and point the eBay client at it."""
    # Big enough that the demo's product keys get mature baselines (10+ samples).
    sandbox = SandboxMarketplace(build_catalog(size=DEMO_CATALOG, now=datetime.now(UTC)))
    url = await sandbox.start()
    holder.pin(
        {
            "ebay": {
                "api_base_url": url,
                "client_id": DEFAULT_CLIENT_ID,
                "client_secret": DEFAULT_CLIENT_SECRET,
            }
        }
    )
    log.info("sandbox marketplace on %s", url)
    try:
        yield sandbox
    finally:
        await sandbox.stop()


async def demo(
    holder: SettingsHolder, once: bool, report: Callable[[DemoResult], None] | None = None
) -> DemoResult:
    """`spt demo`: sandbox marketplace, embedded database, example watches, the pipeline.

    With `once`, one pass over every due watch, then exit; otherwise keep running until
    SIGINT/SIGTERM.
    """
    async with (
        sandbox_for(holder) as sandbox,
        open_services(holder) as services,
        side_server(services, enabled=not once),
    ):
        if (
            holder.current.extract.backend != "rules"
            and not await services.extractor.llm_reachable()
        ):
            # The demo is offline: without a reachable LLM, rules read every title.
            holder.pin({"extract": {"backend": "rules"}})
            configure_health(services)  # no LLM to check or to report down
        created, existing = await seed_examples(services.watches)
        async with services.db.pool.acquire() as conn:
            alerts_before = int(await conn.fetchval("SELECT count(*) FROM alerts"))
        await services.scheduler.sync_quota()
        tick = await services.scheduler.tick()
        await services.worker("demo").drain()
        queue = await services.queue_status()
        refreshed = await services.baselines.refresh()  # rescores every listing too
        async with services.db.pool.acquire() as conn:
            top = await scores_repo.top(conn, 5)
            scored = int(await conn.fetchval("SELECT count(*) FROM scores WHERE is_current"))
        delivered = await ConsoleDelivery(services.db.pool, utc_now, "demo").deliver_pending(
            limit=10_000
        )
        async with services.db.pool.acquire() as conn:
            new_alerts = int(await conn.fetchval("SELECT count(*) FROM alerts")) - alerts_before
        async with services.db.pool.acquire() as conn:
            listings = await listing_repo.count(conn)
        result = DemoResult(
            services.db.embedded,
            services.migrations_applied,
            created,
            existing,
            tick,
            sandbox.base_url or "",
            listings,
            queue["extracted"],
            queue["product_keys"],
            holder.current.extract.backend,
            refreshed.refreshed,
            scored,
            top,
            new_alerts,
            delivered,
        )
        if report is not None:
            report(result)
        if not once:
            await _serve(services, _stop_on_signals())
        return result
