"""Discord channel delivery over the REST API: one message per alert, exactly once.

Each message carries a nonce derived from the alert's idempotency key with
`enforce_nonce`, so when a sender crashes after Discord accepted a message but before
recording it, the resend returns the existing message instead of posting a second one.
Limits, inert text, `allowed_mentions`, 429 and retries are as for webhooks. Alert
messages carry the persistent buttons the bot answers (Dismiss, Mute watch 24h, Not a
deal, and a link to eBay); a digest carries "Dismiss all". A channel that is gone or
that the bot may not post in fails the message at once and flags its watches.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from typing import Any

from core.alerts.card import (
    AlertCard,
    alert_components,
    digest_components,
    digest_embed,
    embed,
)
from core.alerts.discord_sender import (
    NO_MENTIONS,
    DestinationRefusedError,
    DiscordSender,
    Outcome,
)
from core.observability.metrics import ALERTS
from core.resilience import check_status, json_object
from core.settings import Settings

# Discord's JSON error codes for a destination that cannot take a message.
_REFUSALS = {
    10003: "channel {channel} no longer exists (Discord: Unknown Channel)",
    50001: "spt cannot see channel {channel} (Discord: Missing Access); "
    "give the bot View Channel there",
    50013: "spt may not post in channel {channel} (Discord: Missing Permissions); "
    "it needs Send Messages and Embed Links there",
}


def nonce(idempotency_key: str) -> str:
    """Discord nonces are at most 25 characters; the key's hash fits and stays stable."""
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:25]


def refusal(channel: str, status: int, body: str) -> str | None:
    """Why Discord refused a channel itself (gone, hidden, no permission), or None."""
    if status not in (403, 404):
        return None
    try:
        data = json.loads(body)
    except ValueError:
        data = {}
    code = data.get("code") if isinstance(data, dict) else None
    template = _REFUSALS.get(code) if isinstance(code, int) else None
    if template is not None:
        return template.format(channel=channel)
    message = data.get("message") if isinstance(data, dict) else None
    return f"Discord refused channel {channel}: HTTP {status} {message or ''}".strip()


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
        delivered = failed = 0
        for channel, group in live.items():
            sends: list[tuple[list[dict[str, Any]], dict[str, Any], str]]
            if len(group) > settings.alerts.digest_threshold:
                # A burst becomes one digest message; its nonce covers exactly these alerts.
                keys = "|".join(sorted(r["idempotency_key"] for r in group))
                cards = [AlertCard.from_row(r) for r in group]
                message = {
                    "embeds": [digest_embed(cards, len(cards))],
                    "components": digest_components(),
                }
                sends = [(group, message, keys)]
                ALERTS.labels("digested").inc(len(group))
            else:
                sends = []
                for row in group:
                    card = AlertCard.from_row(row)
                    message = {"embeds": [embed(card)], "components": alert_components(card)}
                    sends.append(([row], message, row["idempotency_key"]))
            for members, content, key in sends:
                result = await self._post(settings, channel, content, key)
                settled = await self._settle(members, result)
                delivered += settled
                failed += len(members) - settled
        ALERTS.labels("delivered").inc(delivered)
        ALERTS.labels("failed").inc(failed)
        return delivered

    async def _post(
        self, settings: Settings, channel: str, content: dict[str, Any], key: str
    ) -> Outcome:
        assert settings.discord.token is not None
        url = f"{settings.discord.api_base_url.rstrip('/')}/channels/{channel}/messages"
        headers = {"Authorization": f"Bot {settings.discord.token.get_secret_value()}"}
        payload = {
            **content,
            "allowed_mentions": NO_MENTIONS,
            "nonce": nonce(key),
            "enforce_nonce": True,
        }

        async def attempt() -> dict[str, Any]:
            async with self._session.post(url, json=payload, headers=headers) as response:
                body = await response.text()
                problem = refusal(channel, response.status, body)
                if problem is not None:
                    raise DestinationRefusedError("discord", problem, response.status)
                check_status("discord", response.status, response.headers, body)
                return json_object("discord", body, "create message response")

        return await self._send(attempt, "channel delivery")
