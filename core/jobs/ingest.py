"""Ingestion: run watches against eBay on their schedules, store what they find.

A run reads search pages newest first and stops at the first page whose listings are
all known, capped by `ebay.max_pages_per_run`. Once per `schedule.sweep_interval_hours`
a watch runs a sweep instead: no early stop, up to `ebay.sweep_max_pages`, so older
listings are seen again; a sweep that reaches the end of the results also notices which
of the watch's listings vanished. Each page is stored in one statement, so a failure
never leaves half a page behind.

Browse takes one category per request, so a watch with several categories runs one
search per category, each with its own early stop and page cap, every page counted
against the daily budget; a listing found in two of them is stored once per run.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core.clock import Clock, utc_now
from core.db import feeds as feeds_repo
from core.db import listings as listing_repo
from core.db import schedule as schedule_repo
from core.db.listings import PageOutcome
from core.db.pool import Pool
from core.jobs.fairness import stretch_factor
from core.jobs.feeds import FeedRun, FeedRunner, count_ingested, sweep_due
from core.jobs.loop import repeat
from core.marketplace.client import EbayClient, SearchRequest, effective_buying_options
from core.marketplace.conditions import condition_ids_for
from core.marketplace.quota import DailyBudget, QuotaExhaustedError, QuotaState
from core.observability.metrics import (
    INGEST_INTERVAL,
    INGEST_PAUSED,
    INGEST_STRETCH,
    LISTINGS_DEACTIVATED,
    SOLD_RECORDED,
    WATCH_RUNS,
    WATCHES_ENABLED,
)
from core.resilience import ServiceError
from core.settings import Settings
from core.watches import Watch

log = logging.getLogger(__name__)

# A fixed-price listing that vanishes more than this before its end "ended early".
EARLY_END_MARGIN_HOURS = 24.0


def process_id() -> str:
    """Identifies this process in leases: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class RunResult:
    """What one watch run did."""

    watch_id: int
    pages: int = 0
    outcome: PageOutcome = field(default_factory=PageOutcome)
    swept: bool = False
    complete: bool = False
    vanished: int = 0
    likely_sold: int = 0
    sold_recorded: int = 0
    skipped_items: int = 0
    error: str | None = None
    quota_exhausted: QuotaState | None = None


def search_categories(watch: Watch) -> list[str | None]:
    """The category of each search a run makes: one per category, or one uncategorised."""
    return list(watch.category_ids) or [None]


def search_request(
    watch: Watch, settings: Settings, offset: int, category: str | None = None
) -> SearchRequest:
    """The Browse request for one page of a watch in one of its categories (by default its
    first), with its server-side filters; buying options are always named."""
    if category is None and watch.category_ids:
        category = watch.category_ids[0]
    ids = condition_ids_for(watch.conditions)
    return SearchRequest(
        marketplace=watch.marketplace,
        query=watch.query,
        category_ids=(category,) if category else (),
        min_price=watch.min_price,
        max_price=watch.max_price,
        condition_ids=tuple(ids) if ids else None,
        buying_options=tuple(b.value for b in effective_buying_options(watch.buying_options)),
        limit=settings.ebay.page_size,
        offset=offset,
    )


