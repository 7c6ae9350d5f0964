"""Extraction workers: drain the PostgreSQL job queue through the Extractor.

Each worker claims a batch under a lease, extracts every title, and stores the results
and closes the jobs in one statement. Failures retry with exponential back-off and park
after `extract.max_attempts`; expired leases (a crashed worker) are reclaimed; listings
kept on rules because the LLM was down are queued again once it answers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from core.clock import Clock
from core.db import extraction as repo
from core.db.extraction import StoredExtraction
from core.db.pool import Pool
from core.extract.llm import ExtractionFailedError
from core.extract.service import Extractor, Outcome
from core.jobs.loop import repeat
from core.models import Marketplace
from core.observability.metrics import (
    EXTRACTION_FAILURES,
    EXTRACTION_PARKED,
    EXTRACTION_QUEUE_DEPTH,
)
from core.resilience import ServiceError
from core.settings import Settings

log = logging.getLogger(__name__)

BATCH = 50
RETRY_BASE_SECONDS = 30.0
RETRY_MAX_SECONDS = 3600.0


def _stored(job_id: int, outcome: Outcome) -> StoredExtraction:
    e = outcome.extraction
    return StoredExtraction(
        job_id=job_id,
        component_type=e.component_type.value,
        attributes=e.attributes,
        condition=e.condition.value,
        quantity=e.quantity,
        confidence=round(e.confidence, 4),
        method=outcome.method,
        backend=outcome.backend,
        model=outcome.model,
        low_confidence=outcome.low_confidence,
        llm_pending=outcome.llm_pending,
        product_key=outcome.product_key,
        tokens_in=outcome.tokens_in,
        tokens_out=outcome.tokens_out,
        duration_ms=int(outcome.seconds * 1000),
        note=outcome.note,
    )


def _specifics(raw: Any) -> dict[str, str] | None:
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    return None


@dataclass(frozen=True)
class BatchResult:
    """What one claimed batch came to."""

    claimed: int = 0
    stored: int = 0
    retried: int = 0
    parked: int = 0


class ExtractionWorker:
    """Claims extraction jobs and runs them; many may run in many processes."""

    def __init__(
        self,
        pool: Pool,
        extractor: Extractor,
        settings: Callable[[], Settings],
        clock: Clock,
        worker_id: str,
        on_stored: Callable[[list[int]], Awaitable[Any]] | None = None,
    ) -> None:
        self._pool = pool
        self._extractor = extractor
        self._settings = settings
        self._clock = clock
        self.worker_id = worker_id
        self._on_stored = on_stored  # e.g. score the listings just extracted

    async def run_batch(self, limit: int = BATCH) -> BatchResult:
        """Claim up to `limit` jobs, extract them, store what succeeded."""
        config = self._settings().extract
        async with self._pool.acquire() as conn:
            jobs = await repo.claim(
                conn, self.worker_id, self._clock(), config.lease_seconds, limit
            )
        if not jobs:
            return BatchResult()
        results: list[StoredExtraction] = []
        retried = parked = 0
        for job in jobs:
            try:
                outcome = await self._extractor.extract(
                    job["title"],
                    Marketplace(job["marketplace"]),
                    job["category_ids"] or (),
                    _specifics(job["item_specifics"]),
                )
            except (ServiceError, ExtractionFailedError) as exc:
                reason = exc.reason if isinstance(exc, ExtractionFailedError) else str(exc)
                status = await self._fail(job["id"], reason)
                retried += status == "pending"
                parked += status == "parked"
                continue
            results.append(_stored(job["id"], outcome))
        async with self._pool.acquire() as conn:
            stored = await repo.complete(conn, self.worker_id, results, self._clock())
        if stored and self._on_stored is not None:
            await self._on_stored(stored)
        return BatchResult(len(jobs), len(stored), retried, parked)

    async def _fail(self, job_id: int, reason: str) -> str | None:
        EXTRACTION_FAILURES.inc()
        config = self._settings().extract
        async with self._pool.acquire() as conn:
            status = await repo.fail(conn, job_id, self.worker_id, reason, self._clock(),
                                     config.max_attempts, RETRY_BASE_SECONDS,
                                     RETRY_MAX_SECONDS)  # fmt: skip
        log.warning("extraction job %d failed (%s): %s", job_id, status, reason,
                    extra={"job": "extract"})  # fmt: skip
        return status

    async def drain(self) -> int:
        """Run batches until no job is ready; returns how many listings were stored."""
        total = 0
        while True:
            batch = await self.run_batch()
            if batch.claimed == 0:
                return total
            total += batch.stored

    async def release(self) -> None:
        """Give back jobs this worker holds (clean shutdown)."""
        async with self._pool.acquire() as conn:
            await repo.release(conn, self.worker_id, self._clock())


class ExtractionJobs:
    """The queue's housekeeping: lease reclaim, gauges, re-queue when the LLM is back."""

    def __init__(
        self, pool: Pool, extractor: Extractor, settings: Callable[[], Settings], clock: Clock
    ) -> None:
        self._pool = pool
        self._extractor = extractor
        self._settings = settings
        self._clock = clock

    async def housekeeping(self) -> dict[str, int]:
        """Reclaim expired leases, publish queue gauges, re-queue waiting rules results."""
        config = self._settings().extract
        async with self._pool.acquire() as conn:
            reclaimed = await repo.reclaim_expired(conn, self._clock(), config.max_attempts)
            counts = await repo.counts(conn)
        if reclaimed:
            log.warning("reclaimed %d extraction job(s) from expired leases", reclaimed)
        EXTRACTION_QUEUE_DEPTH.set(counts["pending"])
        EXTRACTION_PARKED.set(counts["parked"])
        requeued = 0
        if self._extractor.llm_name() is not None and await self._extractor.llm_reachable():
            async with self._pool.acquire() as conn:
                requeued = await repo.requeue(conn, "llm_retry", llm_pending_only=True)
            if requeued:
                log.info("the LLM answers again: re-queued %d listing(s) kept on rules", requeued)
        return {"reclaimed": reclaimed, "requeued": requeued, **counts}


async def run_workers(
    pool: Pool,
    extractor: Extractor,
    settings: Callable[[], Settings],
    clock: Clock,
    worker_prefix: str,
    stop: asyncio.Event,
    idle_seconds: float = 0.5,
    on_stored: Callable[[list[int]], Awaitable[Any]] | None = None,
) -> None:
    """`extract.workers` workers plus housekeeping, until `stop`; errors never end the loop."""
    jobs = ExtractionJobs(pool, extractor, settings, clock)

    async def worker(index: int) -> None:
        me = ExtractionWorker(
            pool, extractor, settings, clock, f"{worker_prefix}/w{index}", on_stored
        )

        async def step() -> bool:
            # An empty queue read successfully is a success too: the loop is healthy.
            return (await me.run_batch()).claimed > 0  # more may be waiting: no pause

        try:
            await repeat("extract", step, lambda: idle_seconds, stop, clock,
                         what=f"extraction worker {index}")  # fmt: skip
        finally:
            await me.release()

    async def housekeeper() -> None:
        async def step() -> None:
            await jobs.housekeeping()

        every = lambda: settings().schedule.health_check_seconds  # noqa: E731
        await repeat("extract_housekeeping", step, every, stop, clock,
                     what="extraction housekeeping", max_factor=1,
                     record_success=False)  # fmt: skip

    await asyncio.gather(*(worker(i) for i in range(settings().extract.workers)), housekeeper())
