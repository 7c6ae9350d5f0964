"""Category feeds: one newest-first search per marketplace and category, matched locally.

With `ebay.category_feeds`, a watch whose category is known (its own category ids, or its
component type's eBay category) makes no search of its own. Its category's feed reads
the newest listings, 200 a page, until a page it has already seen (at most
`ebay.feed_max_pages`; once per `schedule.sweep_interval_hours` a sweep reads
`ebay.sweep_max_pages` without stopping early). Each page is stored and matched against
every watch of the feed in one SQL statement (`core.db.feeds.match`), so eBay calls grow
with new listings, not with watches. A feed runs at the shortest interval of its
watches, so none is staler than its own interval.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core.clock import Clock
from core.db import feeds as feeds_repo
from core.db import listings as listing_repo
from core.db.listings import PageOutcome
from core.db.pool import Pool
from core.marketplace.client import EbayClient, SearchRequest
from core.marketplace.quota import QuotaExhaustedError, QuotaState
from core.models import Marketplace
from core.observability.metrics import LAST_NEW_LISTING, LISTINGS_INGESTED
from core.resilience import ServiceError
from core.settings import Settings

log = logging.getLogger(__name__)

FEED_PAGE_SIZE = 200  # Browse's largest page: fewest calls for a category's new listings


@dataclass(frozen=True)
class FeedRun:
    """What one feed run did."""

    feed_id: int
    marketplace: str
    category_id: str
    pages: int = 0
    outcome: PageOutcome = field(default_factory=PageOutcome)
    hits: int = 0
    swept: bool = False
    error: str | None = None
    quota_exhausted: QuotaState | None = None


def feed_request(feed: dict[str, Any], offset: int) -> SearchRequest:
    """One page of a feed: its category, newest first, every buying option, no keywords."""
    return SearchRequest(
        marketplace=Marketplace(feed["marketplace"]),
        query="",
        category_ids=(feed["category_id"],),
        limit=FEED_PAGE_SIZE,
        offset=offset,
        sort="newlyListed",
    )


class FeedRunner:
    """Runs one feed: pages from eBay into PostgreSQL, matched against its watches."""

    def __init__(
        self, pool: Pool, client: EbayClient, settings: Callable[[], Settings], clock: Clock
    ) -> None:
        self._pool = pool
        self._client = client
        self._settings = settings
        self._clock = clock

    def is_sweep_due(self, feed: dict[str, Any], now: datetime) -> bool:
        """Whether this run should read past the first known page."""
        return sweep_due(feed["last_sweep_at"], self._settings(), now)

    async def run(self, feed: dict[str, Any]) -> FeedRun:
        """Read the feed's newest pages, store and match them; errors end the run, never
        half a page."""
        settings = self._settings()
        sweep = self.is_sweep_due(feed, self._clock())
        max_pages = settings.ebay.sweep_max_pages if sweep else settings.ebay.feed_max_pages
        total, pages, hits = PageOutcome(), 0, 0
        ids = (feed["id"], feed["marketplace"], feed["category_id"])
        try:
            for page_number in range(max_pages):
                page = await self._client.search(feed_request(feed, page_number * FEED_PAGE_SIZE))
                pages += 1
                outcome = PageOutcome()
                if page.listings:
                    now = self._clock()
                    async with self._pool.acquire() as conn, conn.transaction():
                        outcome = await listing_repo.upsert_seen(conn, [], page.listings, now)
                        stored = await feeds_repo.listing_ids(
                            conn, feed["marketplace"], [x.item_id for x in page.listings]
                        )
                        hits += await feeds_repo.match(conn, feed, stored, now)
                    total += outcome
                    count_ingested(feed["marketplace"], outcome)
                if not page.has_next:
                    break
                if not sweep and outcome.new == 0:
                    break  # everything on this page is known: older pages are too
        except QuotaExhaustedError as exc:
            return FeedRun(*ids, pages, total, hits, False, str(exc), exc.state)
        except ServiceError as exc:
            log.warning("feed %s/%s failed after %d page(s): %s", feed["marketplace"],
                        feed["category_id"], pages, exc)  # fmt: skip
            return FeedRun(*ids, pages, total, hits, False, str(exc))
        return FeedRun(*ids, pages, total, hits, sweep)


def sweep_due(last_sweep_at: datetime | None, settings: Settings, now: datetime) -> bool:
    """Whether a run (a watch's or a feed's) is a sweep: none yet, or the last one is
    `schedule.sweep_interval_hours` old."""
    interval = timedelta(hours=settings.schedule.sweep_interval_hours)
    return last_sweep_at is None or now - last_sweep_at >= interval


def count_ingested(marketplace: str, outcome: PageOutcome) -> None:
    """Count a stored page in `spt_listings_ingested_total` and the last-new-listing gauge."""
    LISTINGS_INGESTED.labels(marketplace, "new").inc(outcome.new)
    LISTINGS_INGESTED.labels(marketplace, "seen_again").inc(outcome.seen - outcome.new)
    if outcome.new:
        LAST_NEW_LISTING.set_to_current_time()
