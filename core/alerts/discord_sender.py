"""What the Discord notifiers (webhook and channel) share: claiming, sending, settling.

Both claim their outbox messages under a lease (reclaiming a dead sender's first),
cancel dismissed or muted alerts, send through the `discord` resilience policy, and
record each outcome: delivered, or retried later (a 4xx fails at once, since Discord
would reject the same message again).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
from purgatory import AsyncCircuitBreakerFactory

from core.db import alerts as repo
from core.db.pool import Pool
from core.observability.metrics import DISCORD_REQUEST_DURATION, DISCORD_REQUESTS
from core.resilience import CallObserver, PermanentError, ServiceError, ServicePolicy
from core.settings import Settings

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
NO_MENTIONS: dict[str, list[str]] = {"parse": []}
RETRY_DELAY_SECONDS = 30.0


@dataclass(frozen=True)
class Outcome:
    """How one message went: delivered, retryable or failed, and what Discord said."""

    outcome: str
    error: str | None = None
    status: int | None = None
    message_id: int | None = None
    # Set when the destination itself refused (missing channel, no permission): the
    # watches behind the message are flagged with it.
    destination_problem: str | None = None


class DestinationRefusedError(PermanentError):
    """Discord refused the destination itself (e.g. the channel is gone or off-limits)."""


def discord_observer() -> CallObserver:
    """Records the seed Discord metrics for every attempt."""

    def on_attempt(status: str, seconds: float) -> None:
        DISCORD_REQUESTS.labels(status).inc()
        DISCORD_REQUEST_DURATION.observe(seconds)

    return CallObserver(on_attempt)


class DiscordSender:
    """Base of the Discord notifiers; subclasses decide what a message holds and where."""

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

    async def _claim(self, kind: str, limit: int) -> list[dict[str, Any]]:
        """Lease ready messages of this destination kind; cancel dismissed or muted ones."""
        live: list[dict[str, Any]] = []
        lease = self._settings().alerts.delivery_lease_seconds
        async with self._pool.acquire() as conn:
            await repo.reclaim_outbox(conn, self._clock())
            rows = await repo.claim_outbox(conn, self._worker, [kind], self._clock(), lease, limit)
            for row in rows:
                if row["alert_status"] in ("dismissed", "muted"):
                    await repo.record_attempt(conn, row["outbox_id"], self._worker, "cancelled",
                                              self._clock(), "dismissed or muted")  # fmt: skip
                else:
                    live.append(row)
        return live

    async def _send(self, attempt: Callable[[], Awaitable[Any]], what: str) -> Outcome:
        """Run one send through the policy; failures become an outcome, never an exception.

        `attempt` may return the created message (a JSON object) so its id is kept.
        """
        try:
            timeout = self._settings().discord.request_timeout_seconds
            result = await self._policy.call(attempt, attempt_timeout=timeout)
        except ServiceError as exc:
            log.warning("%s failed: %s", what, exc)
            retryable = exc.status is None or exc.status >= 429
            problem = str(exc).removeprefix("discord: ") if isinstance(
                exc, DestinationRefusedError) else None  # fmt: skip
            return Outcome("retryable" if retryable else "failed", str(exc), exc.status,
                           destination_problem=problem)  # fmt: skip
        message_id = result.get("id") if isinstance(result, dict) else None
        return Outcome("delivered", message_id=int(message_id) if message_id else None)

    async def _settle(self, members: list[dict[str, Any]], result: Outcome) -> int:
        """Record a message's outcome for each of its alerts; returns how many were delivered."""
        settings = self._settings()
        now = self._clock()
        watches = sorted({row["watch_id"] for row in members if row.get("watch_id")})
        async with self._pool.acquire() as conn:
            for row in members:
                if result.outcome == "delivered":
                    await repo.record_attempt(conn, row["outbox_id"], self._worker, "delivered",
                                              now, message_id=result.message_id)  # fmt: skip
                else:
                    attempts = (
                        1 if result.outcome == "failed" else settings.alerts.max_delivery_attempts
                    )
                    await repo.retry_later(conn, row["outbox_id"], self._worker, result.outcome,
                                           result.error or "", now, attempts,
                                           RETRY_DELAY_SECONDS, result.status)  # fmt: skip
            if result.outcome == "delivered":
                await repo.clear_delivery_problem(conn, watches)
            elif result.destination_problem is not None:
                await repo.flag_delivery_problem(conn, watches, result.destination_problem, now)
        return len(members) if result.outcome == "delivered" else 0
