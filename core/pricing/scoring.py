"""Deal scores (0-100): how far a listing's unit price sits under what its product usually
sells for, and how sure the market is; the other factors only nudge (DOMAIN.md, issue 12).

A deal is depth, not rank. The price factor reads the discount under the baseline's
median, `d = 1 - unit / P50`, and counts it net of two doubts:

- the median's own error, which shrinks with the sample count and grows with the
  market's spread: one standard error of a median, `1.2533 * s / sqrt(n)`, where `s`
  is the market's robust relative spread, IQR / (1.349 * P50) (for a bell-shaped
  market that is its standard deviation), never under `MIN_SPREAD`;
- ordinariness: a discount the market's spread makes common is not a find, so the
  discount counts in full only from `FULL_Z` spreads under the median (well under the
  market's P10), in proportion below that.

The constants and `full_score_discount_pct` are calibrated on the judged alerts in
tests/data/alerts-judged.jsonl (README, "Why a listing alerts").

The effective discount maps linearly onto the factor: 0 at the median is 50 and
`full_score_discount_pct` is 100; above the median the factor falls to 0 at
`ABOVE_ZERO` over it. Seller, condition, lot size, listing quality and timing are each
0-100 and move the score by at most `adjustment_points` together, so they can never
lift a fair price to a deal's score. Flags cap the score at `FLAGGED_CEILING` and
never alert (core/alerts/decide.py): red flags in the title (core/extract/red_flags.py),
a lot priced per unit far under P10, a price far too low from a seller with no track
record, and an auction's current bid until its last `auction_final_hours`.

Maturity: under `cold_start_min_samples` the price is unknown (factor 50); under
`alert_min_samples` it is judged but the market is immature, and the score is marked
cold so that it alerts only where the watch opts in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from core.extract.red_flags import RedFlag
from core.models import Condition
from core.settings import ScoringSettings

NEUTRAL = 50.0
MIN_SPREAD = 0.05  # no market is tighter than this: a few listings can look identical
FULL_Z = 1.75  # 1.28 spreads is the P10 of a bell-shaped market; 1.75 is 1 listing in 25
ABOVE_ZERO = 0.2  # 20% over the median scores 0
FLAGGED_CEILING = 40.0
UNTRUSTED_FEEDBACK = 50  # feedback score under which a seller has no track record yet
_MEDIAN_SE = 1.2533  # standard error of a median, in standard deviations, times sqrt(n)
_CONDITION = {
    Condition.NEW: 100.0,
    Condition.LIKE_NEW: 80.0,
    Condition.USED_WORKING: 55.0,
    Condition.UNKNOWN: 40.0,
    Condition.FOR_PARTS: 0.0,
}
ADJUSTERS = ("seller", "condition", "quantity", "quality", "timing")


@dataclass(frozen=True)
class Market:
    """The baseline a listing is judged against (None fields: no baseline yet)."""

    sample_count: int = 0
    p10: Decimal | None = None
    p25: Decimal | None = None
    p50: Decimal | None = None
    p75: Decimal | None = None
    p90: Decimal | None = None


@dataclass(frozen=True)
class Facts:
    """What the score reads about a listing."""

    unit_price: Decimal
    condition: Condition
    quantity: int
    seller_feedback_score: int | None
    seller_feedback_percent: Decimal | None
    seller_top_rated: bool | None
    has_image: bool
    shipping_known: bool
    first_seen_at: datetime
    auction_end_at: datetime | None
    is_auction: bool
    red_flags: tuple[RedFlag, ...] = ()


@dataclass(frozen=True)
class Depth:
    """How deep a unit price sits under its market, and how much of that counts."""

    discount: float  # share under the median (negative: over it)
    spread: float  # the market's robust relative spread
    margin: float  # doubt about the median itself
    effective: float  # the discount the score counts

    @property
    def spreads_under(self) -> float:
        """The discount in units of the market's spread."""
        return self.discount / self.spread


@dataclass(frozen=True)
class Score:
    """A score with its breakdown (stored as JSON with the score)."""

    value: float
    cold_start: bool
    breakdown: dict[str, Any] = field(default_factory=dict)