class Ingestor:
    """Runs one watch: pages from eBay into PostgreSQL."""

    def __init__(
        self, pool: Pool, client: EbayClient, settings: Callable[[], Settings], clock: Clock
    ) -> None:
        self._pool = pool
        self._client = client
        self._settings = settings
        self._clock = clock

    def is_sweep_due(self, watch: Watch, now: datetime) -> bool:
        """Whether this run should read past the newest page."""
        return sweep_due(watch.last_sweep_at, self._settings(), now)

    async def run_watch(self, watch: Watch, sharing: Sequence[int] = ()) -> RunResult:
        """Read the watch's pages and store them; errors end the run, never half a page.

        The watches in `sharing` make the same search: every listing found is a hit for
        them too, and a sweep's vanished listings are theirs as well.
        """
        settings = self._settings()
        served = [watch.id, *sharing]
        started = self._clock()
        sweep = self.is_sweep_due(watch, started)
        max_pages = settings.ebay.sweep_max_pages if sweep else settings.ebay.max_pages_per_run
        total = PageOutcome()
        pages = skipped = 0
        complete = True  # every category's results were read to their end
        seen: set[str] = set()  # item ids stored in this run, across categories
        try:
            for category in search_categories(watch):
                reached_end = False
                for page_number in range(max_pages):
                    offset = page_number * settings.ebay.page_size
                    page = await self._client.search(
                        search_request(watch, settings, offset, category)
                    )
                    pages += 1
                    skipped += page.skipped
                    fresh = [x for x in page.listings if x.item_id not in seen]
                    seen.update(x.item_id for x in fresh)
                    outcome = PageOutcome()
                    if fresh:
                        async with self._pool.acquire() as conn:
                            outcome = await listing_repo.upsert_seen(
                                conn, served, fresh, self._clock()
                            )
                        total += outcome
                        count_ingested(watch.marketplace.value, outcome)
                    if not page.has_next:
                        reached_end = True
                        break
                    if not sweep and outcome.new == 0:
                        break  # everything on this page is known: older pages are too
                complete = complete and reached_end
            vanished = likely_sold = sold = 0
            if sweep and complete:
                async with self._pool.acquire() as conn:
                    for watch_id in served:
                        gone, sold_early = await listing_repo.mark_vanished(
                            conn, watch_id, started, self._clock(), EARLY_END_MARGIN_HOURS
                        )
                        vanished, likely_sold = vanished + gone, likely_sold + sold_early
                LISTINGS_DEACTIVATED.labels("vanished").inc(vanished)
                SOLD_RECORDED.labels("ended_early").inc(likely_sold)
            if sweep and settings.ebay.marketplace_insights:
                try:
                    sold = await self._record_sales(watch, served, settings)
                except QuotaExhaustedError:
                    raise
                except ServiceError as exc:
                    # Sold prices are extra: the Browse pages are stored and the run counts.
                    log.warning(
                        "watch %d (%s): sold items unavailable this sweep: %s",
                        watch.id, watch.name, exc, extra={"watch_id": watch.id},
                    )  # fmt: skip
        except QuotaExhaustedError as exc:
            return RunResult(watch.id, pages, total, False, False, error=str(exc),
                             skipped_items=skipped, quota_exhausted=exc.state)  # fmt: skip
        except ServiceError as exc:
            log.warning(
                "watch %d (%s) run failed after %d page(s): %s",
                watch.id,
                watch.name,
                pages,
                exc,
                extra={"watch_id": watch.id},
            )
            return RunResult(watch.id, pages, total, False, False, skipped_items=skipped,
                             error=str(exc))  # fmt: skip
        return RunResult(
            watch.id, pages, total, sweep, complete, vanished, likely_sold, sold, skipped
        )

    async def _record_sales(self, watch: Watch, served: list[int], settings: Settings) -> int:
        recorded = 0
        seen: set[str] = set()
        for category in search_categories(watch):
            page = await self._client.sales(search_request(watch, settings, 0, category))
            fresh = [s for s in page.sales if s.listing.item_id not in seen]
            seen.update(s.listing.item_id for s in fresh)
            async with self._pool.acquire() as conn:
                outcome = await listing_repo.upsert_sold(conn, served, fresh, self._clock())
            SOLD_RECORDED.labels("marketplace_insights").inc(outcome.seen)
            recorded += outcome.seen
        return recorded


@dataclass
class TickResult:
    """What one scheduler pass did."""

    runs: list[RunResult] = field(default_factory=list)
    feed_runs: list[FeedRun] = field(default_factory=list)
    paused_until: datetime | None = None
    stretch: float = 1.0

    @property
    def ingested(self) -> int:
        """Listings read in this pass (new and re-seen)."""
        return sum(r.outcome.seen for r in self.runs) + sum(r.outcome.seen for r in self.feed_runs)

    @property
    def new(self) -> int:
        """New listings stored in this pass."""
        return sum(r.outcome.new for r in self.runs) + sum(r.outcome.new for r in self.feed_runs)


