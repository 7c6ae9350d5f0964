"""`/watch test`: run a watch's search now and show what it would alert on, storing nothing.

The first page of the watch's search is read from eBay (one call from the daily budget),
every title goes through the configured extraction, each listing is scored against the
current baseline of its product key, and the watch's own decision rules say whether it
would alert. Nothing is written: no listings, hits, scores or alerts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from core.alerts.decide import Candidate, decide
from core.db import browse as browse_repo
from core.db.pool import Pool
from core.extract.service import Extractor, Outcome
from core.jobs.ingest import search_request
from core.marketplace.client import EbayClient
from core.marketplace.conditions import effective_condition
from core.marketplace.listing import MarketListing
from core.models import ComponentType, Condition
from core.pricing.scoring import Facts, Market, score
from core.settings import Settings
from core.watches import Watch

Clock = Callable[[], datetime]
_CONCURRENT_EXTRACTIONS = 4


@dataclass(frozen=True)
class PreviewItem:
    """One listing of the search, read and scored as the pipeline would."""

    title: str
    url: str | None
    item_id: str
    currency: str
    price: Decimal
    shipping: Decimal | None
    unit_price: Decimal
    component_type: ComponentType
    product_key: str | None
    condition: Condition
    score: float | None
    cold_start: bool
    price_position: str | None
    would_alert: bool
    reason: str


@dataclass(frozen=True)
class Preview:
    """What a test run found: every listing of the page, would-alert ones first."""

    watch: Watch
    searched: int
    total: int
    items: list[PreviewItem]

    @property
    def alerting(self) -> list[PreviewItem]:
        """The listings that would alert, best first."""
        return [i for i in self.items if i.would_alert]


class WatchPreview:
    """Runs a watch's search without storing anything."""

    def __init__(
        self,
        pool: Pool,
        ebay: EbayClient,
        extractor: Extractor,
        settings: Callable[[], Settings],
        clock: Clock,
    ) -> None:
        self._pool = pool
        self._ebay = ebay
        self._extractor = extractor
        self._settings = settings
        self._clock = clock

    async def run(self, watch: Watch) -> Preview:
        """Search, extract, score and decide for the first page of the watch's results."""
        settings = self._settings()
        page = await self._ebay.search(search_request(watch, settings, 0))
        gate = asyncio.Semaphore(_CONCURRENT_EXTRACTIONS)

        async def read(listing: MarketListing) -> Outcome:
            async with gate:
                return await self._extractor.extract(
                    listing.title, listing.marketplace, listing.category_ids
                )

        outcomes = await asyncio.gather(*(read(x) for x in page.listings))
        keys = {
            (o.product_key, x.currency)
            for x, o in zip(page.listings, outcomes, strict=True)
            if o.product_key is not None
        }
        async with self._pool.acquire() as conn:
            markets = await browse_repo.markets(conn, sorted(keys))
            alerted = await browse_repo.last_alert_prices(
                conn, watch.id, watch.marketplace.value, [x.item_id for x in page.listings]
            )
        items = [
            self._judge(watch, x, o, markets.get((o.product_key or "", x.currency)),
                        alerted.get(x.item_id), settings)
            for x, o in zip(page.listings, outcomes, strict=True)
        ]  # fmt: skip
        items.sort(key=lambda i: (not i.would_alert, -(i.score or -1)))
        return Preview(watch, len(page.listings), page.total, items)

    def _judge(
        self,
        watch: Watch,
        listing: MarketListing,
        outcome: Outcome,
        market: Market | None,
        last_alert: Decimal | None,
        settings: Settings,
    ) -> PreviewItem:
        extraction = outcome.extraction
        quantity = max(extraction.quantity, 1)
        unit = ((listing.price + (listing.shipping or Decimal(0))) / quantity).quantize(
            Decimal("0.01")
        )
        condition = effective_condition(listing.condition, extraction.condition)
        kind = extraction.component_type
        item = PreviewItem(
            title=listing.title,
            url=listing.url,
            item_id=listing.item_id,
            currency=listing.currency,
            price=listing.price,
            shipping=listing.shipping,
            unit_price=unit,
            component_type=kind,
            product_key=outcome.product_key,
            condition=condition,
            score=None,
            cold_start=True,
            price_position=None,
            would_alert=False,
            reason="no product key, so never scored",
        )
        if outcome.product_key is None:
            return item
        now = self._clock()
        facts = Facts(
            unit_price=unit,
            condition=condition,
            quantity=quantity,
            seller_feedback_score=listing.seller_feedback_score,
            seller_feedback_percent=listing.seller_feedback_percent,
            seller_top_rated=listing.seller_top_rated,
            has_image=listing.image_url is not None,
            shipping_known=listing.shipping is not None,
            first_seen_at=now,
            auction_end_at=listing.auction_end_at,
            is_auction="AUCTION" in listing.buying_options,
        )
        config = settings.scoring
        result = score(facts, market or Market(), config.weights,
                       config.cold_start_min_samples, now)  # fmt: skip
        decision = decide(
            watch,
            Candidate(
                component_type=kind,
                attributes=dict(extraction.attributes),
                quantity=quantity,
                condition=condition,
                unit_price=unit,
                score=result.value,
                cold_start=result.cold_start,
                seller_feedback_score=listing.seller_feedback_score,
                seller_feedback_percent=listing.seller_feedback_percent,
                seller_top_rated=listing.seller_top_rated,
                last_alert_unit_price=last_alert,
            ),
        )
        return replace(
            item,
            score=result.value,
            cold_start=result.cold_start,
            price_position=str(result.breakdown["price"].get("position")),
            would_alert=decision.alert,
            reason=decision.reason,
        )
