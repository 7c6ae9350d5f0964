"""Alerts end to end in PostgreSQL: scored listings -> alerts -> outbox -> console delivery."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from core.alerts.console import ConsoleDelivery
from core.alerts.service import AlertService
from core.db import alerts as repo
from core.db.pool import Pool
from core.pricing.baselines import BaselineService
from core.pricing.scorer import Scorer
from core.settings import load_settings, parse_cli_overrides
from tests.clock import ManualClock
from tests.pricing.test_baselines import NOW, Market

# A dozen listings make a mature market for tests about pages, buttons and delivery rather
# than about maturity (the default asks for 20).
SMALL_MARKET = ("scoring.alert_min_samples=10",)


class Pipeline:
    def __init__(self, pool: Pool, overrides: tuple[str, ...] = ()) -> None:
        settings = load_settings(None, parse_cli_overrides(list(overrides)), {}).settings
        self.pool = pool
        self.clock = ManualClock(NOW)
        self.alerts = AlertService(pool, lambda: settings, self.clock)
        self.scorer = Scorer(pool, lambda: settings, self.clock, self.alerts.evaluate)
        self.baselines = BaselineService(pool, lambda: settings, self.clock,
                                         lambda keys: self.scorer.rescore(keys=keys))  # fmt: skip
        self.out = io.StringIO()
        self.console = ConsoleDelivery(pool, self.clock, "test", self.out)
        self.market = Market(pool)

    async def watch(self, **columns: Any) -> int:
        fields = {"name": "ram deals", "threshold": 80, **columns}
        names = ", ".join(fields)
        marks = ", ".join(f"${i}" for i in range(1, len(fields) + 1))
        watch_id: int = await self.pool.fetchval(
            f"INSERT INTO watches (query, component_type, marketplace, poll_interval_seconds, "
            f"{names}) VALUES ('ddr4', 'ram', 'EBAY_US', 900, {marks}) RETURNING id",
            *fields.values(),
        )
        return watch_id

    async def found(self, watch_id: int, listing_id: int) -> None:
        await self.pool.execute(
            "INSERT INTO watch_hits (watch_id, listing_id) VALUES ($1, $2)", watch_id, listing_id
        )


async def test_a_deal_alerts_once_is_delivered_and_realerts_on_a_drop(pool: Pool) -> None:
    p = Pipeline(pool)
    watch = await p.watch(threshold=90)
    cheap = await p.market.listing("20", seen=NOW - timedelta(minutes=30))
    await p.found(watch, cheap)
    for price in range(100, 200, 4):  # 25 prices: a mature market
        await p.found(watch, await p.market.listing(str(price)))
    await pool.execute("UPDATE listings SET seller_top_rated = true, image_url = 'x'")
    await p.baselines.refresh()  # rescoring, then alert decisions, follow by themselves
    alerts = await pool.fetch("SELECT * FROM alerts")
    # only the deep discount: the cheap end of the market (P10 is 110 here) is no deal
    assert {a["listing_id"] for a in alerts} == {cheap}
    assert {(a["sequence"], a["status"]) for a in alerts} == {(1, "queued")}
    # scoring again changes nothing: one alert per (watch, listing)
    await p.scorer.rescore()
    assert await pool.fetchval("SELECT count(*) FROM alerts") == 1
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 1
    # delivery prints each once and records the attempt
    assert await p.console.deliver_pending() == 1
    assert await p.console.deliver_pending() == 0
    printed = p.out.getvalue()
    assert "[ram deals] score" in printed
    assert "20.00 USD per unit" in printed
    rows = await p.alerts.recent(None)
    assert {(r["status"], r["attempts"]) for r in rows} == {("delivered", 1)}
    # a drop under the 5% step does not re-alert; a bigger one does
    await pool.execute("UPDATE listings SET price = 19.5 WHERE id = $1", cheap)
    await p.scorer.rescore(listing_ids=[cheap])
    assert await pool.fetchval("SELECT count(*) FROM alerts WHERE listing_id = $1", cheap) == 1
    await pool.execute("UPDATE listings SET price = 18 WHERE id = $1", cheap)
    await p.scorer.rescore(listing_ids=[cheap])
    sequences = await pool.fetch(
        "SELECT sequence FROM alerts WHERE listing_id = $1 ORDER BY sequence", cheap
    )
    assert [s["sequence"] for s in sequences] == [1, 2]


async def test_muted_and_paused_watches_and_cold_baselines_do_not_alert(pool: Pool) -> None:
    p = Pipeline(pool)
    muted = await p.watch(name="muted", guild_id=7)
    paused = await p.watch(name="paused", enabled=False)
    cold = await p.watch(name="cold")
    only = await p.market.listing("5")
    for watch in (muted, paused, cold):
        await p.found(watch, only)
    await pool.execute(
        "INSERT INTO mutes (guild_id, kind, value) VALUES (7, 'product_key', $1)",
        "ram:ddr4:ecc_reg:32gb:2666",
    )
    await p.baselines.refresh()  # one sample: immature, and `cold` did not opt in
    assert await pool.fetchval("SELECT count(*) FROM alerts") == 0
    await pool.execute("UPDATE watches SET cold_start_opt_in = true, threshold = 10")
    await p.scorer.rescore()
    watches = await pool.fetch("SELECT watch_id, cold_start FROM alerts")
    assert [(w["watch_id"], w["cold_start"]) for w in watches] == [(cold, True)]


async def test_a_crashed_senders_message_is_sent_again(pool: Pool) -> None:
    p = Pipeline(pool)
    watch = await p.watch(threshold=1, cold_start_opt_in=True)
    listing = await p.market.listing("20")
    await p.found(watch, listing)
    await p.baselines.refresh()
    async with pool.acquire() as conn:
        (claimed,) = await repo.claim_outbox(conn, "crashed", ["console"], NOW, 60, 10)
    assert await p.console.deliver_pending() == 0  # still leased by the crashed sender
    p.clock.advance(61)
    assert await p.console.deliver_pending() == 1
    assert claimed["alert_id"] is not None
