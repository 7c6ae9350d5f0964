"""SQL for the extraction queue (`extraction_jobs`) and results (`extractions`).

Jobs are claimed with FOR UPDATE SKIP LOCKED under a lease, so workers in any number of
processes on any number of machines share the queue. A listing has at most one open job
and one current extraction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.db.pool import Connection


@dataclass(frozen=True)
class StoredExtraction:
    """One job's result, as the extractions table stores it."""

    job_id: int
    component_type: str
    attributes: dict[str, Any]
    condition: str
    quantity: int
    confidence: float
    method: str
    backend: str | None
    model: str | None
    low_confidence: bool
    llm_pending: bool
    product_key: str | None
    tokens_in: int | None
    tokens_out: int | None
    duration_ms: int
    note: str | None = None  # kept in the job's last_error (e.g. why the LLM was skipped)


async def claim(
    conn: Connection, worker: str, now: datetime, lease_seconds: float, limit: int
) -> list[dict[str, Any]]:
    """Lease up to `limit` ready jobs, oldest first, with what extraction needs of each listing."""
    rows = await conn.fetch(
        """
        WITH claimed AS (
            UPDATE extraction_jobs j SET
                status = 'running',
                leased_by = $1,
                lease_expires_at = $2::timestamptz + make_interval(secs => $3::float8),
                attempts = j.attempts + 1,
                updated_at = $2
            WHERE j.id IN (
                SELECT id FROM extraction_jobs
                WHERE status = 'pending' AND next_attempt_at <= $2
                ORDER BY next_attempt_at, id
                LIMIT $4
                FOR UPDATE SKIP LOCKED
            )
            RETURNING j.id, j.listing_id, j.attempts, j.reason
        )
        SELECT c.id, c.listing_id, c.attempts, c.reason, l.title, l.marketplace,
               l.category_ids, l.item_specifics
        FROM claimed c JOIN listings l ON l.id = c.listing_id
        ORDER BY c.id
        """,
        worker,
        now,
        float(lease_seconds),
        limit,
    )
    return [dict(r) for r in rows]


_COMPLETE = """
    WITH input AS (
        SELECT * FROM unnest(
            $3::bigint[], $4::text[], $5::jsonb[], $6::text[], $7::int[], $8::real[], $9::text[],
            $10::text[], $11::text[], $12::bool[], $13::bool[], $14::text[], $15::int[],
            $16::int[], $17::int[], $18::text[]
        ) AS t(job_id, component_type, attributes, condition, quantity, confidence, method,
               backend, model, low_confidence, llm_pending, product_key, tokens_in, tokens_out,
               duration_ms, note)
    ),
    done AS (
        UPDATE extraction_jobs j SET
            status = 'done', finished_at = $2, updated_at = $2, leased_by = NULL,
            lease_expires_at = NULL, last_error = i.note
        FROM input i
        WHERE j.id = i.job_id AND j.leased_by = $1 AND j.status = 'running'
        RETURNING j.id, j.listing_id
    )
    INSERT INTO extractions AS e (
        listing_id, component_type, attributes, condition, quantity, confidence, method,
        backend, model, low_confidence, llm_pending, product_key, tokens_in, tokens_out,
        duration_ms, input_hash, created_at)
    SELECT d.listing_id, i.component_type, i.attributes, i.condition, i.quantity, i.confidence,
        i.method, i.backend, i.model, i.low_confidence, i.llm_pending, i.product_key,
        i.tokens_in, i.tokens_out, i.duration_ms, md5(l.title), $2
    FROM done d JOIN input i ON i.job_id = d.id JOIN listings l ON l.id = d.listing_id
    ON CONFLICT (listing_id) WHERE is_current DO UPDATE SET
        component_type = EXCLUDED.component_type,
        attributes = EXCLUDED.attributes,
        condition = EXCLUDED.condition,
        quantity = EXCLUDED.quantity,
        confidence = EXCLUDED.confidence,
        method = EXCLUDED.method,
        backend = EXCLUDED.backend,
        model = EXCLUDED.model,
        low_confidence = EXCLUDED.low_confidence,
        llm_pending = EXCLUDED.llm_pending,
        product_key = EXCLUDED.product_key,
        tokens_in = EXCLUDED.tokens_in,
        tokens_out = EXCLUDED.tokens_out,
        duration_ms = EXCLUDED.duration_ms,
        input_hash = EXCLUDED.input_hash,
        created_at = EXCLUDED.created_at
    RETURNING e.listing_id
"""


async def complete(
    conn: Connection, worker: str, results: Sequence[StoredExtraction], now: datetime
) -> list[int]:
    """Store results and close their jobs in one statement; returns the listings stored.

    A job whose lease this worker lost (expired and taken by another) is skipped.
    """
    if not results:
        return []
    r = results
    rows = await conn.fetch(
        _COMPLETE,
        worker,
        now,
        [x.job_id for x in r],
        [x.component_type for x in r],
        [x.attributes for x in r],
        [x.condition for x in r],
        [x.quantity for x in r],
        [x.confidence for x in r],
        [x.method for x in r],
        [x.backend for x in r],
        [x.model for x in r],
        [x.low_confidence for x in r],
        [x.llm_pending for x in r],
        [x.product_key for x in r],
        [x.tokens_in for x in r],
        [x.tokens_out for x in r],
        [x.duration_ms for x in r],
        [x.note for x in r],
    )
    return [row["listing_id"] for row in rows]


