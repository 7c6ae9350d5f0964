"""Discord webhook delivery: alerts as embeds, at most 10 per message, digests for bursts.

Every request goes through the `discord` resilience policy (429 `Retry-After` honoured,
5xx retried) and records `spt_discord_requests_total` / `_duration_seconds`. After a
message, `X-RateLimit-Remaining: 0` makes the next one wait for `X-RateLimit-Reset-After`.
`allowed_mentions` is always empty, so no listing can ping anyone. Only alerts whose
message was accepted are marked delivered; the rest go back to the outbox to retry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
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
from core.alerts.discord_sender import NO_MENTIONS, Clock, DiscordSender, Outcome
from core.db import alerts as repo
from core.db.pool import Pool
from core.observability.metrics import ALERTS
from core.resilience import check_status
from core.settings import Settings


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


class WebhookDelivery(DiscordSender):
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
        super().__init__(pool, session, settings, breakers, clock, worker)
        self._pause_until = 0.0

    async def deliver_pending(self, limit: int = 100) -> int:
        """Send every ready webhook alert; returns how many were delivered."""
        settings = self._settings()
        if settings.discord.webhook_url is None:
            return 0
        url = settings.discord.webhook_url.get_secret_value()
        live = await self._claim("webhook", limit)
        if not live:
            return 0
        window = timedelta(seconds=settings.alerts.digest_window_seconds)
        async with self._pool.acquire() as conn:
            recent = await repo.delivered_since(conn, "webhook", self._clock() - window)
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
            result = await self._post(url, payload)
            delivered += await self._settle([live[i] for i in group], result)
        ALERTS.labels("delivered").inc(delivered)
        ALERTS.labels("failed").inc(len(live) - delivered)
        return delivered

    async def _post(self, url: str, embeds: list[dict[str, Any]]) -> Outcome:
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

        return await self._send(attempt, "webhook delivery")