def spread(market: Market) -> float | None:
    """The market's robust relative spread, IQR / (1.349 * P50), at least `MIN_SPREAD`."""
    if market.p25 is None or market.p50 is None or market.p75 is None or market.p50 <= 0:
        return None
    iqr = float(market.p75 - market.p25) / (1.349 * float(market.p50))
    return max(iqr, MIN_SPREAD)


def depth(unit: Decimal, market: Market) -> Depth | None:
    """The discount under the median and the part of it that is beyond doubt."""
    s = spread(market)
    if s is None or market.p50 is None or market.sample_count < 1:
        return None
    d = 1.0 - float(unit) / float(market.p50)
    margin = _MEDIAN_SE * s / math.sqrt(market.sample_count)
    if d <= 0:
        return Depth(d, s, margin, d)
    effective = max(0.0, min(d - margin, d * min(1.0, d / s / FULL_Z)))
    return Depth(d, s, margin, effective)


def price_factor(unit: Decimal, market: Market, full_discount: float) -> tuple[float, str]:
    """The price's 0-100 factor and where it sits, in words."""
    found = depth(unit, market)
    if found is None:
        return NEUTRAL, "unknown"
    return factor_of(found, full_discount), position(found)


def factor_of(found: Depth, full_discount: float) -> float:
    """The counted discount mapped onto 0-100: 50 at the median, 100 at `full_discount`."""
    e = found.effective
    factor = NEUTRAL + NEUTRAL * (e / full_discount if e >= 0 else e / ABOVE_ZERO)
    return max(0.0, min(100.0, factor))


def position(found: Depth) -> str:
    """`38% under the median, 2.5 spreads (counted 31%)` and the like."""
    pct = round(abs(found.discount) * 100)
    if found.discount <= 0:
        return "at the median" if pct == 0 else f"{pct}% over the median"
    return (
        f"{pct}% under the median, {found.spreads_under:.1f}x the market's spread "
        f"(counted {found.effective * 100:.0f}%)"
    )


def seller_factor(facts: Facts) -> float:
    """Trust: top-rated or long, clean feedback scores high; new or poor sellers low."""
    score, percent = facts.seller_feedback_score, facts.seller_feedback_percent
    if facts.seller_top_rated or ((score or 0) >= 1000 and (percent or 0) >= 99):
        return 100.0
    if score is None or percent is None:
        return NEUTRAL
    if score >= 100 and percent >= 98:
        return 75.0
    if score >= 10 and percent >= 95:
        return 50.0
    return 20.0


def quantity_factor(quantity: int) -> float:
    """Matched kits are worth a little more; big lots are harder to use or resell."""
    if quantity <= 1:
        return 50.0
    if quantity <= 8:
        return 65.0
    return 30.0


def quality_factor(facts: Facts) -> float:
    """A listing with a photo and stated shipping is easier to trust and to price."""
    return 20.0 + (40.0 if facts.has_image else 0.0) + (40.0 if facts.shipping_known else 0.0)


def timing_factor(facts: Facts, now: datetime) -> float:
    """Fresh listings are the chance; an auction far from its end has no firm price yet."""
    if facts.is_auction and facts.auction_end_at is not None:
        hours_left = (facts.auction_end_at - now).total_seconds() / 3600
        return 70.0 if hours_left <= 2 else 45.0 if hours_left <= 24 else 20.0
    if facts.is_auction:
        return 30.0  # a current bid with no known end is no price yet
    age_hours = (now - facts.first_seen_at).total_seconds() / 3600
    if age_hours <= 6:
        return 100.0
    if age_hours <= 24:
        return 75.0
    if age_hours <= 24 * 7:
        return 50.0
    return 30.0


def suspicious_lot(facts: Facts, market: Market, ratio: float) -> bool:
    """A lot priced per unit far under the cheap end of the market: a misread quantity or
    a price for one of many is likelier than a jackpot."""
    return (
        facts.quantity > 1
        and market.p10 is not None
        and facts.unit_price < market.p10 * Decimal(str(ratio))
    )


