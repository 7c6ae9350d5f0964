"""The extraction queue as operators see it: counts, parked jobs, and queueing again."""

from __future__ import annotations

from typing import Any

from core.db import extraction as extraction_repo
from core.db.pool import Pool


class ExtractionQueue:
    """Read and refill the extraction queue (the workers drain it: core/jobs/extract.py)."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def status(self) -> dict[str, Any]:
        """Jobs by status, listings extracted, distinct product keys, latest parked jobs."""
        async with self._pool.acquire() as conn:
            counts = await extraction_repo.counts(conn)
            parked = await extraction_repo.parked(conn)
            extracted, keys = await extraction_repo.extracted_count(conn)
        return {**counts, "extracted": extracted, "product_keys": keys, "parked_jobs": parked}

    async def requeue(self, component_type: str | None, low_confidence: bool) -> int:
        """Queue listings for extraction again; returns how many were queued."""
        async with self._pool.acquire() as conn:
            return await extraction_repo.requeue(
                conn, "manual", component_type, low_confidence_only=low_confidence
            )
