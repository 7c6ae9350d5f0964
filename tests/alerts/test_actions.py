"""What the alert buttons do, in PostgreSQL: dismiss, restore, mute a watch, not a deal."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.alerts.actions import AlertActions, AlertNotFoundError
from core.db.pool import Pool
from tests.alerts.test_alerts_db import Pipeline
from tests.pricing.test_baselines import NOW

GUILD, OTHER, USER = 111, 222, 999


async def deal(p: Pipeline, guild: int | None = GUILD, name: str = "ram deals") -> tuple[int, int]:
    """A watch whose cheap listing alerts; returns (watch, alert)."""
    watch = await p.watch(name=name, guild_id=guild, threshold=80)
    cheap = await p.market.listing("20", seen=NOW - timedelta(minutes=30))
    await p.found(watch, cheap)
    for price in range(100, 200, 4):  # 25 prices: a mature market
        await p.found(watch, await p.market.listing(str(price)))
    await p.pool.execute("UPDATE listings SET seller_top_rated = true, image_url = 'x'")
    await p.baselines.refresh()
    alert = await p.pool.fetchval(
        "SELECT id FROM alerts WHERE watch_id = $1 AND listing_id = $2", watch, cheap
    )
    assert alert is not None
    return watch, alert


async def test_a_dismissed_alert_is_never_sent_and_can_be_restored(pool: Pool) -> None:
    p = Pipeline(pool)
    _, alert = await deal(p)
    actions = AlertActions(pool, p.clock)
    info = await actions.dismiss(GUILD, alert, USER)
    assert info.status == "dismissed"
    assert await pool.fetchval("SELECT dismissed_by FROM alerts WHERE id = $1", alert) == USER
    others = await pool.fetchval("SELECT count(*) FROM alerts WHERE id <> $1", alert)
    assert await p.console.deliver_pending() == others  # all but the dismissed one
    assert await pool.fetchval(
        "SELECT o.status FROM outbox o JOIN alerts a ON a.outbox_id = o.id WHERE a.id = $1", alert
    ) == "cancelled"  # fmt: skip
    restored = await actions.restore(GUILD, alert)
    assert restored.status == "queued"
    assert await p.console.deliver_pending() >= 1
    assert (await actions.get(GUILD, alert)).status == "delivered"


async def test_another_guild_cannot_touch_an_alert(pool: Pool) -> None:
    p = Pipeline(pool)
    _, alert = await deal(p)
    actions = AlertActions(pool, p.clock)
    for act in (
        actions.dismiss(OTHER, alert, USER),
        actions.not_a_deal(OTHER, alert, USER),
        actions.mute_watch(OTHER, alert),
        actions.dismiss(None, alert, USER),
    ):
        with pytest.raises(AlertNotFoundError):
            await act
    row = await pool.fetchrow("SELECT status, feedback FROM alerts WHERE id = $1", alert)
    assert row is not None
    assert (row["status"], row["feedback"]) == ("queued", None)
    assert await pool.fetchval("SELECT count(*) FROM watches WHERE muted_until IS NOT NULL") == 0


async def test_not_a_deal_is_stored_with_who_said_it(pool: Pool) -> None:
    p = Pipeline(pool)
    _, alert = await deal(p)
    info = await AlertActions(pool, p.clock).not_a_deal(GUILD, alert, USER)
    assert info.feedback == "not_a_deal"
    row = await pool.fetchrow("SELECT feedback_by, feedback_at FROM alerts WHERE id = $1", alert)
    assert row is not None
    assert (row["feedback_by"], row["feedback_at"]) == (USER, NOW)


async def test_a_muted_watch_holds_its_alerts_and_makes_none_until_the_mute_ends(
    pool: Pool,
) -> None:
    p = Pipeline(pool)
    watch, alert = await deal(p)
    actions = AlertActions(pool, p.clock)
    info, held = await actions.mute_watch(GUILD, alert)
    assert info.muted_until == NOW + timedelta(hours=24)
    assert held >= 1
    assert (await actions.get(GUILD, alert)).status == "muted"
    assert await p.console.deliver_pending() == 0
    newer = await p.market.listing("19", seen=NOW - timedelta(minutes=5))
    # a trusted seller: this far under the market from a new one would be too good to be true
    await pool.execute("UPDATE listings SET seller_top_rated = true WHERE id = $1", newer)
    await p.found(watch, newer)
    await p.baselines.refresh()
    assert await pool.fetchval("SELECT count(*) FROM alerts WHERE listing_id = $1", newer) == 0
    p.clock.advance(24 * 3600 + 1)
    await p.scorer.rescore(listing_ids=[newer])
    assert await pool.fetchval("SELECT count(*) FROM alerts WHERE listing_id = $1", newer) == 1


async def test_dismissing_a_digest_message_dismisses_all_it_carried(pool: Pool) -> None:
    p = Pipeline(pool)
    await deal(p)
    ids = [r["id"] for r in await pool.fetch("SELECT id FROM alerts ORDER BY id")]
    await pool.execute(
        "UPDATE outbox SET message_id = 5000 WHERE id IN (SELECT outbox_id FROM alerts)"
    )
    actions = AlertActions(pool, p.clock)
    with pytest.raises(AlertNotFoundError):
        await actions.dismiss_message(OTHER, 5000, USER)
    assert await actions.dismiss_message(GUILD, 5000, USER) == len(ids)
    statuses = {r["status"] for r in await pool.fetch("SELECT status FROM alerts")}
    assert statuses == {"dismissed"}
    with pytest.raises(AlertNotFoundError):
        await actions.dismiss_message(GUILD, 5001, USER)