def implausible(facts: Facts, market: Market, discount_pct: float) -> bool:
    """Far too cheap from a seller with no track record: a scam or a wrong listing is
    likelier than a find (a trusted seller's mistake still alerts)."""
    return (
        market.p50 is not None
        and facts.unit_price < market.p50 * Decimal(str(1 - discount_pct / 100))
        and (facts.seller_feedback_score or 0) < UNTRUSTED_FEEDBACK
        and not facts.seller_top_rated
    )


def auction_unsettled(facts: Facts, now: datetime, final_hours: float) -> str | None:
    """Why an auction's current bid is no price yet, or None when it is about to end."""
    if not facts.is_auction:
        return None
    if facts.auction_end_at is None:
        return "current bid, end unknown"
    hours = (facts.auction_end_at - now).total_seconds() / 3600
    return None if hours <= final_hours else f"current bid, {hours:.0f} h before the end"


def flags(
    facts: Facts, market: Market, config: ScoringSettings, now: datetime
) -> list[dict[str, str]]:
    """The red flags a listing carries, for the breakdown and the alert decision."""
    found = [{"code": f.code, "phrase": f.phrase, "effect": f.effect} for f in facts.red_flags]
    if suspicious_lot(facts, market, config.suspicious_lot_ratio):
        found.append({"code": "suspicious_lot", "phrase": f"{facts.quantity} units",
                      "effect": "veto"})  # fmt: skip
    if implausible(facts, market, config.implausible_discount_pct):
        found.append({"code": "implausible_price", "phrase": "too cheap from a new seller",
                      "effect": "veto"})  # fmt: skip
    if bid := auction_unsettled(facts, now, config.auction_final_hours):
        found.append({"code": "auction_bid", "phrase": bid, "effect": "veto"})
    return found


def score(facts: Facts, market: Market, config: ScoringSettings, now: datetime) -> Score:
    """The 0-100 deal score of a listing against its market, with the breakdown."""
    unknown = market.sample_count < config.cold_start_min_samples
    immature = market.sample_count < config.alert_min_samples
    found = None if unknown else depth(facts.unit_price, market)
    if found is None:
        price, where = NEUTRAL, "unknown (immature baseline)" if unknown else "unknown"
    else:
        price = factor_of(found, config.full_score_discount_pct / 100)
        where = position(found)
    raised = flags(facts, market, config, now)
    condition = facts.condition
    if any(f["effect"] == "for_parts" for f in raised):
        condition = Condition.FOR_PARTS  # the title announces a fault
    factors = {
        "seller": seller_factor(facts),
        "condition": _CONDITION[condition],
        "quantity": quantity_factor(facts.quantity),
        "quality": quality_factor(facts),
        "timing": timing_factor(facts, now),
    }
    weights = config.weights
    points = {
        name: config.adjustment_points * getattr(weights, name) * (value - NEUTRAL) / NEUTRAL
        for name, value in factors.items()
    }
    total = price + sum(points.values())
    ceiling = FLAGGED_CEILING if raised else None
    if ceiling is not None:
        total = min(total, ceiling)
    value = round(max(0.0, min(100.0, total)), 2)
    breakdown: dict[str, Any] = {"price": {"factor": round(price, 2), "position": where}}
    for name, factor in factors.items():
        breakdown[name] = {"factor": round(factor, 2), "weight": getattr(weights, name),
                           "points": round(points[name], 2)}  # fmt: skip
    breakdown["adjustment"] = round(sum(points.values()), 2)
    breakdown["unit_price"] = str(facts.unit_price)
    breakdown["baseline_samples"] = market.sample_count
    breakdown["median"] = None if market.p50 is None else str(market.p50)
    breakdown["maturity"] = "unknown" if unknown else "immature" if immature else "mature"
    if found is not None:
        breakdown["discount_pct"] = round(found.discount * 100, 1)
        breakdown["effective_pct"] = round(found.effective * 100, 1)
        breakdown["spread_pct"] = round(found.spread * 100, 1)
        breakdown["margin_pct"] = round(found.margin * 100, 1)
    breakdown["flags"] = raised
    breakdown["ceiling"] = ceiling
    return Score(value, immature, breakdown)
