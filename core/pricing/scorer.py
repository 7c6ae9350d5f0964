"""Scoring listings and keeping scores current when a listing or its baseline changes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from core.clock import Clock
from core.db import scores as repo
from core.db.pool import Pool
from core.extract.red_flags import find_red_flags
from core.marketplace.conditions import effective_condition
from core.observability.metrics import SCORES
from core.pricing.scoring import Facts, Market, score
from core.settings import Settings


def _facts(row: dict[str, Any]) -> Facts:
    condition = effective_condition(row["listing_condition"], row["extracted_condition"])
    return Facts(
        unit_price=row["unit_price"],
        condition=condition,
        quantity=row["quantity"],
        seller_feedback_score=row["seller_feedback_score"],
        seller_feedback_percent=row["seller_feedback_percent"],
        seller_top_rated=row["seller_top_rated"],
        has_image=row["has_image"],
        shipping_known=row["shipping_known"],
        first_seen_at=row["first_seen_at"],
        auction_end_at=row["auction_end_at"],
        is_auction=row["is_auction"],
        red_flags=find_red_flags(row["title"]),
    )


def _market(row: dict[str, Any]) -> Market:
    return Market(row["sample_count"], row["p10"], row["p25"], row["p50"], row["p75"], row["p90"])


class Scorer:
    """Scores listings against their baselines and stores the results with breakdowns."""

    def __init__(
        self,
        pool: Pool,
        settings: Callable[[], Settings],
        clock: Clock,
        on_scored: Callable[[list[int]], Awaitable[Any]] | None = None,
    ) -> None:
        self._pool = pool
        self._settings = settings
        self._clock = clock
        self._on_scored = on_scored  # e.g. decide alerts for the listings just scored

    async def rescore(
        self, listing_ids: Sequence[int] | None = None, keys: Sequence[str] | None = None
    ) -> int:
        """Score active keyed listings (all, or those given); returns how many were stored."""
        config = self._settings().scoring
        now = self._clock()
        async with self._pool.acquire() as conn:
            rows = await repo.inputs(conn, listing_ids, keys)
            results = []
            for row in rows:
                result = score(_facts(row), _market(row), config, now)
                SCORES.observe(result.value)
                results.append(
                    repo.ScoreRow(
                        listing_id=row["listing_id"],
                        extraction_id=row["extraction_id"],
                        score=result.value,
                        breakdown=result.breakdown,
                        unit_price=row["unit_price"],
                        currency=row["currency"],
                        product_key=row["product_key"],
                        baseline_samples=row["sample_count"],
                        baseline_computed_at=row["baseline_computed_at"],
                        cold_start=result.cold_start,
                    )
                )
            stored = await repo.store(conn, results, now)
        if results and self._on_scored is not None:
            await self._on_scored([r.listing_id for r in results])
        return stored