async def fail(
    conn: Connection,
    job_id: int,
    worker: str,
    error: str,
    now: datetime,
    max_attempts: int,
    base_delay_seconds: float,
    max_delay_seconds: float,
) -> str | None:
    """Record a failed attempt: retry later with exponential back-off, or park the job.

    Returns the job's new status, or None if this worker no longer held it.
    """
    value: str | None = await conn.fetchval(
        """
        UPDATE extraction_jobs SET
            status = CASE WHEN attempts >= $5 THEN 'parked' ELSE 'pending' END,
            next_attempt_at = $4::timestamptz + make_interval(
                secs => LEAST($7::float8, $6::float8 * power(2, GREATEST(attempts - 1, 0)))),
            last_error = $3,
            leased_by = NULL,
            lease_expires_at = NULL,
            updated_at = $4,
            finished_at = CASE WHEN attempts >= $5 THEN $4 ELSE NULL END
        WHERE id = $1 AND leased_by = $2 AND status = 'running'
        RETURNING status
        """,
        job_id,
        worker,
        error[:2000],
        now,
        max_attempts,
        base_delay_seconds,
        max_delay_seconds,
    )
    return value


async def reclaim_expired(conn: Connection, now: datetime, max_attempts: int) -> int:
    """Jobs whose worker vanished (lease expired) go back to the queue, or park if exhausted."""
    result = await conn.execute(
        """
        UPDATE extraction_jobs SET
            status = CASE WHEN attempts >= $2 THEN 'parked' ELSE 'pending' END,
            last_error = 'lease expired: the worker stopped or crashed mid-job',
            leased_by = NULL,
            lease_expires_at = NULL,
            next_attempt_at = $1,
            updated_at = $1,
            finished_at = CASE WHEN attempts >= $2 THEN $1 ELSE NULL END
        WHERE status = 'running' AND lease_expires_at <= $1
        """,
        now,
        max_attempts,
    )
    return int(result.rsplit(" ", 1)[-1])


async def release(conn: Connection, worker: str, now: datetime) -> int:
    """Clean shutdown: give back this worker's jobs without counting the attempt."""
    result = await conn.execute(
        """
        UPDATE extraction_jobs SET status = 'pending', leased_by = NULL, lease_expires_at = NULL,
            attempts = GREATEST(attempts - 1, 0), updated_at = $2
        WHERE status = 'running' AND leased_by = $1
        """,
        worker,
        now,
    )
    return int(result.rsplit(" ", 1)[-1])


async def requeue(
    conn: Connection,
    reason: str,
    component_type: str | None = None,
    low_confidence_only: bool = False,
    llm_pending_only: bool = False,
) -> int:
    """Queue listings again (those with a current extraction matching the filters)."""
    result = await conn.execute(
        """
        INSERT INTO extraction_jobs (listing_id, reason)
        SELECT e.listing_id, $1 FROM extractions e
        WHERE e.is_current
          AND ($2::text IS NULL OR e.component_type = $2)
          AND (NOT $3 OR e.low_confidence)
          AND (NOT $4 OR e.llm_pending)
        ON CONFLICT (listing_id) WHERE status IN ('pending', 'running') DO NOTHING
        """,
        reason,
        component_type,
        low_confidence_only,
        llm_pending_only,
    )
    return int(result.rsplit(" ", 1)[-1])


async def counts(conn: Connection) -> dict[str, int]:
    """Jobs by status (pending, running, done, parked)."""
    rows = await conn.fetch("SELECT status, count(*) AS n FROM extraction_jobs GROUP BY status")
    found = {r["status"]: int(r["n"]) for r in rows}
    return {s: found.get(s, 0) for s in ("pending", "running", "done", "parked")}


async def parked(conn: Connection, limit: int = 5) -> list[dict[str, Any]]:
    """The most recently parked jobs with their errors."""
    rows = await conn.fetch(
        "SELECT j.id, j.listing_id, j.attempts, j.last_error, l.title FROM extraction_jobs j "
        "JOIN listings l ON l.id = j.listing_id WHERE j.status = 'parked' "
        "ORDER BY j.finished_at DESC NULLS LAST LIMIT $1",
        limit,
    )
    return [dict(r) for r in rows]


async def extracted_count(conn: Connection) -> tuple[int, int]:
    """(listings with a current extraction, distinct product keys among them)."""
    row = await conn.fetchrow(
        "SELECT count(*) AS n, count(DISTINCT product_key) AS keys "
        "FROM extractions WHERE is_current"
    )
    assert row is not None
    return int(row["n"]), int(row["keys"])
