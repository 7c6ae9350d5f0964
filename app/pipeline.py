"""The pipeline's loops, started under one supervisor in every mode (bot, headless, demo).

Ingestion, extraction, baselines, delivery and health checks are the application's; a
front end (the Discord bot) only lends its way into channels and its health check, so
losing the gateway never stops ingestion.
"""

from __future__ import annotations

import logging

from app.services import Services
from core.alerts.apprise import AppriseDelivery
from core.alerts.channel import ChannelDelivery
from core.alerts.console import ConsoleDelivery
from core.alerts.delivery import ChannelPort, Delivery
from core.alerts.wakeup import OutboxWakeup
from core.alerts.webhook import WebhookDelivery
from core.clock import utc_now
from core.config_reload import watch_config
from core.jobs.extract import run_workers
from core.jobs.ingest import process_id
from core.jobs.presence import Presence
from core.jobs.supervisor import Supervisor
from core.marketplace.wiring import credentials
from core.observability.health import Check
from core.resilience import breaker_factory

log = logging.getLogger(__name__)
# Woken or due delivery passes start at least this long after the last one ended: a burst
# of new alerts (each created in a transaction of its own) goes out in one or two passes,
# and the loop is never busier than the one-second poll it replaced.
DELIVERY_MIN_GAP_SECONDS = 1.0


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
    roles = ["discord"] if channels is not None else []
    if credentials(holder.current) is None:
        log.warning("no eBay credentials (EBAY_CLIENT_ID / EBAY_CLIENT_SECRET): ingestion is off")
    else:
        supervisor.spawn("ingest", services.scheduler.run_forever)
        roles.append("ingest")
    # Tells every other process (`spt status`, /status) that this one runs the pipeline.
    presence = Presence(services.db.pool, process_id(), lambda: roles, utc_now)
    supervisor.spawn("presence", presence.run)
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
    wakeup = OutboxWakeup(services.db, kinds, utc_now)
    supervisor.spawn("outbox-listener", wakeup.run)

    async def deliver() -> None:
        for delivery in deliveries:
            await delivery.deliver_pending()

    supervisor.every(
        "delivery", lambda: holder.current.alerts.delivery_poll_seconds, deliver,
        wake=wakeup.wake, next_due=wakeup.next_due, min_gap=DELIVERY_MIN_GAP_SECONDS,
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
    if services.webhook is not None:
        deliveries.append(WebhookDelivery(pool, services.webhook, settings, breakers, utc_now,
                                          f"{process_id()}/webhook"))  # fmt: skip
        kinds.append("webhook")
    if services.holder.current.alerts.apprise_urls:
        deliveries.append(AppriseDelivery(pool, settings, utc_now, f"{process_id()}/apprise"))
        kinds.append("apprise")
    if channels is not None:
        deliveries.append(ChannelDelivery(pool, channels, settings, breakers, utc_now,
                                          f"{process_id()}/channels"))  # fmt: skip
        kinds.append("discord_channel")
    return deliveries, kinds
