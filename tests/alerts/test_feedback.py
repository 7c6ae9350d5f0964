"""Feedback closes the loop, in PostgreSQL: "Not a deal" presses counted per watch and per
product key, precision, guild isolation, and when a stricter setting is suggested.

Alerts are written directly (delivered or not, pressed or not, at a given age), so these
tests do not depend on how scores and alert decisions are made.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from core.alerts.feedback import (
    SUGGEST_MIN_PRESSES,
    FeedbackService,
    Precision,
    Suggestion,
)
from core.db.pool import Pool
from core.settings import load_settings
from core.watches import Watch, WatchService

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
GUILD, OTHER, USER = 111, 222, 999
KEY = "ram:ddr4:ecc_reg:32gb:2666"
KEY_16 = "ram:ddr4:ecc_reg:16gb:2666"
RAM_32 = {"generation": "DDR4", "capacity_gb": 32, "speed_mhz": 2666, "ecc": True,
          "registered": True}  # fmt: skip
RAM_16 = {**RAM_32, "capacity_gb": 16}


class Seed:
    """Watches, listings with their extraction, and alerts as delivery and buttons leave them."""

    def __init__(self, pool: Pool, now: datetime = NOW) -> None:
        self.pool = pool
        self.now = now
        self.n = 0
        settings = load_settings(None, None, {}).settings
        self.watches = WatchService(pool, lambda: settings)
        self.feedback = FeedbackService(pool, lambda: now)

    async def watch(self, guild: int | None = GUILD, name: str = "DDR4 deals",
                    **fields: Any) -> Watch:  # fmt: skip
        return await self.watches.add(
            guild, {"name": name, "query": "DDR4", "component_type": "ram", "threshold": 80,
                    **fields},
        )  # fmt: skip

    async def listing(self, key: str | None = KEY, attributes: dict[str, Any] | None = None) -> int:
        self.n += 1
        listing_id: int = await self.pool.fetchval(
            "INSERT INTO listings (marketplace, item_id, title, currency, price, shipping) "
            "VALUES ('EBAY_US', $1, $2, 'USD', 40, 0) RETURNING id",
            f"v1|{self.n}|0", f"Samsung DDR4 RDIMM #{self.n}",
        )  # fmt: skip
        await self.pool.execute(
            "INSERT INTO extractions (listing_id, component_type, attributes, confidence, method, "
            "quantity, product_key) VALUES ($1, 'ram', $2, 0.95, 'rules', 1, $3)",
            listing_id, RAM_32 if attributes is None else attributes, key,
        )  # fmt: skip
        return listing_id

    async def alert(
        self, watch: Watch, *, listing: int | None = None, key: str | None = KEY,
        attributes: dict[str, Any] | None = None, price: str = "40", not_a_deal: bool = False,
        delivered: bool = True, age: timedelta = timedelta(days=1),
    ) -> int:  # fmt: skip
        if listing is None:
            listing = await self.listing(key, attributes)
        created = self.now - age
        alert_id: int = await self.pool.fetchval(
            "INSERT INTO alerts (watch_id, listing_id, guild_id, score, unit_price, currency, "
            "status, created_at, delivered_at, feedback, feedback_by, feedback_at) "
            "VALUES ($1, $2, $3, 92, $4, 'USD', $5, $6, $7, $8, $9, $10) RETURNING id",
            watch.id, listing, watch.guild_id, Decimal(price),
            "delivered" if delivered else "queued", created,
            created + timedelta(seconds=2) if delivered else None,
            "not_a_deal" if not_a_deal else None, USER if not_a_deal else None,
            created + timedelta(hours=1) if not_a_deal else None,
        )  # fmt: skip
        return alert_id

    async def alerts(self, watch: Watch, kept: int, pressed: int, **options: Any) -> None:
        for _ in range(kept):
            await self.alert(watch, **options)
        for _ in range(pressed):
            await self.alert(watch, not_a_deal=True, **options)


@pytest.fixture
def seed(pool: Pool) -> Seed:
    return Seed(pool)


# ------------------------------------------------------------------ counts and precision


async def test_counts_precision_and_presses_per_product_key(seed: Seed) -> None:
    watch = await seed.watch()
    await seed.alerts(watch, kept=6, pressed=1)
    await seed.alert(watch, key=KEY_16, attributes=RAM_16, not_a_deal=True)
    await seed.alert(watch, key=KEY_16, attributes=RAM_16)
    # Not counted: never delivered (even if marked), or older than the window.
    await seed.alert(watch, delivered=False)
    await seed.alert(watch, delivered=False, not_a_deal=True)
    await seed.alert(watch, not_a_deal=True, age=timedelta(days=91))
    # Another watch of the same guild has its own figures.
    other = await seed.watch(name="other watch")
    await seed.alerts(other, kept=0, pressed=2)

    found = await seed.feedback.watch_precision(GUILD, watch.id)
    assert (found.delivered, found.not_a_deal, found.kept) == (9, 2, 7)
    assert found.precision == pytest.approx(7 / 9)
    assert found.by_product_key == ((KEY_16, 1), (KEY, 1))  # ties by key
    assert found.summary() == "7 of 9 alerts kept (78%), 2 marked not a deal (last 90 days)"
    assert found.as_dict()["precision"] == 0.778

    wider = await seed.feedback.watch_precision(GUILD, watch.id, days=120)
    assert (wider.delivered, wider.not_a_deal) == (10, 3)
    assert wider.summary().endswith("(last 120 days)")

    every = await seed.feedback.precision_by_watch(GUILD)
    assert set(every) == {watch.id, other.id}
    assert every[watch.id] == found
    assert (
        every[other.id].summary() == "0 of 2 alerts kept (0%), 2 marked not a deal (last 90 days)"
    )


async def test_no_feedback_yet(seed: Seed) -> None:
    watch = await seed.watch()
    none = await seed.feedback.watch_precision(GUILD, watch.id)
    assert (none.delivered, none.precision) == (0, None)
    assert none.summary() == "no feedback yet (no alerts delivered in the last 90 days)"
    await seed.alerts(watch, kept=3, pressed=0)
    quiet = await seed.feedback.watch_precision(GUILD, watch.id)
    assert quiet.precision == 1.0
    assert quiet.summary() == "no feedback yet (3 alerts delivered in the last 90 days)"
    assert await seed.feedback.suggestion(GUILD, watch) is None


def test_percentages_never_round_to_all_or_nothing() -> None:
    assert "(99%)" in Precision(1, 90, 300, 1).summary()
    assert "(1%)" in Precision(1, 90, 300, 299).summary()
    assert Precision(1, 90, 1, 1).summary() == (
        "0 of 1 alert kept (0%), 1 marked not a deal (last 90 days)")  # fmt: skip


async def test_another_guilds_presses_never_count(seed: Seed) -> None:
    ours = await seed.watch()
    theirs = await seed.watch(guild=OTHER, name="their watch")
    local = await seed.watch(guild=None, name="local watch")
    await seed.alerts(ours, kept=4, pressed=0)
    for _ in range(5):  # the same listings found by their watch, all marked not a deal
        shared = await seed.listing()
        await seed.alert(ours, listing=shared)
        await seed.alert(theirs, listing=shared, not_a_deal=True)
    await seed.alerts(local, kept=0, pressed=4)

    mine = await seed.feedback.watch_precision(GUILD, ours.id)
    assert (mine.delivered, mine.not_a_deal) == (9, 0)
    assert set(await seed.feedback.precision_by_watch(GUILD)) == {ours.id}
    assert await seed.feedback.suggestion(GUILD, ours) is None
    # Asking from another scope about our watch finds nothing of it.
    for scope in (OTHER, None):
        leaked = await seed.feedback.watch_precision(scope, ours.id)
        assert (leaked.delivered, leaked.not_a_deal) == (0, 0)
    assert set(await seed.feedback.precision_by_watch(OTHER)) == {theirs.id}
    assert (await seed.feedback.watch_precision(OTHER, theirs.id)).not_a_deal == 5
    assert set(await seed.feedback.precision_by_watch(None)) == {local.id}
    assert await seed.feedback.suggestion(OTHER, ours) is None
    assert await seed.feedback.suggestion(GUILD, theirs) is None  # their presses, our scope
    assert await seed.feedback.suggestion(OTHER, theirs) is not None


# ------------------------------------------------------------------ suggestions


@pytest.mark.parametrize(
    ("kept", "pressed", "suggested"),
    [
        (7, 3, True),  # 3 presses, 30%: both thresholds met exactly
        (0, 3, True),
        (8, 3, False),  # 3 presses but 27%
        (2, 2, False),  # 50% but only 2 presses
        (0, 2, False),
    ],
)
async def test_a_suggestion_needs_enough_presses_and_a_large_enough_share(
    seed: Seed, kept: int, pressed: int, suggested: bool
) -> None:
    watch = await seed.watch()
    await seed.alerts(watch, kept=kept, pressed=pressed)
    found = await seed.feedback.suggestion(GUILD, watch)
    assert (found is not None) == suggested
    if found is not None:
        assert found == Suggestion(
            "threshold", "85", "raise the threshold from 80 to 85",
            f"{pressed} of {kept + pressed} alerts were marked not a deal in the last 30 days",
        )  # fmt: skip
    assert SUGGEST_MIN_PRESSES == 3


async def test_only_the_last_30_days_count_towards_a_suggestion(seed: Seed) -> None:
    watch = await seed.watch()
    await seed.alerts(watch, kept=2, pressed=2)
    await seed.alert(watch, not_a_deal=True, age=timedelta(days=31))
    assert await seed.feedback.suggestion(GUILD, watch) is None
    precision, suggestion = await seed.feedback.review(GUILD, watch)
    assert (precision.delivered, precision.not_a_deal, suggestion) == (5, 3, None)
    await seed.alert(watch, not_a_deal=True, age=timedelta(days=29))
    precision, suggestion = await seed.feedback.review(GUILD, watch)
    assert suggestion is not None
    assert suggestion.change == "raise the threshold from 80 to 85"


async def test_the_threshold_suggestion_stops_at_100(seed: Seed) -> None:
    near = await seed.watch(name="near", threshold=98)
    top = await seed.watch(name="top", threshold=100)
    for watch in (near, top):
        await seed.alerts(watch, kept=1, pressed=3)
    found = await seed.feedback.suggestion(GUILD, near)
    assert found is not None
    assert (found.value, found.change) == ("100", "raise the threshold from 98 to 100")
    assert await seed.feedback.suggestion(GUILD, top) is None


async def test_presses_on_one_product_suggest_a_filter_that_leaves_it_out(seed: Seed) -> None:
    watch = await seed.watch(filters=["generation=DDR4"])
    await seed.alerts(watch, kept=4, pressed=1)
    await seed.alerts(watch, kept=0, pressed=3, key=KEY_16, attributes=RAM_16)
    found = await seed.feedback.suggestion(GUILD, watch)
    assert found == Suggestion(
        "filter", "capacity_gb>=32", f"add the filter capacity_gb>=32, which leaves out {KEY_16}",
        f"4 of 8 alerts were marked not a deal in the last 30 days, 3 of them on {KEY_16}",
    )  # fmt: skip
    # A text attribute works the same way: DDR3 presses, DDR4 kept.
    ddr = await seed.watch(name="any generation")
    await seed.alerts(ddr, kept=3, pressed=0)
    await seed.alerts(ddr, kept=0, pressed=3, key="ram:ddr3:ecc_reg:32gb:2666",
                      attributes={**RAM_32, "generation": "DDR3", "speed_mhz": 1600})  # fmt: skip
    found = await seed.feedback.suggestion(GUILD, ddr)
    assert found is not None
    assert (found.setting, found.value) == ("filter", "generation=DDR4")


async def test_presses_on_one_product_without_a_telling_attribute_suggest_a_max_price(
    seed: Seed,
) -> None:
    watch = await seed.watch()
    await seed.alerts(watch, kept=4, pressed=0, price="45")
    await seed.alert(watch, price="39.5")
    # Titles that did not state the capacity: no attribute tells these listings apart.
    vague = {"generation": "DDR4"}
    for price in ("90", "95", "120"):
        await seed.alert(watch, key=KEY_16, attributes=vague, price=price, not_a_deal=True)
    found = await seed.feedback.suggestion(GUILD, watch)
    assert found == Suggestion(
        "max_price", "45.00",
        f"set the max unit price to 45.00 USD, under every not-a-deal price of {KEY_16}",
        f"3 of 8 alerts were marked not a deal in the last 30 days, 3 of them on {KEY_16}",
    )  # fmt: skip
    # A watch already capped at that price gets the threshold instead.
    capped = await seed.watch(name="capped", max_price="45")
    await seed.alerts(capped, kept=4, pressed=0, price="45")
    for price in ("90", "95", "120"):
        await seed.alert(capped, key=KEY_16, attributes=vague, price=price, not_a_deal=True)
    found = await seed.feedback.suggestion(GUILD, capped)
    assert found is not None
    assert found.setting == "threshold"


async def test_spread_out_presses_suggest_the_threshold(seed: Seed) -> None:
    watch = await seed.watch()
    await seed.alerts(watch, kept=3, pressed=0)
    await seed.alert(watch, not_a_deal=True)
    await seed.alert(watch, key=KEY_16, attributes=RAM_16, not_a_deal=True)
    await seed.alert(watch, key=None, attributes={}, not_a_deal=True)
    found = await seed.feedback.suggestion(GUILD, watch)
    assert found is not None
    assert found.setting == "threshold"


async def test_suggestions_are_read_only_for_the_watches_that_need_one(seed: Seed) -> None:
    noisy = await seed.watch(name="noisy")
    fine = await seed.watch(name="fine")
    await seed.alerts(noisy, kept=2, pressed=3)
    await seed.alerts(fine, kept=9, pressed=1)
    found = await seed.feedback.suggestions(GUILD, [noisy, fine])
    assert set(found) == {noisy.id}
    assert await seed.feedback.suggestions(OTHER, [noisy, fine]) == {}
    # Text only: the watch is unchanged.
    assert (await seed.watches.get(GUILD, noisy.id)).threshold == 80
