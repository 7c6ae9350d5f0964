"""This process's row in `processes`, kept fresh while the pipeline runs, so any process
(the CLI, the dashboard, another bot) can tell whether ingestion is running anywhere."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.clock import Clock
from core.db import processes as repo
from core.db.pool import Pool
from core.jobs.loop import repeat

BEAT_SECONDS = 15.0
# A process not seen for this long is taken for gone (three beats missed, e.g. a crash).
STALE_AFTER = timedelta(seconds=3 * BEAT_SECONDS)


@dataclass(frozen=True)
class Running:
    """One process running the pipeline."""

    process_id: str
    roles: list[str]
    started_at: datetime
    seen_at: datetime


class Presence:
    """Writes this process's row every `BEAT_SECONDS` until stopped, then deletes it."""

    def __init__(
        self,
        pool: Pool,
        process_id: str,
        roles: Callable[[], Sequence[str]],
        clock: Clock,
        beat_seconds: float = BEAT_SECONDS,
    ) -> None:
        self._pool = pool
        self._id = process_id
        self._roles = roles
        self._clock = clock
        self._beat = beat_seconds
        self._started = clock()

    async def run(self, stop: asyncio.Event) -> None:
        """A supervisor loop: beat until `stop` (a failed beat is retried with back-off, as
        every loop's step is), then leave."""

        async def beat() -> None:
            async with self._pool.acquire() as conn:
                await repo.beat(conn, self._id, self._roles(), self._started, self._clock())

        try:
            await repeat("presence", beat, lambda: self._beat, stop, self._clock,
                         what="presence beat", record_success=False)  # fmt: skip
        finally:
            # Best effort: a row that cannot be deleted (the database is gone) ages out.
            with contextlib.suppress(Exception):
                async with self._pool.acquire() as conn:
                    await repo.leave(conn, self._id)


async def running(pool: Pool, now: datetime) -> list[Running]:
    """The processes running the pipeline on this database now."""
    async with pool.acquire() as conn:
        rows = await repo.alive(conn, now - STALE_AFTER)
    return [Running(**row) for row in rows]
