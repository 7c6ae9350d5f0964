"""When a process's delivery loop should run: at once when an outbox message it sends is
committed or rescheduled, when the next retry or expired lease falls due, and otherwise
at the slow poll (`alerts.delivery_poll_seconds`, the fallback while the listening
connection is being re-established)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from core.clock import Clock
from core.db import alerts as outbox_repo
from core.db.notify import Listener
from core.db.pool import Database


class OutboxWakeup:
    """A LISTEN on a connection of its own for `kinds` (a NOTIFY comes at commit), and the
    next due time read from the outbox."""

    def __init__(self, database: Database, kinds: Sequence[str], clock: Clock) -> None:
        self._pool = database.pool
        self._kinds = list(kinds)
        self._clock = clock
        self._listener = Listener(database.dsn, outbox_repo.OUTBOX_CHANNEL, self._kinds)

    @property
    def wake(self) -> asyncio.Event:
        """Set when a message of these kinds was committed or rescheduled."""
        return self._listener.wake

    async def run(self, stop: asyncio.Event) -> None:
        """Hold the listening connection until `stop` is set (a supervisor loop)."""
        await self._listener.run(stop)

    async def next_due(self) -> float | None:
        """Seconds until the earliest retry or lease expiry of these kinds (None: none)."""
        async with self._pool.acquire() as conn:
            due = await outbox_repo.next_due(conn, self._kinds)
        return None if due is None else (due - self._clock()).total_seconds()
