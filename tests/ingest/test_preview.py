"""`/watch test`'s engine against the sandbox marketplace: what would alert, storing nothing."""

from __future__ import annotations

from core.alerts.preview import WatchPreview
from core.extract.service import Extractor
from core.jobs.extract import ExtractionWorker
from core.jobs.ingest import Ingestor
from core.pricing.baselines import BaselineService
from tests.ingest.conftest import Env

TABLES = ("listings", "watch_hits", "extractions", "scores", "alerts", "outbox")


async def counts(env: Env) -> dict[str, int]:
    return {t: await env.pool.fetchval(f"SELECT count(*) FROM {t}") for t in TABLES}


def preview(env: Env) -> WatchPreview:
    env.configure("extract.backend=rules")
    return WatchPreview(
        env.pool, env.client, Extractor(lambda: env.settings), lambda: env.settings, env.clock
    )


async def test_a_cold_market_would_alert_only_with_the_opt_in_and_nothing_is_stored(
    env: Env,
) -> None:
    watch = await env.watch(query="DDR4", marketplace="EBAY_US", threshold=10)
    before = await counts(env)
    result = await preview(env).run(watch)
    assert await counts(env) == before
    assert result.searched == len(result.items) > 0
    assert result.total >= result.searched
    assert result.alerting == []  # no baseline yet: immature, and the watch did not opt in
    assert any("immature" in i.reason for i in result.items)
    opted = await env.watches.edit(None, watch.id, {"cold_start_opt_in": True})
    again = await preview(env).run(opted)
    assert again.alerting
    assert all(i.cold_start and i.component_type.value == "ram" for i in again.alerting)
    scores = [i.score or 0.0 for i in again.alerting]
    assert scores == sorted(scores, reverse=True)


async def test_with_a_mature_market_only_deals_over_the_threshold_would_alert(env: Env) -> None:
    env.configure("extract.backend=rules", "ebay.page_size=200", "ebay.sweep_max_pages=3")
    # The catalog's 32GB DDR4 modules on EBAY_DE include a real deal (a Samsung RDIMM at a
    # third of its market, from a seller with 94,000 ratings) among ordinary prices.
    watch = await env.watch(query="32GB DDR4", marketplace="EBAY_DE", threshold=80)
    await Ingestor(env.pool, env.client, lambda: env.settings, env.clock).run_watch(watch)
    # Read the ingested titles (jobs are due at the database's now; the test runs earlier)
    # and build the market the preview is judged against.
    await env.pool.execute("UPDATE extraction_jobs SET next_attempt_at = $1", env.clock())
    worker = ExtractionWorker(env.pool, Extractor(lambda: env.settings), lambda: env.settings,
                              env.clock, "test")  # fmt: skip
    await worker.drain()
    await BaselineService(env.pool, lambda: env.settings, env.clock).refresh()
    # The catalog spreads DDR4 over many products; count each market as mature.
    await env.pool.execute("UPDATE baselines SET sample_count = 100")
    result = await preview(env).run(watch)
    assert result.alerting
    assert all(i.score is not None and i.score >= 80 for i in result.alerting)
    assert all(not i.cold_start for i in result.alerting)
    refused = [i for i in result.items if not i.would_alert and i.score is not None]
    assert refused
    assert all(i.reason for i in refused)
    assert await env.pool.fetchval("SELECT count(*) FROM alerts") == 0
