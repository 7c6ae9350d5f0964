"""Alert decisions per watch (DOMAIN.md, "Alert semantics")."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from core.alerts.decide import Candidate, decide
from core.filters import validate_filters
from core.models import ComponentType, Condition
from core.watches import Watch

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def watch(**changes: Any) -> Watch:
    base: dict[str, Any] = {
        "id": 1, "guild_id": None, "owner_id": None, "name": "w", "query": "q",
        "component_type": "ram", "marketplace": "EBAY_US", "threshold": 80,
        "realert_step_pct": Decimal("5"), "poll_interval_seconds": 900, "next_run_at": NOW,
        "last_run_at": None, "last_sweep_at": None, "last_error": None,
        "avg_calls_per_run": 1, "lease_holder": None, "lease_expires_at": None,
        "created_at": NOW, "updated_at": NOW,
    }  # fmt: skip
    base.update(changes)
    if "filters" in changes:
        base["filters"] = [
            f.model_dump() for f in validate_filters(changes["filters"], ComponentType.RAM)
        ]
    return Watch.model_validate(base)


GOOD = Candidate(
    component_type=ComponentType.RAM,
    attributes={"generation": "DDR4", "capacity_gb": 32, "registered": True},
    quantity=1,
    condition=Condition.USED_WORKING,
    unit_price=Decimal("30"),
    score=91.0,
    cold_start=False,
    seller_feedback_score=5000,
    seller_feedback_percent=Decimal("99.5"),
    seller_top_rated=True,
)


def test_a_deal_passing_everything_alerts() -> None:
    assert decide(watch(), GOOD).alert


@pytest.mark.parametrize(
    ("changes", "candidate", "reason"),
    [
        ({}, replace(GOOD, component_type=ComponentType.OTHER), "type other"),
        ({"max_price": "25"}, GOOD, "over 25"),
        ({"min_price": "35"}, GOOD, "under 35"),
        ({}, replace(GOOD, condition=Condition.FOR_PARTS), "for parts"),
        ({"conditions": ["new"]}, GOOD, "condition used_working not wanted"),
        ({"top_rated_only": True}, replace(GOOD, seller_top_rated=False), "not top-rated"),
        ({"min_seller_feedback": 10000}, GOOD, "feedback score too low"),
        ({"min_seller_percent": "99.9"}, GOOD, "positive feedback too low"),
        ({"filters": ["capacity_gb>=64"]}, GOOD, "filter capacity_gb>=64"),
        ({"filters": ["generation=DDR5"]}, GOOD, "filter generation=DDR5"),
        ({"filters": ["speed_mhz>=2400"]}, GOOD, "filter speed_mhz>=2400"),  # unknown speed
        ({}, replace(GOOD, cold_start=True), "baseline immature"),
        ({"threshold": 95}, GOOD, "under threshold 95"),
        ({}, replace(GOOD, last_alert_unit_price=Decimal("31")), "already alerted at 31"),
    ],
)
def test_no_alert_and_why(changes: dict[str, Any], candidate: Candidate, reason: str) -> None:
    decision = decide(watch(**changes), candidate)
    assert not decision.alert
    assert reason in decision.reason


def test_filters_compare_with_the_attributes_own_type() -> None:
    w = watch(filters=["capacity_gb=32", "generation=ddr4", "registered=true", "quantity<=4"])
    assert decide(w, GOOD).alert


def test_opted_in_cold_start_and_for_parts_on_request() -> None:
    assert decide(watch(cold_start_opt_in=True), replace(GOOD, cold_start=True)).alert
    parts = replace(GOOD, condition=Condition.FOR_PARTS)
    assert decide(watch(conditions=["for_parts"]), parts).alert


def test_realert_after_a_big_enough_drop() -> None:
    again = replace(GOOD, last_alert_unit_price=Decimal("40"), unit_price=Decimal("38"))
    decision = decide(watch(), again)
    assert decision.alert
    assert "dropped from 40 to 38" in decision.reason


FAULT = {"code": "no_power", "phrase": "no power", "effect": "for_parts"}
DOUBT = {"code": "untested", "phrase": "untested", "effect": "veto"}
LOT = {"code": "suspicious_lot", "phrase": "40 units", "effect": "veto"}


@pytest.mark.parametrize(
    ("flag", "reason"),
    [
        (FAULT, "red flag: the title announces a fault (no power)"),
        (DOUBT, "red flag: the title raises a doubt (untested)"),
        (LOT, "suspicious lot: its unit price is far under even the cheap end of the market"),
    ],
)
def test_a_red_flag_vetoes_a_deal_whatever_its_score(flag: dict[str, str], reason: str) -> None:
    decision = decide(watch(threshold=0), replace(GOOD, score=100.0, flags=(flag,)))
    assert not decision.alert
    assert decision.reason == reason


def test_a_watch_that_asks_for_parts_takes_flagged_listings() -> None:
    parts = watch(conditions=["for_parts"])
    assert decide(parts, replace(GOOD, flags=(FAULT,))).alert
    assert decide(parts, replace(GOOD, condition=Condition.FOR_PARTS, flags=(DOUBT,))).alert
    # a fault in the title makes the listing for parts whatever the seller picked
    working = watch(conditions=["used_working"])
    assert decide(working, replace(GOOD, flags=(FAULT,))).reason == "condition for_parts not wanted"


@pytest.mark.parametrize(
    ("filters", "quantity", "capacity", "alerts"),
    [
        (["total_capacity_gb>=128"], 2, 64, True),  # a 2x64GB kit
        (["total_capacity_gb>=128"], 4, 32, True),  # "Lot of 4x 32GB ... 128GB"
        (["total_capacity_gb>=128"], 1, 64, False),
        (["total_capacity_gb=64"], 1, 64, True),
        (["capacity_gb>=128"], 2, 64, False),  # capacity_gb stays per module
    ],
)
def test_total_capacity_is_capacity_times_quantity(
    filters: list[str], quantity: int, capacity: int, alerts: bool
) -> None:
    kit = replace(GOOD, quantity=quantity, attributes={**GOOD.attributes, "capacity_gb": capacity})
    assert decide(watch(filters=filters), kit).alert is alerts


def test_total_capacity_needs_a_stated_capacity() -> None:
    silent = replace(GOOD, quantity=2, attributes={"generation": "DDR4"})
    assert decide(watch(filters=["total_capacity_gb>=64"]), silent).reason.startswith("filter")
