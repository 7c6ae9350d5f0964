"""What the outbox senders share: claiming and holding (`OutboxSender`, which the Apprise
sender uses too), and for the Discord notifiers (webhook and channel) sending and settling.

Every sender claims its outbox messages under a lease (reclaiming a dead sender's first),
cancels dismissed or muted alerts, and renews the lease while a send lasts (a slow send
is never mistaken for a dead sender). The Discord notifiers send through the `discord`
resilience policy and record each outcome: delivered, or retried later (a 4xx fails at
once, since Discord would reject the same message again).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

from purgatory import AsyncCircuitBreakerFactory

from core.clock import Clock
from core.db import alerts as repo
from core.db.pool import Pool
from core.resilience import PermanentError, ServiceError, ServicePolicy
from core.settings import Settings

log = logging.getLogger(__name__)

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


PortT = TypeVar("PortT")


class OutboxSender:
    """Claims one destination kind's outbox messages and holds them while they are sent."""

    def __init__(
        self, pool: Pool, settings: Callable[[], Settings], clock: Clock, worker: str
    ) -> None:
        self._pool = pool
        self._settings = settings
        self._clock = clock
        self._worker = worker

    async def _claim(
        self, kind: str, limit: int, held_guilds: Sequence[int] = ()
    ) -> list[dict[str, Any]]:
        """Lease ready messages of this destination kind, but none of `held_guilds`' alerts;
        cancel dismissed or muted ones."""
        live: list[dict[str, Any]] = []
        lease = self._settings().alerts.delivery_lease_seconds
        async with self._pool.acquire() as conn:
            await repo.reclaim_outbox(conn, self._clock())
            rows = await repo.claim_outbox(conn, self._worker, [kind], self._clock(), lease,
                                           limit, held_guilds)  # fmt: skip
            for row in rows:
                if row["alert_status"] in ("dismissed", "muted"):
                    await repo.record_attempt(conn, row["outbox_id"], self._worker, "cancelled",
                                              self._clock(), "dismissed or muted")  # fmt: skip
                else:
                    live.append(row)
        return live

    async def _hold(self, outbox_ids: Sequence[int]) -> None:
        """Renew the lease every third of its length until cancelled."""
        while True:
            lease = self._settings().alerts.delivery_lease_seconds
            await asyncio.sleep(lease / 3)
            until = self._clock() + timedelta(seconds=lease)
            try:
                async with self._pool.acquire() as conn:
                    held = await repo.renew_outbox_lease(conn, outbox_ids, self._worker, until)
            except Exception as exc:  # the send goes on; the lease may lapse, never the alert
                log.warning("could not renew the outbox lease: %s", exc)
                continue
            if held < len(outbox_ids):
                log.warning("lost the lease on %d message(s) while sending them",
                            len(outbox_ids) - held)  # fmt: skip


class DiscordSender(OutboxSender, Generic[PortT]):
    """Base of the Discord notifiers; subclasses decide what a message holds and where.
    `port` carries the messages (core.alerts.delivery: ChannelPort or WebhookPort)."""

    def __init__(
        self,
        pool: Pool,
        port: PortT,
        settings: Callable[[], Settings],
        breakers: AsyncCircuitBreakerFactory,
        clock: Clock,
        worker: str,
    ) -> None:
        super().__init__(pool, settings, clock, worker)
        self._port = port
        # discord.py retries 429s and 5xx itself and its requests are counted by the HTTP
        # session's trace: the policy adds the timeout and the circuit breaker only.
        self._policy = ServicePolicy("discord", lambda: settings().resilience, breakers)

    async def _send(
        self, attempt: Callable[[], Awaitable[int | None]], what: str, outbox_ids: Sequence[int]
    ) -> Outcome:
        """Run one send through the policy, holding the lease on `outbox_ids` meanwhile;
        failures become an outcome, never an exception. `attempt` returns the message id."""
        renewer = asyncio.create_task(self._hold(outbox_ids), name="outbox-lease")
        try:
            timeout = self._settings().discord.request_timeout_seconds
            message_id = await self._policy.call(attempt, attempt_timeout=timeout, max_tries=1)
        except ServiceError as exc:
            log.warning("%s failed: %s", what, exc)
            retryable = exc.status is None or exc.status >= 429
            problem = str(exc).removeprefix("discord: ") if isinstance(
                exc, DestinationRefusedError) else None  # fmt: skip
            return Outcome("retryable" if retryable else "failed", str(exc), exc.status,
                           destination_problem=problem)  # fmt: skip
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
        return Outcome("delivered", message_id=message_id)

    async def _settle(self, members: list[dict[str, Any]], result: Outcome) -> int:
        """Record a message's outcome for each of its alerts; returns how many were delivered."""
        settings = self._settings()
        now = self._clock()
        watches = sorted({row["watch_id"] for row in members if row.get("watch_id")})
        # One transaction: a digest's alerts are recorded together or not at all, so a
        # crash midway never leaves part of a delivered digest to be sent again alone.
        async with self._pool.acquire() as conn, conn.transaction():
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