def shared_searches(watches: list[Watch]) -> list[list[Watch]]:
    """Claimed watches grouped by the search they make, most due first in each group (it
    runs the search); groups in the order their first watch came."""
    groups: dict[str, list[Watch]] = {}
    for watch in watches:
        groups.setdefault(watch.search_key or f"watch:{watch.id}", []).append(watch)
    return list(groups.values())


class IngestScheduler:
    """Claims due watches under a lease, runs them, reschedules them fairly."""

    def __init__(
        self,
        pool: Pool,
        ingestor: Ingestor,
        client: EbayClient,
        budget: DailyBudget,
        settings: Callable[[], Settings],
        clock: Clock = utc_now,
        holder: str | None = None,
        batch: int = 4,
    ) -> None:
        self._pool = pool
        self._ingestor = ingestor
        self._client = client
        self._budget = budget
        self._settings = settings
        self._feeds = FeedRunner(pool, client, settings, clock)
        self._clock = clock
        self.holder = holder or process_id()
        self._batch = batch
        self.paused_until: datetime | None = None
        self.stretch = 1.0

    async def sync_quota(self) -> QuotaState | None:
        """Adopt eBay's view of the call window (Analytics API); failures are only logged."""
        try:
            snapshot = await self._client.rate_limits()
        except ServiceError as exc:
            log.warning("could not read eBay's rate limits: %s", exc)
            return None
        if snapshot is None:
            return None
        return await self._budget.sync(snapshot)

    async def tick(self) -> TickResult:
        """Run every watch due now (in batches), unless the daily budget is spent."""
        result = TickResult()
        now = self._clock()
        if self.paused_until is not None:
            if now < self.paused_until:
                result.paused_until = self.paused_until
                return result
            log.info("eBay call window reset: ingestion resumes")
            self.paused_until = None
            INGEST_PAUSED.set(0)
        while True:
            state = await self._budget.state()
            if state.remaining <= 0:
                self._pause(state)
                result.paused_until = self.paused_until
                break
            feeds = self._settings().ebay.category_feeds
            lease = self._settings().schedule.lease_seconds
            async with self._pool.acquire() as conn:
                demand = await schedule_repo.demand(conn, feeds)
                if feeds:
                    await feeds_repo.sync(conn, now)
                    demand += await feeds_repo.demand(conn)
                enabled = await schedule_repo.enabled_count(conn)
                self.stretch = stretch_factor(demand, state.remaining, now, state.reset_at)
                claimed = await schedule_repo.claim_due(
                    conn, self.holder, self._clock(), lease, self._batch, feeds
                )
                due_feeds = (
                    await feeds_repo.claim_due(conn, self.holder, self._clock(), lease,
                                               self._batch)
                    if feeds else []
                )  # fmt: skip
            INGEST_STRETCH.set(self.stretch)
            WATCHES_ENABLED.set(enabled)
            if demand:
                INGEST_INTERVAL.set(min(interval for interval, _ in demand) * self.stretch)
            if not claimed and not due_feeds:
                break
            exhausted = False
            for feed in due_feeds:
                ran = await self._run_feed(feed)
                result.feed_runs.append(ran)
                if ran.quota_exhausted is not None:
                    self._pause(ran.quota_exhausted)
                    result.paused_until = self.paused_until
                    exhausted = True
            for group in shared_searches([Watch.model_validate(row) for row in claimed]):
                run = await self._run(group[0], group[1:])
                result.runs.append(run)
                if run.quota_exhausted is not None:
                    self._pause(run.quota_exhausted)
                    result.paused_until = self.paused_until
                    exhausted = True
            if exhausted:
                await self.release()  # any still-claimed watches go back to the pool
                break
        result.stretch = self.stretch
        return result

    async def _run(self, watch: Watch, sharing: list[Watch]) -> RunResult:
        """Run `watch`'s search once for it and for the watches `sharing` it; each is then
        rescheduled by its own interval."""
        run = await self._ingestor.run_watch(watch, [w.id for w in sharing])
        now = self._clock()
        calls = run.pages + (1 if run.sold_recorded else 0)
        for served in (watch, *sharing):
            interval = timedelta(seconds=served.poll_interval_seconds * self.stretch)
            if run.quota_exhausted is not None:
                next_run = max(now + interval, run.quota_exhausted.reset_at)
            else:
                next_run = now + interval
            async with self._pool.acquire() as conn:
                kept = await schedule_repo.finish_run(
                    conn, served.id, self.holder, now=now, next_run_at=next_run, calls=calls,
                    swept=run.swept, error=run.error,
                )  # fmt: skip
            if not kept:
                log.warning("lost the lease on watch %d while running it", served.id)
        WATCH_RUNS.labels("error" if run.error else "success").inc()
        shared = (
            f" (shared with watch(es) {', '.join(str(w.id) for w in sharing)})" if sharing else ""
        )
        log.info(
            "watch %d ran: %d page(s), %d listing(s), %d new%s%s",
            watch.id,
            run.pages,
            run.outcome.seen,
            run.outcome.new,
            shared,
            f"; error: {run.error}" if run.error else "",
            extra={"watch_id": watch.id, "job": "ingest"},
        )
        return run

    async def _run_feed(self, feed: dict[str, Any]) -> FeedRun:
        run = await self._feeds.run(feed)
        async with self._pool.acquire() as conn:
            kept = await feeds_repo.finish(
                conn, feed, self.holder, now=self._clock(), stretch=self.stretch,
                calls=run.pages, swept=run.swept, error=run.error,
            )  # fmt: skip
        if not kept:
            log.warning("lost the lease on feed %s/%s while running it", run.marketplace,
                        run.category_id)  # fmt: skip
        WATCH_RUNS.labels("error" if run.error else "success").inc()
        log.info("feed %s/%s ran: %d page(s), %d listing(s), %d new, %d hit(s)%s",
                 run.marketplace, run.category_id, run.pages, run.outcome.seen,
                 run.outcome.new, run.hits, f"; error: {run.error}" if run.error else "",
                 extra={"job": "ingest"})  # fmt: skip
        return run

    def _pause(self, state: QuotaState) -> None:
        if self.paused_until != state.reset_at:
            log.warning(
                "eBay daily budget spent (%d/%d calls): ingestion paused until %s",
                state.used,
                state.limit,
                state.reset_at.isoformat(timespec="seconds"),
            )
        self.paused_until = state.reset_at
        INGEST_PAUSED.set(1)

    async def release(self) -> None:
        """Give back every lease this process holds."""
        async with self._pool.acquire() as conn:
            await schedule_repo.release_all(conn, self.holder)
            await feeds_repo.release_all(conn, self.holder)

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Tick until `stop` is set; errors are logged and counted, never fatal."""
        await self.sync_quota()

        async def step() -> None:
            # A tick that found no watch due still completed: the loop is healthy.
            result = await self.tick()
            if result.runs:
                await self.sync_quota()
            await deactivate_expired(self._pool, self._settings, self._clock)

        try:
            await repeat("ingest", step, lambda: self._settings().schedule.ingest_tick_seconds,
                         stop, self._clock, what="ingest tick")  # fmt: skip
        finally:
            await self.release()


async def deactivate_expired(pool: Pool, settings: Callable[[], Settings], clock: Clock) -> int:
    """Listings past their end or unseen for `schedule.listing_stale_after_hours` go inactive."""
    now = clock()
    async with pool.acquire() as conn:
        ended = await listing_repo.deactivate_ended(conn, now)
        stale = await listing_repo.deactivate_stale(
            conn, now, settings().schedule.listing_stale_after_hours
        )
    LISTINGS_DEACTIVATED.labels("ended").inc(ended)
    LISTINGS_DEACTIVATED.labels("stale").inc(stale)
    return ended + stale
