"""The watch service against real PostgreSQL: CRUD, scoping, and bad input that writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from core.db.pool import Pool
from core.models import ComponentType, Condition, Marketplace
from core.settings import Settings, load_settings, parse_cli_overrides
from core.watches import (
    DuplicateWatchError,
    InvalidWatchError,
    WatchNotFoundError,
    WatchService,
    hints,
    unsaved,
)

GUILD_A, GUILD_B = 111111111111111111, 222222222222222222
RAM_WATCH: dict[str, Any] = {
    "name": "DDR4 RDIMM",
    "query": "32GB DDR4 ECC RDIMM",
    "component_type": "ram",
}


@pytest.fixture
def settings() -> Settings:
    overrides = parse_cli_overrides(
        ["scoring.default_threshold=72", "ebay.default_marketplace=EBAY_GB"]
    )
    return load_settings(None, overrides, {}).settings


@pytest.fixture
def service(pool: Pool, settings: Settings) -> WatchService:
    return WatchService(pool, lambda: settings)


async def count(pool: Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM watches"))


async def test_add_fills_defaults_from_settings(service: WatchService) -> None:
    watch = await service.add(None, RAM_WATCH, owner_id=42)
    assert watch.id > 0
    assert watch.guild_id is None
    assert watch.owner_id == 42
    assert watch.component_type is ComponentType.RAM
    assert watch.marketplace is Marketplace.EBAY_GB
    assert watch.currency == "GBP"
    assert watch.threshold == 72
    assert watch.realert_step_pct == Decimal("5")
    assert watch.poll_interval_seconds == 900
    assert watch.enabled
    assert watch.filters == []


async def test_full_round_trip(service: WatchService, pool: Pool) -> None:
    created = await service.add(
        GUILD_A,
        {
            **RAM_WATCH,
            "marketplace": "ebay_de",
            "min_price": "10",
            "max_price": "80.50",
            "conditions": ["used_working", "like_new", "used_working"],
            "buying_options": ["fixed_price"],
            "filters": [
                "capacity_gb>=32",
                "generation=ddr4",
                {"attribute": "ecc", "op": "eq", "value": "yes"},
            ],
            "threshold": 90,
            "channel_id": 123,
            "cold_start_opt_in": True,
            "realert_step_pct": "2.5",
            "poll_interval_seconds": 300,
            "min_seller_feedback": 100,
            "min_seller_percent": "98.5",
            "top_rated_only": True,
        },
    )  # fmt: skip
    fetched = await service.get(GUILD_A, created.id)
    assert fetched == created
    assert fetched.marketplace is Marketplace.EBAY_DE
    assert fetched.max_price == Decimal("80.50")
    assert fetched.conditions == [Condition.USED_WORKING, Condition.LIKE_NEW]
    assert [f.describe() for f in fetched.filters] == [
        "capacity_gb>=32",
        "generation=DDR4",
        "ecc=true",
    ]
    assert await service.get(GUILD_A, "ddr4 rdimm") == created  # by name, any case
    assert [w.id for w in await service.list(GUILD_A)] == [created.id]

    edited = await service.edit(GUILD_A, created.id, {"threshold": 60, "filters": []})
    assert (edited.threshold, edited.filters, edited.query) == (60, [], created.query)
    assert edited.updated_at >= created.updated_at

    paused = await service.set_enabled(GUILD_A, created.name, False)
    assert not paused.enabled
    resumed = await service.set_enabled(GUILD_A, created.id, True)
    assert resumed.enabled
    assert resumed.next_run_at >= paused.next_run_at

    removed = await service.remove(GUILD_A, created.id)
    assert removed.id == created.id
    assert await count(pool) == 0
    with pytest.raises(WatchNotFoundError):
        await service.get(GUILD_A, created.id)


async def test_filter_values_are_stored_with_their_own_type(
    service: WatchService, pool: Pool
) -> None:
    await service.add(None, {**RAM_WATCH, "filters": ["capacity_gb=32", "registered=true"]})
    row = await pool.fetchrow(
        "SELECT jsonb_typeof(filters->0->'value') AS a, jsonb_typeof(filters->1->'value') AS b "
        "FROM watches"
    )
    assert row is not None
    assert (row["a"], row["b"]) == ("number", "boolean")


LONG = "x" * 351
BAD_INPUT = [
    ({"name": ""}, "name: must not be empty"),
    ({"name": "   "}, "name: must not be empty"),
    ({"query": ""}, "query: must not be empty"),
    ({"query": LONG}, "query: must be at most 350 characters (got 351)"),
    ({"threshold": 101}, "threshold: must be between 0 and 100 (got 101)"),
    ({"threshold": -1}, "threshold: must be between 0 and 100 (got -1)"),
    ({"threshold": "high"}, "threshold: input should be a valid integer"),
    ({"component_type": "ramm"}, "component_type: unknown component type 'ramm'; choose one"),
    ({"marketplace": "EBAY_FR"}, "marketplace: unknown marketplace 'EBAY_FR'; choose one of"),
    ({"filters": ["capacity_gb>>32"]}, "filters: cannot read filter 'capacity_gb>>32'"),
    ({"filters": ["colour=red"]}, "filters: unknown attribute 'colour' for type ram"),
    ({"filters": [{"attribute": "capacity_gb"}]}, "filters: malformed filter"),
    ({"filters": "capacity_gb>=32"}, "filters: filters must be a list"),
    ({"filters": ["capacity_gb>=many"]}, "filters: capacity_gb is a whole number, not 'many'"),
    ({"conditions": ["mint"]}, "conditions: unknown condition 'mint'"),
    ({"buying_options": ["RAFFLE"]}, "buying_options: unknown buying option 'RAFFLE'"),
    ({"filters": ["capacity_gb:32"]}, "filters: cannot read filter 'capacity_gb:32': write "
                                      "capacity_gb=32 for exactly 32, or capacity_gb>=32"),
    ({"max_price": "€60"}, "max_price: prices on EBAY_GB are in GBP, not EUR; write the "
                           "amount alone"),
    ({"marketplace": "EBAY_GB", "max_price": "$60"}, "max_price: prices on EBAY_GB are in "
                                                     "GBP, not dollars"),
    ({"category_ids": ["memory"]}, "category_ids: eBay category ids are numbers, got 'memory'"),
    ({"min_price": "50", "max_price": "10"}, "min_price (50) is above max_price (10)"),
    ({"min_price": "-1"}, "min_price: must be 0 or more (got -1)"),
    ({"poll_interval_seconds": 5}, "poll_interval_seconds: must be between 60 and 86400 seconds"),
    ({"realert_step_pct": 150}, "realert_step_pct: must be between 0 and 100 (got 150)"),
    ({"owner": 5}, "owner: is not a watch setting"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "message"), BAD_INPUT)
async def test_bad_input_is_explained_and_writes_nothing(
    service: WatchService, pool: Pool, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidWatchError) as info:
        await service.add(None, {**RAM_WATCH, **change})
    assert any(p.startswith(message) for p in info.value.problems), info.value.problems
    assert await count(pool) == 0


@pytest.mark.parametrize(("change", "message"), BAD_INPUT[:-1])
async def test_bad_edit_is_explained_and_changes_nothing(
    service: WatchService, pool: Pool, change: dict[str, Any], message: str
) -> None:
    original = await service.add(None, RAM_WATCH)
    with pytest.raises(InvalidWatchError) as info:
        await service.edit(None, original.id, change)
    assert any(p.startswith(message) for p in info.value.problems), info.value.problems
    assert await service.get(None, original.id) == original


@pytest.mark.parametrize(
    ("marketplace", "written", "price"),
    [("EBAY_US", "$60", "60"), ("EBAY_US", "US$ 60.50", "60.50"), ("EBAY_US", "60 USD", "60"),
     ("EBAY_GB", "£1,200", "1200"), ("EBAY_DE", "60,50 €", "60.50"), ("EBAY_AU", "A$90", "90"),
     ("EBAY_AU", "$90", "90"), ("EBAY_DE", "EUR 75", "75")],
)  # fmt: skip
async def test_prices_are_read_as_people_write_them(
    service: WatchService, marketplace: str, written: str, price: str
) -> None:
    watch = await service.add(None, {**RAM_WATCH, "marketplace": marketplace,
                                     "max_price": written})  # fmt: skip
    assert watch.max_price == Decimal(price)


async def test_conditions_are_read_as_people_write_them(service: WatchService) -> None:
    watch = await service.add(
        None, {**RAM_WATCH, "conditions": ["used", "Like New", "for-parts", "NEW"]}
    )
    assert watch.conditions == [Condition.USED_WORKING, Condition.LIKE_NEW,
                                Condition.FOR_PARTS, Condition.NEW]  # fmt: skip


async def test_problems_name_fields_as_each_front_end_does(service: WatchService) -> None:
    with pytest.raises(InvalidWatchError) as info:
        await service.add(None, {**RAM_WATCH, "component_type": "ramm", "conditions": ["mint"]})
    assert [field for field, _ in info.value.details] == ["component_type", "conditions"]
    assert info.value.lines({"component_type": "--type", "conditions": "--condition"}) == [
        "--type: unknown component type 'ramm'; choose one of ram, drive, server, cpu, nic, "
        "gpu, workstation, desktop, other",
        "--condition: unknown condition 'mint'; choose from new, like_new, used_working, "
        "for_parts, unknown",
    ]


async def test_changing_type_rechecks_filters(service: WatchService) -> None:
    watch = await service.add(None, {**RAM_WATCH, "filters": ["generation=DDR4"]})
    with pytest.raises(InvalidWatchError, match="unknown attribute 'generation' for type gpu"):
        await service.edit(None, watch.id, {"component_type": "gpu"})
    moved = await service.edit(
        None, watch.id, {"component_type": "gpu", "filters": ["vram_gb>=24"]}
    )
    assert moved.component_type is ComponentType.GPU


async def test_empty_edit_is_refused(service: WatchService) -> None:
    watch = await service.add(None, RAM_WATCH)
    with pytest.raises(InvalidWatchError, match="nothing to change"):
        await service.edit(None, watch.id, {})


async def test_names_are_unique_per_scope_ignoring_case(service: WatchService, pool: Pool) -> None:
    await service.add(GUILD_A, RAM_WATCH)
    with pytest.raises(DuplicateWatchError, match="already exists"):
        await service.add(GUILD_A, {**RAM_WATCH, "name": "ddr4 rdimm"})
    assert await count(pool) == 1
    await service.add(GUILD_B, RAM_WATCH)  # another guild may reuse the name
    await service.add(None, RAM_WATCH)  # and so may the local scope
    other = await service.add(GUILD_A, {**RAM_WATCH, "name": "Other"})
    with pytest.raises(DuplicateWatchError):
        await service.edit(GUILD_A, other.id, {"name": "DDR4 RDIMM"})
    assert await count(pool) == 4


async def test_a_guild_sees_only_its_own_watches(service: WatchService, pool: Pool) -> None:
    mine = await service.add(GUILD_A, RAM_WATCH)
    await service.add(GUILD_B, {**RAM_WATCH, "name": "theirs"})
    assert [w.name for w in await service.list(GUILD_A)] == ["DDR4 RDIMM"]
    assert await service.list(None) == []
    for attempt in (
        service.get(GUILD_B, mine.id),
        service.edit(GUILD_B, mine.id, {"threshold": 1}),
        service.set_enabled(GUILD_B, mine.id, False),
        service.remove(GUILD_B, mine.id),
        service.get(None, mine.id),
    ):
        with pytest.raises(WatchNotFoundError):
            await attempt
    assert await service.get(GUILD_A, mine.id) == mine
    assert await count(pool) == 2


async def test_unknown_reference(service: WatchService) -> None:
    with pytest.raises(WatchNotFoundError, match="no watch 'nope' here"):
        await service.get(None, "nope")
    with pytest.raises(WatchNotFoundError, match="give a watch id or name"):
        await service.remove(None, "  ")


async def test_filters_are_added_removed_by_text_or_number_and_cleared(
    service: WatchService,
) -> None:
    watch = await service.add(GUILD_A, {**RAM_WATCH, "filters": ["capacity_gb>=32"]})
    added = await service.change_filters(GUILD_A, watch.id, add=["generation=ddr4"])
    assert [f.describe() for f in added.filters] == ["capacity_gb>=32", "generation=DDR4"]
    by_text = await service.change_filters(GUILD_A, "ddr4 rdimm", remove=["CAPACITY_GB >= 32"])
    assert [f.describe() for f in by_text.filters] == ["generation=DDR4"]
    by_number = await service.change_filters(GUILD_A, watch.id, remove=["1"])
    assert by_number.filters == []
    with pytest.raises(InvalidWatchError, match="is not set"):
        await service.change_filters(GUILD_A, watch.id, remove=["ecc=true"])
    with pytest.raises(InvalidWatchError, match="unknown attribute 'vram_gb'"):
        await service.change_filters(GUILD_A, watch.id, add=["vram_gb>=24"])
    both = await service.change_filters(GUILD_A, watch.id, add=["ecc=yes", "registered=1"])
    assert len(both.filters) == 2
    assert (await service.change_filters(GUILD_A, watch.id, clear=True)).filters == []
    with pytest.raises(WatchNotFoundError):
        await service.change_filters(GUILD_B, watch.id, add=["ecc=true"])


async def test_a_new_channel_clears_the_old_channels_delivery_problem(
    service: WatchService, pool: Pool
) -> None:
    watch = await service.add(GUILD_A, {**RAM_WATCH, "channel_id": 5})
    await pool.execute(
        "UPDATE watches SET delivery_error = 'gone', delivery_error_at = now() WHERE id = $1",
        watch.id,
    )
    same = await service.edit(GUILD_A, watch.id, {"threshold": 90})
    assert same.delivery_error == "gone"  # other edits keep the flag
    moved = await service.edit(GUILD_A, watch.id, {"channel_id": 6})
    assert (moved.delivery_error, moved.delivery_error_at) == (None, None)


async def test_resuming_lifts_a_mute_and_names_autocomplete_within_the_scope(
    service: WatchService, pool: Pool
) -> None:
    watch = await service.add(GUILD_A, RAM_WATCH)
    await service.add(GUILD_A, {**RAM_WATCH, "name": "SAS SSD", "query": "ssd",
                                "component_type": "drive"})  # fmt: skip
    await service.add(GUILD_B, {**RAM_WATCH, "name": "DDR4 elsewhere"})
    await pool.execute("UPDATE watches SET muted_until = now() + interval '1 day'")
    await service.set_enabled(GUILD_A, watch.id, False)
    resumed = await service.set_enabled(GUILD_A, watch.id, True)
    assert resumed.enabled
    assert resumed.muted_until is None
    assert [n for _, n, _ in await service.names(GUILD_A, "ddr")] == ["DDR4 RDIMM"]
    assert [n for _, n, _ in await service.names(GUILD_A, "")] == ["DDR4 RDIMM", "SAS SSD"]
    assert [n for _, n, _ in await service.names(GUILD_B, "ddr")] == ["DDR4 elsewhere"]


@pytest.mark.parametrize(
    ("kind", "filters", "hinted"),
    [
        ("ram", ["capacity_gb>=128"], "total_capacity_gb>=128"),
        ("drive", ["capacity_gb=4000"], "total_capacity_gb=4000"),
        ("ram", ["capacity_gb>=64", "total_capacity_gb>=128"], None),  # already kit-aware
        ("ram", ["generation=DDR4"], None),
        ("gpu", ["vram_gb>=24"], None),
    ],
)
def test_a_per_module_capacity_filter_gets_a_hint_about_total_capacity(
    kind: str, filters: list[str], hinted: str | None
) -> None:
    settings = load_settings(None, None, {}).settings
    watch = unsaved({"name": "w", "query": "q", "component_type": kind, "filters": filters},
                    settings, datetime.now(UTC))  # fmt: skip
    found = hints(watch)
    if hinted is None:
        assert found == []
    else:
        (hint,) = found
        assert hint.endswith(f"filter on total_capacity_gb instead, e.g. {hinted}")
