"""Score calibration against DOMAIN.md's lessons, with the default weights."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.models import Condition
from core.pricing.scoring import Facts, Market, price_factor, score
from core.settings import ScoringWeights

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
MARKET = Market(sample_count=40, p10=Decimal("20"), p25=Decimal("30"), p50=Decimal("40"),
                p75=Decimal("50"), p90=Decimal("60"))  # fmt: skip
TYPICAL = Facts(
    unit_price=Decimal("40"),
    condition=Condition.USED_WORKING,
    quantity=1,
    seller_feedback_score=450,
    seller_feedback_percent=Decimal("98.7"),
    seller_top_rated=False,
    has_image=True,
    shipping_known=True,
    first_seen_at=NOW - timedelta(hours=20),
    auction_end_at=None,
    is_auction=False,
)
TRUSTED = replace(TYPICAL, seller_feedback_score=25000, seller_feedback_percent=Decimal("99.8"),
                  seller_top_rated=True, first_seen_at=NOW - timedelta(minutes=30))  # fmt: skip


def at(price: str, facts: Facts = TYPICAL) -> float:
    return score(replace(facts, unit_price=Decimal(price)), MARKET, ScoringWeights(), 10, NOW).value


def test_a_listing_at_the_median_scores_55_to_60() -> None:
    assert 55 <= at("40") <= 60


@pytest.mark.parametrize("price", ["20", "18", "12"])
def test_a_real_deal_from_a_trusted_seller_scores_90_plus(price: str) -> None:
    assert at(price, TRUSTED) >= 90


@pytest.mark.parametrize("price", ["50.01", "55", "70", "500"])
@pytest.mark.parametrize("facts", [TYPICAL, TRUSTED])
def test_above_p75_scores_under_35_whatever_else(price: str, facts: Facts) -> None:
    assert at(price, facts) < 35


def test_scores_spread_and_fall_with_price() -> None:
    prices = ["15", "20", "25", "30", "35", "40", "45", "50", "55", "60", "80"]
    values = [at(p) for p in prices]
    assert values == sorted(values, reverse=True)
    assert values[0] - values[-1] > 60


def test_price_factor_interpolates_between_percentiles() -> None:
    assert price_factor(Decimal("35"), MARKET) == (64.5, "between P25 and P50")
    assert price_factor(Decimal("10"), MARKET) == (100.0, "at or under P10")
    assert price_factor(Decimal("99"), MARKET) == (0.0, "above P90")


def test_cold_start_makes_price_unknown_and_marks_the_score() -> None:
    immature = replace(MARKET, sample_count=9)
    cheap = score(replace(TYPICAL, unit_price=Decimal("1")), immature, ScoringWeights(), 10, NOW)
    dear = score(replace(TYPICAL, unit_price=Decimal("999")), immature, ScoringWeights(), 10, NOW)
    assert cheap.cold_start
    assert cheap.value == dear.value  # the price cannot be judged yet
    assert cheap.breakdown["price"] == {"factor": 50.0, "weight": 0.6,
                                        "position": "unknown (immature baseline)"}  # fmt: skip


def test_adjustments_move_the_score() -> None:
    base = at("40")
    assert at("40", replace(TYPICAL, condition=Condition.NEW)) > base
    assert at("40", replace(TYPICAL, condition=Condition.FOR_PARTS)) < base
    assert (
        at("40", replace(TYPICAL, seller_feedback_score=3, seller_feedback_percent=Decimal("80")))
        < base
    )
    assert at("40", replace(TYPICAL, has_image=False, shipping_known=False)) < base
    assert at("40", replace(TYPICAL, first_seen_at=NOW - timedelta(days=30))) < base


def test_breakdown_is_complete() -> None:
    result = score(TYPICAL, MARKET, ScoringWeights(), 10, NOW)
    factors = {"price", "seller", "condition", "quantity", "quality", "timing"}
    assert set(result.breakdown) == factors | {"unit_price", "baseline_samples", "ceiling"}
    weighted = sum(v["factor"] * v["weight"] for k, v in result.breakdown.items()
                   if isinstance(v, dict))  # fmt: skip
    assert result.value == pytest.approx(weighted, abs=0.01)
