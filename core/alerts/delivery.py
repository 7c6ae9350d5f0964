"""The delivery port: anything that sends the outbox's ready messages somewhere."""

from __future__ import annotations

from typing import Protocol


class Delivery(Protocol):
    """A notifier over the outbox (console, Discord webhook; the bot adds channels).

    `deliver_pending` claims ready messages for its destination kind under a lease, sends
    them, and records every attempt; only accepted messages are marked delivered.
    """

    async def deliver_pending(self, limit: int = 100) -> int:
        """Send what is ready; returns how many alerts were delivered."""
        ...
