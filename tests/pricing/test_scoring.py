"""The deal score is depth, not rank (issue 12): what scores high is a unit price far under
what the product usually sells for, with confidence from the sample count and the
market's spread; the other factors only nudge within a small band."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from core.extract.red_flags import find_red_flags
from core.models import Condition
from core.pricing.scoring import Facts, Market, depth, price_factor, score, spread
from core.settings import ScoringSettings

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
CONFIG = ScoringSettings()
THRESHOLD = CONFIG.default_threshold
# A commodity market (RAM, drives): the middle half within about +-8% of the median.
TIGHT = Market(sample_count=60, p10=Decimal("85"), p25=Decimal("92"), p50=Decimal("100"),
               p75=Decimal("108"), p90=Decimal("118"))  # fmt: skip
# A market of varied configurations (servers, GPUs): P10 is 39% under the median.
WIDE = Market(sample_count=60, p10=Decimal("61"), p25=Decimal("80"), p50=Decimal("100"),
              p75=Decimal("124"), p90=Decimal("155"))  # fmt: skip
TYPICAL = Facts(
    unit_price=Decimal("100"),
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
# Every adjuster at its best: new, top-rated, fresh, a kit, complete listing.
BEST = replace(TYPICAL, condition=Condition.NEW, seller_feedback_score=25000,
               seller_feedback_percent=Decimal("99.9"), seller_top_rated=True, quantity=2,
               first_seen_at=NOW - timedelta(minutes=5))  # fmt: skip
WORST = replace(TYPICAL, condition=Condition.UNKNOWN, seller_feedback_score=2,
                seller_feedback_percent=Decimal("80"), has_image=False, shipping_known=False,
                quantity=40, first_seen_at=NOW - timedelta(days=30))  # fmt: skip


def at(price: str, market: Market = TIGHT, facts: Facts = TYPICAL) -> float:
    return score(replace(facts, unit_price=Decimal(price)), market, CONFIG, NOW).value


def test_a_listing_at_the_median_scores_about_50() -> None:
    assert 47 <= at("100") <= 53
    assert 47 <= at("100", WIDE) <= 53


def test_a_deep_discount_in_a_mature_market_scores_past_the_threshold() -> None:
    assert at("54") >= 90  # 46% under in a tight market of 60 listings
    assert at("38", WIDE) >= THRESHOLD  # 62% under where P10 is 45% under


@pytest.mark.parametrize("market", [TIGHT, WIDE], ids=["tight", "wide"])
def test_p25_and_p10_are_ordinary_prices_not_deals(market: Market) -> None:
    assert market.p25 is not None
    assert market.p10 is not None
    assert at(str(market.p25), market, BEST) < 65
    assert at(str(market.p10), market) < THRESHOLD


def bell(samples: int, iqr: float) -> Market:
    """A symmetric market around 100 whose IQR is `iqr` of the median."""
    half = Decimal(str(round(iqr * 50, 2)))
    return Market(
        samples,
        Decimal("100") - Decimal("1.9") * half,
        Decimal("100") - half,
        Decimal("100"),
        Decimal("100") + half,
        Decimal("100") + Decimal("1.9") * half,
    )


SAMPLES = st.integers(min_value=20, max_value=100000)
IQRS = st.floats(min_value=0.0, max_value=0.9)
ANY_FACTS = st.sampled_from([TYPICAL, BEST, WORST])


@example(discount=0.2, samples=100000, iqr=0.0, facts=BEST)  # the tightest, surest market
@given(discount=st.floats(min_value=-0.5, max_value=0.2), samples=SAMPLES, iqr=IQRS,
       facts=ANY_FACTS)  # fmt: skip
def test_no_adjustment_lifts_a_price_at_most_20pct_under_the_median_to_the_threshold(
    discount: float, samples: int, iqr: float, facts: Facts
) -> None:
    unit = (Decimal("100") * Decimal(str(1 - discount))).quantize(Decimal("0.01"))
    assert score(replace(facts, unit_price=unit), bell(samples, iqr), CONFIG, NOW).value < THRESHOLD


@example(above=0.0, samples=100000, iqr=0.9, facts=BEST)  # P25 of the widest market
@given(above=st.floats(min_value=0.0, max_value=0.5), samples=SAMPLES, iqr=IQRS,
       facts=ANY_FACTS)  # fmt: skip
def test_no_adjustment_lifts_a_price_at_or_over_p25_to_the_threshold(
    above: float, samples: int, iqr: float, facts: Facts
) -> None:
    market = bell(samples, iqr)
    assert market.p25 is not None
    unit = (market.p25 * Decimal(str(1 + above))).quantize(Decimal("0.01"))
    assert score(replace(facts, unit_price=unit), market, CONFIG, NOW).value < THRESHOLD


def test_confidence_grows_with_the_sample_count() -> None:
    values = [at("65", replace(TIGHT, sample_count=n)) for n in (20, 40, 100, 1000)]
    assert values == sorted(values)
    assert values[-1] - values[0] > 2


def test_confidence_shrinks_with_the_markets_spread() -> None:
    assert at("65", TIGHT) > at("65", WIDE) + 10
    assert spread(TIGHT) == pytest.approx(0.1186, abs=1e-3)
    assert spread(WIDE) == pytest.approx(0.3262, abs=1e-3)


def test_a_tighter_market_never_lowers_the_spread_below_the_floor() -> None:
    flat = Market(60, *(Decimal("100"),) * 5)
    assert spread(flat) == 0.05


def test_scores_fall_with_price() -> None:
    prices = ["40", "50", "60", "70", "80", "90", "100", "110", "120", "150"]
    values = [at(p) for p in prices]
    assert values == sorted(values, reverse=True)
    assert values[0] - values[-1] > 80


def test_above_p75_scores_under_35() -> None:
    for facts in (TYPICAL, BEST):
        assert at("109", TIGHT, facts) < 35
        assert at("500", TIGHT, facts) <= CONFIG.adjustment_points


def test_depth_counts_the_discount_net_of_doubt() -> None:
    found = depth(Decimal("54"), TIGHT)
    assert found is not None
    assert found.discount == pytest.approx(0.46)
    assert 0 < found.margin < 0.05
    assert found.effective == pytest.approx(found.discount - found.margin)
    ordinary = depth(Decimal("90"), TIGHT)  # 10% under: under one spread
    assert ordinary is not None
    assert ordinary.effective < ordinary.discount / 2


def test_price_factor_states_the_discount_in_words() -> None:
    factor, words = price_factor(Decimal("54"), TIGHT, 0.5)
    assert factor > 90
    assert words.startswith("46% under the median")
    assert price_factor(Decimal("130"), TIGHT, 0.5)[1] == "30% over the median"
    assert price_factor(Decimal("1"), Market(), 0.5) == (50.0, "unknown")


def test_under_ten_samples_the_price_is_unknown_and_the_score_cold() -> None:
    immature = replace(TIGHT, sample_count=9)
    cheap = score(replace(TYPICAL, unit_price=Decimal("1")), immature, CONFIG, NOW)
    dear = score(replace(TYPICAL, unit_price=Decimal("999")), immature, CONFIG, NOW)
    assert cheap.cold_start
    assert dear.cold_start
    assert cheap.value == dear.value  # the price cannot be judged yet
    assert cheap.breakdown["price"] == {"factor": 50.0, "position": "unknown (immature baseline)"}
    assert cheap.breakdown["maturity"] == "unknown"


def test_between_ten_and_twenty_samples_the_price_is_judged_but_the_market_immature() -> None:
    result = score(replace(TYPICAL, unit_price=Decimal("54")), replace(TIGHT, sample_count=15),
                   CONFIG, NOW)  # fmt: skip
    assert result.cold_start
    assert result.breakdown["maturity"] == "immature"
    assert result.value > 80
    mature = score(replace(TYPICAL, unit_price=Decimal("54")), TIGHT, CONFIG, NOW)
    assert not mature.cold_start
    assert mature.breakdown["maturity"] == "mature"


def test_adjustments_move_the_score_within_the_band() -> None:
    base = at("100")
    assert base < at("100", facts=BEST) <= base + CONFIG.adjustment_points * 2
    assert base - CONFIG.adjustment_points * 2 <= at("100", facts=WORST) < base
    assert at("100", facts=replace(TYPICAL, condition=Condition.NEW)) > base
    assert at("100", facts=replace(TYPICAL, first_seen_at=NOW - timedelta(days=30))) < base


def test_a_fault_in_the_title_caps_the_score_and_counts_as_for_parts() -> None:
    flagged = replace(TYPICAL, unit_price=Decimal("50"),
                      red_flags=find_red_flags("Dell R740 server no power"))  # fmt: skip
    result = score(flagged, TIGHT, CONFIG, NOW)
    assert result.value <= 40
    assert result.breakdown["condition"]["factor"] == 0.0
    assert [f["effect"] for f in result.breakdown["flags"]] == ["for_parts"]
    assert result.breakdown["ceiling"] == 40.0


def test_a_lot_far_under_p10_is_suspicious_not_a_jackpot() -> None:
    lot = replace(TYPICAL, quantity=40, unit_price=Decimal("3"))
    result = score(lot, TIGHT, CONFIG, NOW)
    assert [f["code"] for f in result.breakdown["flags"]] == ["suspicious_lot"]
    assert result.value <= 40
    kit = replace(TYPICAL, quantity=4, unit_price=Decimal("60"))  # a kit at 60% of P50
    assert score(kit, TIGHT, CONFIG, NOW).breakdown["flags"] == []


def test_breakdown_is_complete() -> None:
    result = score(replace(TYPICAL, unit_price=Decimal("70")), TIGHT, CONFIG, NOW)
    b = result.breakdown
    adjusters = {"seller", "condition", "quantity", "quality", "timing"}
    assert adjusters | {"price", "adjustment", "discount_pct", "median", "maturity"} <= set(b)
    assert b["discount_pct"] == 30.0
    assert b["median"] == "100"
    assert b["baseline_samples"] == 60
    assert b["adjustment"] == pytest.approx(sum(b[n]["points"] for n in adjusters), abs=0.02)
    assert result.value == pytest.approx(b["price"]["factor"] + b["adjustment"], abs=0.02)
    assert abs(b["adjustment"]) <= CONFIG.adjustment_points
