"""Composition root: builds the pool, HTTP sessions, clients and every service once.

Every resource is created here and passed down; nothing else opens connections. The
pipeline's loops (app/pipeline.py), `spt run` (app/run.py), the demo, the side server
and every CLI command start from `open_services`.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from app import integrations
from core.alerts.actions import AlertActions
from core.alerts.preview import WatchPreview
from core.alerts.service import AlertService
from core.alerts.service import destination_mode as alert_destination
from core.browse import ListingBrowser
from core.clock import utc_now
from core.config_reload import SettingsHolder
from core.extract.queue import ExtractionQueue
from core.extract.service import Extractor
from core.guild_settings import GuildSettingsService
from core.jobs.extract import ExtractionWorker
from core.jobs.ingest import Ingestor, IngestScheduler, process_id
from core.jobs.status import IngestStatus, ingest_status
from core.marketplace.client import EbayClient
from core.marketplace.wiring import build_ebay_client, credentials
from core.observability.health import HealthMonitor
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
from core.status import StatusService
from core.storage import Database, open_storage, ping
from core.watches import WatchService

__all__ = ["IngestStatus", "Services", "configure_health", "extractor_session", "open_services"]
log = logging.getLogger(__name__)
USER_AGENT = "spt (+https://github.com/spt-dev/spt)"


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
    queue: ExtractionQueue
    migrations_applied: list[str] = field(default_factory=list)
    # The configured Discord webhook (on Discord's own session), when alerts go there.
    webhook: integrations.Webhook | None = None

    async def status(self) -> IngestStatus:
        """Ingestion status (quota, pause, stretch, due watches)."""
        assert self.ebay.budget is not None
        return await ingest_status(self.db.pool, self.ebay.budget, utc_now())

    async def queue_status(self) -> dict[str, Any]:
        """Extraction queue counts and the latest parked jobs."""
        return await self.queue.status()

    async def requeue(self, component_type: str | None, low_confidence: bool) -> int:
        """Queue listings for extraction again."""
        return await self.queue.requeue(component_type, low_confidence)

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
    async with open_storage(holder.current.database) as storage:
        db = storage.database
        async with (
            aiohttp.ClientSession(headers={"User-Agent": USER_AGENT}) as http,
            AsyncExitStack() as stack,
        ):
            webhook: integrations.Webhook | None = None
            if holder.current.discord.webhook_url is not None:
                discord = integrations.discord()  # loads discord.py
                discord_http = await stack.enter_async_context(discord.session())
                webhook = discord.webhook(discord_http, settings)
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
                    queue=ExtractionQueue(db.pool),
                    migrations_applied=storage.migrations_applied,
                    webhook=webhook,
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


def configure_health(services: Services) -> None:
    """One health check per external service this configuration uses (Discord's bot check
    is added by the bot), and the gauges saying which LLM and alert destination are in use.
    Safe to call again after the configuration changed (the demo pins rules)."""
    monitor, settings = services.health, services.holder.current
    pool = services.db.pool

    async def postgres() -> object:
        return await ping(pool)

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
    for name in ("discord", "webhook", "apprise", "console"):
        ALERT_DESTINATION.labels(name).set(1 if name == target else 0)
    if settings.alerts.apprise_urls and target != "apprise":
        log.warning("alerts.apprise_urls is set, but alerts go to %s (alerts.delivery = %r): "
                    "set alerts.delivery = 'apprise' to send them there", target,
                    settings.alerts.delivery)  # fmt: skip
    if target == "webhook" and services.webhook is not None:
        monitor.register("discord", services.webhook.reachable)
    elif target == "console":

        async def console() -> bool:
            return not sys.stdout.closed

        monitor.register("console", console)
    # Apprise has no ping for most services (a test notification would be one more push
    # on someone's phone): its `spt_external_service_up` follows the real notifications.
