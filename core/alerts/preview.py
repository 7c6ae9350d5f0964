"""`/watch test`: run a watch's search now and show what it would alert on, storing nothing.

The first page of the watch's search is read from eBay (one call from the daily budget),
every title goes through the configured extraction, each listing is scored against the
current baseline of its product key, and the watch's own decision rules say whether it
would alert. Nothing is written: no listings, hits, scores or alerts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from core.alerts.judge import judge
from core.clock import Clock
from core.db import browse as browse_repo
from core.db.pool import Pool
from core.extract.service import Extractor, Outcome
from core.jobs.ingest import search_request
from core.marketplace.client import EbayClient
from core.marketplace.listing import MarketListing
from core.marketplace.urls import item_url
from core.models import ComponentType, Condition
from core.pricing.scoring import Market
from core.settings import Settings
from core.watches import Watch

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
        found = judge(watch, listing, outcome, market, settings.scoring, self._clock(),
                      last_alert_unit_price=last_alert)  # fmt: skip
        result = found.score
        return PreviewItem(
            title=listing.title,
            url=item_url(listing.marketplace, listing.legacy_item_id, listing.url),
            item_id=listing.item_id,
            currency=listing.currency,
            price=listing.price,
            shipping=listing.shipping,
            unit_price=found.unit_price,
            component_type=found.component_type,
            product_key=found.product_key,
            condition=found.condition,
            score=None if result is None else result.value,
            cold_start=True if result is None else result.cold_start,
            price_position=None if result is None else str(result.breakdown["price"]["position"]),
            would_alert=found.decision.alert,
            reason=found.decision.reason,
        )
