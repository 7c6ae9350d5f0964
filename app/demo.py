"""`spt demo`: the sandbox marketplace, the embedded database, example watches, the pipeline.

One pass over every due watch (ingest, extract with rules, baselines, scores, alerts to
the console), reported; then, unless `--once`, the pipeline keeps running.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.examples import seed_examples
from app.run import serve, side_server, stop_on_signals
from app.services import configure_health, open_services
from core.alerts.console import ConsoleDelivery
from core.clock import utc_now
from core.config_reload import SettingsHolder
from core.jobs.ingest import TickResult
from core.totals import best_scores, totals
from core.watches import Watch
from sandbox import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    SandboxMarketplace,
    build_catalog,
)

log = logging.getLogger(__name__)
DEMO_CATALOG = 12000


@dataclass(frozen=True)
class DemoResult:
    """What `spt demo` did, for the human table and the `--json` summary."""

    embedded: bool
    migrations_applied: list[str]
    created: list[Watch]
    existing: list[Watch]
    tick: TickResult
    sandbox_url: str
    listings: int
    extracted: int
    product_keys: int
    extraction_mode: str
    baselines: int
    scored: int
    top: list[dict[str, Any]]
    alerts: int
    delivered: int
    # The embedded server's directory (None with database.url), so the report can say how
    # to reach the demo's data with the CLI.
    data_dir: str | None = None

    @property
    def alerts_per_1000(self) -> float:
        """Alerts created per 1,000 listings read in this pass, to one decimal: how rare the
        demo's alerts are (a realistic market has a handful of clear deals)."""
        if self.tick.ingested == 0:
            return 0.0
        return round(self.alerts / self.tick.ingested * 1000, 1)

    def summary(self) -> dict[str, Any]:
        """The one-object JSON summary `spt demo --json` prints last."""
        return {
            "database": "embedded" if self.embedded else "url",
            "data_dir": self.data_dir,
            "marketplace": self.sandbox_url,
            "migrations_applied": self.migrations_applied,
            "watches_created": len(self.created),
            "watches_existing": len(self.existing),
            "watches": [
                {"id": w.id, "name": w.name, "type": w.component_type.value,
                 "marketplace": w.marketplace.value}
                for w in (*self.created, *self.existing)
            ],
            "watch_runs": len(self.tick.runs),
            "ingested": self.listings,
            "seen_this_pass": self.tick.ingested,
            "new_listings": self.tick.new,
            "run_errors": [r.error for r in self.tick.runs if r.error],
            "extraction": self.extraction_mode,
            "extracted": self.extracted,
            "product_keys": self.product_keys,
            "baselines": self.baselines,
            "scored": self.scored,
            "alerts": self.alerts,
            "alerts_per_1000_listings": self.alerts_per_1000,
            "delivered": self.delivered,
        }  # fmt: skip


@asynccontextmanager
async def sandbox_for(holder: SettingsHolder) -> AsyncIterator[SandboxMarketplace]:
    """Start the sandbox marketplace on loopback and point the eBay client at it."""
    # Big enough that the demo's product keys get mature baselines (10+ samples).
    sandbox = SandboxMarketplace(build_catalog(size=DEMO_CATALOG, now=datetime.now(UTC)))
    url = await sandbox.start()
    holder.pin(
        {
            "ebay": {
                "api_base_url": url,
                "client_id": DEFAULT_CLIENT_ID,
                "client_secret": DEFAULT_CLIENT_SECRET,
            }
        }
    )
    log.info("sandbox marketplace on %s", url)
    try:
        yield sandbox
    finally:
        await sandbox.stop()


async def demo(
    holder: SettingsHolder, once: bool, report: Callable[[DemoResult], None] | None = None
) -> DemoResult:
    """`spt demo`: sandbox marketplace, embedded database, example watches, the pipeline.

    With `once`, one pass over every due watch, then exit; otherwise keep running until
    SIGINT/SIGTERM.
    """
    async with (
        sandbox_for(holder) as sandbox,
        open_services(holder) as services,
        side_server(services, enabled=not once),
    ):
        if (
            holder.current.extract.backend != "rules"
            and not await services.extractor.llm_reachable()
        ):
            # The demo is offline: without a reachable LLM, rules read every title.
            holder.pin({"extract": {"backend": "rules"}})
            configure_health(services)  # no LLM to check or to report down
        created, existing = await seed_examples(services.watches)
        alerts_before = (await totals(services.db.pool)).alerts
        await services.scheduler.sync_quota()
        tick = await services.scheduler.tick()
        await services.worker("demo").drain()
        queue = await services.queue_status()
        refreshed = await services.baselines.refresh()  # rescores every listing too
        top = await best_scores(services.db.pool, 5)
        delivered = await ConsoleDelivery(services.db.pool, utc_now, "demo").deliver_pending(
            limit=10_000
        )
        after = await totals(services.db.pool)
        result = DemoResult(
            services.db.embedded,
            services.migrations_applied,
            created,
            existing,
            tick,
            sandbox.base_url or "",
            after.listings,
            queue["extracted"],
            queue["product_keys"],
            holder.current.extract.backend,
            refreshed.refreshed,
            after.scored,
            top,
            after.alerts - alerts_before,
            delivered,
            str(holder.current.database.data_dir) if services.db.embedded else None,
        )
        if report is not None:
            report(result)
        if not once:
            await serve(services, stop_on_signals())
        return result
