"""Discord webhook delivery: alerts as embeds, at most 10 per message, digests for bursts.

Every request goes through the `discord` resilience policy (429 `Retry-After` honoured,
5xx retried) and records `spt_discord_requests_total` / `_duration_seconds`. After a
message, `X-RateLimit-Remaining: 0` makes the next one wait for `X-RateLimit-Reset-After`.
`allowed_mentions` is always empty, so no listing can ping anyone. Only alerts whose
message was accepted are marked delivered; the rest go back to the outbox to retry.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from purgatory import AsyncCircuitBreakerFactory

from core.alerts.card import (
    EMBED_TOTAL_MAX,
    EMBEDS_PER_MESSAGE,
    AlertCard,
    digest_embed,
    embed,
    embed_size,
)
from core.db import alerts as repo
from core.db.pool import Pool
from core.observability.metrics import ALERTS, DISCORD_REQUEST_DURATION, DISCORD_REQUESTS
from core.resilience import CallObserver, ServiceError, ServicePolicy, check_status
from core.settings import Settings

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
NO_MENTIONS: dict[str, list[str]] = {"parse": []}
RETRY_DELAY_SECONDS = 30.0


def discord_observer() -> CallObserver:
    """Records the seed Discord metrics for every attempt."""

    def on_attempt(status: str, seconds: float) -> None:
        DISCORD_REQUESTS.labels(status).inc()
        DISCORD_REQUEST_DURATION.observe(seconds)

    return CallObserver(on_attempt)


def batches(embeds: list[dict[str, Any]]) -> list[list[int]]:
    """Indexes of embeds grouped into messages: at most 10, at most 6,000 characters."""
    groups: list[list[int]] = []
    size = 0
    for index, item in enumerate(embeds):
        length = embed_size(item)
        if not groups or len(groups[-1]) == EMBEDS_PER_MESSAGE or size + length > EMBED_TOTAL_MAX:
            groups.append([])
            size = 0
        groups[-1].append(index)
        size += length
    return groups


class WebhookDelivery:
    """Delivers the `webhook` outbox to `discord.webhook_url`."""

    def __init__(
        self,
        pool: Pool,
        session: aiohttp.ClientSession,
        settings: Callable[[], Settings],
        breakers: AsyncCircuitBreakerFactory,
        clock: Clock,
        worker: str,
    ) -> None:
        self._pool = pool
        self._session = session
        self._settings = settings
        self._clock = clock
        self._worker = worker
        self._policy = ServicePolicy(
            "discord", lambda: settings().resilience, breakers, discord_observer()
        )
        self._pause_until = 0.0

    async def deliver_pending(self, limit: int = 100) -> int:
        """Send every ready webhook alert; returns how many were delivered."""
        settings = self._settings()
        if settings.discord.webhook_url is None:
            return 0
        url = settings.discord.webhook_url.get_secret_value()
        async with self._pool.acquire() as conn:
            await repo.reclaim_outbox(conn, self._clock())
            rows = await repo.claim_outbox(
                conn, self._worker, ["webhook"], self._clock(), 60, limit
            )
            live = []
            for row in rows:
                if row["alert_status"] in ("dismissed", "muted"):
                    await repo.record_attempt(conn, row["outbox_id"], self._worker, "cancelled",
                                              self._clock(), "dismissed or muted")  # fmt: skip
                else:
                    live.append(row)
            window = timedelta(seconds=settings.alerts.digest_window_seconds)
            recent = await repo.delivered_since(conn, "webhook", self._clock() - window)
        if not live:
            return 0
        cards = [AlertCard.from_row(r) for r in live]
        # A burst: more than the threshold due now, or arriving within the window.
        if recent + len(live) > settings.alerts.digest_threshold:
            groups = [list(range(len(live)))]
            payloads = [[digest_embed(cards, len(cards))]]
            ALERTS.labels("digested").inc(len(live))
        else:
            embeds = [embed(c) for c in cards]
            groups = batches(embeds)
            payloads = [[embeds[i] for i in group] for group in groups]
        delivered = 0
        for group, payload in zip(groups, payloads, strict=True):
            outcome, error, status = await self._send(url, payload)
            async with self._pool.acquire() as conn:
                for index in group:
                    outbox_id = live[index]["outbox_id"]
                    if outcome == "delivered":
                        await repo.record_attempt(conn, outbox_id, self._worker, "delivered",
                                                  self._clock())  # fmt: skip
                        delivered += 1
                    else:
                        # A rejected message (4xx) will be rejected again: fail it now.
                        attempts = (
                            1 if outcome == "failed" else settings.alerts.max_delivery_attempts
                        )
                        await repo.retry_later(
                            conn, outbox_id, self._worker, outcome, error or "", self._clock(),
                            attempts, RETRY_DELAY_SECONDS, status,
                        )  # fmt: skip
        ALERTS.labels("delivered").inc(delivered)
        ALERTS.labels("failed").inc(len(live) - delivered)
        return delivered

    async def _send(
        self, url: str, embeds: list[dict[str, Any]]
    ) -> tuple[str, str | None, int | None]:
        wait = self._pause_until - asyncio.get_running_loop().time()
        if wait > 0:
            await asyncio.sleep(wait)
        payload = {"embeds": embeds, "allowed_mentions": NO_MENTIONS}

        async def attempt() -> None:
            async with self._session.post(url, params={"wait": "true"}, json=payload) as response:
                body = await response.text()
                check_status("discord", response.status, response.headers, body)
                if response.headers.get("X-RateLimit-Remaining") == "0":
                    reset = float(response.headers.get("X-RateLimit-Reset-After", "0") or 0)
                    self._pause_until = asyncio.get_running_loop().time() + reset

        try:
            await self._policy.call(attempt, attempt_timeout=15)
        except ServiceError as exc:
            log.warning("webhook delivery failed: %s", exc)
            return (
                "retryable" if exc.status is None or exc.status >= 429 else "failed",
                str(exc),
                exc.status,
            )
        return "delivered", None, None
