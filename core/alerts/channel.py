"""Discord channel delivery over the REST API: one message per alert, exactly once.

Each message carries a nonce derived from the alert's idempotency key with
`enforce_nonce`, so when a sender crashes after Discord accepted a message but before
recording it, the resend returns the existing message instead of posting a second one.
Limits, inert text, `allowed_mentions`, 429 and retries are as for webhooks.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any

import aiohttp
from purgatory import AsyncCircuitBreakerFactory

from core.alerts.card import AlertCard, digest_embed, embed
from core.alerts.webhook import NO_MENTIONS, RETRY_DELAY_SECONDS, discord_observer
from core.db import alerts as repo
from core.db.pool import Pool
from core.observability.metrics import ALERTS
from core.resilience import ServiceError, ServicePolicy, check_status, json_object
from core.settings import Settings

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def nonce(idempotency_key: str) -> str:
    """Discord nonces are at most 25 characters; the key's hash fits and stays stable."""
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:25]


class ChannelDelivery:
    """Delivers the `discord_channel` outbox with the bot token."""

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

    async def deliver_pending(self, limit: int = 100) -> int:
        """Post every ready channel alert; returns how many were delivered."""
        settings = self._settings()
        if settings.discord.token is None:
            return 0
        async with self._pool.acquire() as conn:
            await repo.reclaim_outbox(conn, self._clock())
            rows = await repo.claim_outbox(
                conn, self._worker, ["discord_channel"], self._clock(), 60, limit
            )
        live: dict[str, list[dict[str, Any]]] = defaultdict(list)
        async with self._pool.acquire() as conn:
            for row in rows:
                if row["alert_status"] in ("dismissed", "muted"):
                    await repo.record_attempt(conn, row["outbox_id"], self._worker, "cancelled",
                                              self._clock(), "dismissed or muted")  # fmt: skip
                else:
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
                outcome, error, status = await self._post(settings, channel, embeds, key)
                delivered += await self._settle(settings, members, outcome, error, status)
        ALERTS.labels("delivered").inc(delivered)
        return delivered

    async def _settle(
        self,
        settings: Settings,
        members: list[dict[str, Any]],
        outcome: str,
        error: str | None,
        status: int | None,
    ) -> int:
        async with self._pool.acquire() as conn:
            for row in members:
                if outcome == "delivered":
                    await repo.record_attempt(conn, row["outbox_id"], self._worker, "delivered",
                                              self._clock())  # fmt: skip
                else:
                    attempts = 1 if outcome == "failed" else settings.alerts.max_delivery_attempts
                    await repo.retry_later(conn, row["outbox_id"], self._worker, outcome,
                                           error or "", self._clock(), attempts,
                                           RETRY_DELAY_SECONDS, status)  # fmt: skip
        return len(members) if outcome == "delivered" else 0

    async def _post(
        self, settings: Settings, channel: str, embeds: list[dict[str, Any]], key: str
    ) -> tuple[str, str | None, int | None]:
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

        try:
            await self._policy.call(attempt, attempt_timeout=15)
        except ServiceError as exc:
            log.warning("channel delivery failed: %s", exc)
            retryable = exc.status is None or exc.status >= 429
            return ("retryable" if retryable else "failed"), str(exc), exc.status
        return "delivered", None, None
