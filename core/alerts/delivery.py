"""The delivery ports: what sends the outbox's messages, and what carries them to Discord.

`core/` decides what goes out, when, in which message, and records it; the adapters that
speak to Discord (through discord.py) live in `bot/` and implement `ChannelPort` and
`WebhookPort`. They raise `core.resilience` errors: `PermanentError` for a 4xx (its
`DestinationRefusedError` subclass, in `core.alerts.discord_sender`, when the channel
itself is gone or off-limits) and `RetryableError` for 429, 5xx and lost connections.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


class Delivery(Protocol):
    """A notifier over the outbox (console, Discord webhook, Discord channels).

    `deliver_pending` claims ready messages for its destination kind under a lease, sends
    them, and records every attempt; only accepted messages are marked delivered.
    """

    async def deliver_pending(self, limit: int = 100) -> int:
        """Send what is ready; returns how many alerts were delivered."""
        ...


@dataclass(frozen=True)
class OutgoingMessage:
    """One Discord message as Discord's JSON, with what identifies it across resends.

    `nonce` (channels only) lets Discord return the existing message for a repeat within a
    few minutes; `ref` is written in an embed footer so the message can be found later.
    """

    embeds: list[dict[str, Any]]
    components: list[dict[str, Any]]
    nonce: str | None
    ref: str


class ChannelPort(Protocol):
    """Posts to and reads back from Discord channels as the bot."""

    async def post(self, channel_id: int, message: OutgoingMessage) -> int:
        """Create the message (with `enforce_nonce`); returns its id."""
        ...

    async def find(self, channel_id: int, ref: str, since: datetime) -> int | None:
        """The id of the bot's message created since `since` whose footer names `ref`."""
        ...


class WebhookPort(Protocol):
    """Executes the configured Discord webhook."""

    async def post(self, message: OutgoingMessage) -> int | None:
        """Post the message (`wait=true`); returns its id when Discord gave one."""
        ...
