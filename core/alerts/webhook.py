"""Discord webhook delivery: alerts as embeds, at most 10 per message, digests for bursts.

Messages go out through `WebhookPort` (discord.py's `Webhook`, which honours 429s and
the rate-limit headers and retries 5xx) under the `discord` policy's timeout and circuit
breaker. `allowed_mentions` is always empty, so no listing can ping anyone. Only alerts
whose message was accepted are marked delivered; the rest go back to the outbox to
retry. A webhook message has no nonce and cannot be looked up, so a sender that dies
after Discord accepted a message but before recording it sends it again: at-least-once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from core.alerts.card import (
    EMBED_TOTAL_MAX,
    EMBEDS_PER_MESSAGE,
    AlertCard,
    digest_embed,
    embed,
    embed_size,
)
from core.alerts.delivery import OutgoingMessage, WebhookPort
from core.alerts.discord_sender import DiscordSender
from core.db import alerts as repo
from core.observability.metrics import ALERTS


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


class WebhookDelivery(DiscordSender[WebhookPort]):
    """Delivers the `webhook` outbox to `discord.webhook_url` (`WebhookPort`)."""

    async def deliver_pending(self, limit: int = 100) -> int:
        """Send every ready webhook alert; returns how many were delivered."""
        settings = self._settings()
        if settings.discord.webhook_url is None:
            return 0
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
            members = [live[i] for i in group]
            message = OutgoingMessage(payload, [], None, "")

            async def post(message: OutgoingMessage = message) -> int | None:
                return await self._port.post(message)

            result = await self._send(post, "webhook delivery", [r["outbox_id"] for r in members])
            delivered += await self._settle(members, result)
        ALERTS.labels("delivered").inc(delivered)
        ALERTS.labels("failed").inc(len(live) - delivered)
        return delivered
