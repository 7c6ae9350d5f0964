"""Discord channel delivery over the REST API: one message per alert, exactly once.

Each message carries a nonce derived from the alert's idempotency key with
`enforce_nonce`, so when a sender crashes after Discord accepted a message but before
recording it, the resend returns the existing message instead of posting a second one.
Limits, inert text, `allowed_mentions`, 429 and retries are as for webhooks.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import Any

from core.alerts.card import AlertCard, digest_embed, embed
from core.alerts.discord_sender import NO_MENTIONS, DiscordSender, Outcome
from core.observability.metrics import ALERTS
from core.resilience import check_status, json_object
from core.settings import Settings


def nonce(idempotency_key: str) -> str:
    """Discord nonces are at most 25 characters; the key's hash fits and stays stable."""
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:25]


class ChannelDelivery(DiscordSender):
    """Delivers the `discord_channel` outbox with the bot token."""

    async def deliver_pending(self, limit: int = 100) -> int:
        """Post every ready channel alert; returns how many were delivered."""
        settings = self._settings()
        if settings.discord.token is None:
            return 0
        live: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in await self._claim("discord_channel", limit):
            live[row["destination"]].append(row)
        delivered = 0
        for channel, group in live.items():
            if len(group) > settings.alerts.digest_threshold:
                # A burst becomes one digest message; its nonce covers exactly these alerts.
                keys = "|".join(sorted(r["idempotency_key"] for r in group))
                cards = [AlertCard.from_row(r) for r in group]
                sends = [(group, [digest_embed(cards, len(cards))], keys)]
                ALERTS.labels("digested").inc(len(group))
            else:
                sends = [([r], [embed(AlertCard.from_row(r))], r["idempotency_key"]) for r in group]
            for members, embeds, key in sends:
                result = await self._post(settings, channel, embeds, key)
                delivered += await self._settle(members, result)
        ALERTS.labels("delivered").inc(delivered)
        return delivered

    async def _post(
        self, settings: Settings, channel: str, embeds: list[dict[str, Any]], key: str
    ) -> Outcome:
        assert settings.discord.token is not None
        url = f"{settings.discord.api_base_url.rstrip('/')}/channels/{channel}/messages"
        headers = {"Authorization": f"Bot {settings.discord.token.get_secret_value()}"}
        payload = {
            "embeds": embeds,
            "allowed_mentions": NO_MENTIONS,
            "nonce": nonce(key),
            "enforce_nonce": True,
        }

        async def attempt() -> dict[str, Any]:
            async with self._session.post(url, json=payload, headers=headers) as response:
                body = await response.text()
                check_status("discord", response.status, response.headers, body)
                return json_object("discord", body, "create message response")

        return await self._send(attempt, "channel delivery")
