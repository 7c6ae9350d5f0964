"""SQL for scores: what scoring reads about listings and their baselines, and the results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from core.db.pool import Connection


async def inputs(
    conn: Connection, listing_ids: Sequence[int] | None = None, keys: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Active, keyed listings (all, or those given) with their baseline, ready to score."""
    rows = await conn.fetch(
        """
        SELECT l.id AS listing_id, e.id AS extraction_id, e.product_key, l.currency, l.title,
               round((l.price + COALESCE(l.shipping, 0)) / e.quantity, 2) AS unit_price,
               l.condition AS listing_condition, e.condition AS extracted_condition,
               e.quantity, l.seller_feedback_score, l.seller_feedback_percent,
               l.seller_top_rated, l.image_url IS NOT NULL AS has_image,
               l.shipping IS NOT NULL AS shipping_known, l.first_seen_at, l.auction_end_at,
               'AUCTION' = ANY(l.buying_options) AS is_auction,
               COALESCE(b.sample_count, 0) AS sample_count, b.p10, b.p25, b.p50, b.p75, b.p90,
               b.computed_at AS baseline_computed_at
        FROM listings l
        JOIN extractions e ON e.listing_id = l.id AND e.is_current
        LEFT JOIN baselines b ON b.product_key = e.product_key AND b.currency = l.currency
        WHERE e.product_key IS NOT NULL AND l.active
          AND ($1::bigint[] IS NULL OR l.id = ANY($1))
          AND ($2::text[] IS NULL OR e.product_key = ANY($2))
        """,
        list(listing_ids) if listing_ids is not None else None,
        list(keys) if keys is not None else None,
    )
    return [dict(r) for r in rows]


@dataclass(frozen=True)
class ScoreRow:
    """One listing's current score."""

    listing_id: int
    extraction_id: int
    score: float
    breakdown: dict[str, Any]
    unit_price: Decimal
    currency: str
    product_key: str
    baseline_samples: int
    baseline_computed_at: datetime | None
    cold_start: bool


async def store(conn: Connection, rows: Sequence[ScoreRow], now: datetime) -> int:
    """Write listings' current scores in one statement; returns how many."""
    if not rows:
        return 0
    # Listing order: two processes storing overlapping scores (a baseline refresh beside
    # another's rescore) then lock the same rows in the same order and cannot deadlock.
    r = sorted(rows, key=lambda x: x.listing_id)
    result = await conn.execute(
        """
        INSERT INTO scores (listing_id, extraction_id, score, breakdown, unit_price, currency,
                            product_key, baseline_samples, baseline_computed_at, cold_start,
                            computed_at)
        SELECT *, $11 FROM unnest($1::bigint[], $2::bigint[], $3::numeric[], $4::jsonb[],
                                  $5::numeric[], $6::text[], $7::text[], $8::int[],
                                  $9::timestamptz[], $10::bool[])
        ON CONFLICT (listing_id) WHERE is_current DO UPDATE SET
            extraction_id = EXCLUDED.extraction_id, score = EXCLUDED.score,
            breakdown = EXCLUDED.breakdown, unit_price = EXCLUDED.unit_price,
            currency = EXCLUDED.currency, product_key = EXCLUDED.product_key,
            baseline_samples = EXCLUDED.baseline_samples,
            baseline_computed_at = EXCLUDED.baseline_computed_at,
            cold_start = EXCLUDED.cold_start, computed_at = EXCLUDED.computed_at
        """,
        [x.listing_id for x in r],
        [x.extraction_id for x in r],
        [Decimal(str(x.score)) for x in r],
        [x.breakdown for x in r],
        [x.unit_price for x in r],
        [x.currency for x in r],
        [x.product_key for x in r],
        [x.baseline_samples for x in r],
        [x.baseline_computed_at for x in r],
        [x.cold_start for x in r],
        now,
    )
    return int(result.rsplit(" ", 1)[-1])


async def top(conn: Connection, limit: int) -> list[dict[str, Any]]:
    """The best current scores with their listing titles."""
    rows = await conn.fetch(
        "SELECT s.listing_id, s.score, s.cold_start, s.unit_price, s.currency, s.product_key, "
        "l.title FROM scores s JOIN listings l ON l.id = s.listing_id "
        "WHERE s.is_current AND l.active ORDER BY s.cold_start, s.score DESC LIMIT $1",
        limit,
    )
    return [dict(r) for r in rows]


async def count_current(conn: Connection) -> int:
    """Listings with a current score."""
    return int(await conn.fetchval("SELECT count(*) FROM scores WHERE is_current"))
