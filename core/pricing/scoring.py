"""Deal scores (0-100): price against the product's baseline dominates; seller trust,
condition, quantity, listing quality and timing adjust it (DOMAIN.md, "Scoring").

Each factor is 0-100 and the score is their weighted sum (`[scoring.weights]`, summing
to 1), with one rule on top so adjustments can never make an expensive listing look like
a deal: above P75 the score stays under 35, above P90 under 20. Calibration, with the
default weights and a typical listing (good seller, used, one unit, a photo, shipping
stated, a day old): at the median about 58; at or under P10 from a trusted seller 90+.
With fewer than `cold_start_min_samples` samples the price is unknown: the price factor
is a neutral 50 and the score is marked cold (it alerts only where a watch opts in).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from core.models import Condition
from core.settings import ScoringWeights

NEUTRAL = 50.0
ABOVE_P75_CEILING = 34.0
ABOVE_P90_CEILING = 19.0
# (percentile position, price factor) anchors; linear in between.
_PRICE_ANCHORS = ((10, 100.0), (25, 82.0), (50, 47.0), (75, 8.0), (90, 0.0))
_CONDITION = {
    Condition.NEW: 100.0,
    Condition.LIKE_NEW: 85.0,
    Condition.USED_WORKING: 65.0,
    Condition.UNKNOWN: 50.0,
    Condition.FOR_PARTS: 0.0,
}


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


@dataclass(frozen=True)
class Score:
    """A score with its breakdown (stored as JSON with the score)."""

    value: float
    cold_start: bool
    breakdown: dict[str, Any] = field(default_factory=dict)


def price_factor(unit: Decimal, market: Market) -> tuple[float, str]:
    """Interpolate the unit price's position in the baseline's percentiles into 0-100."""
    points = [
        (getattr(market, f"p{pct}"), factor)
        for pct, factor in _PRICE_ANCHORS
        if getattr(market, f"p{pct}") is not None
    ]
    if len(points) < 2:
        return NEUTRAL, "unknown"
    price = float(unit)
    values = [(float(p), f) for p, f in points]
    if price <= values[0][0]:
        return values[0][1], "at or under P10"
    for (low, f_low), (high, f_high) in itertools.pairwise(values):
        if price <= high:
            share = 0.0 if high == low else (price - low) / (high - low)
            return f_low + (f_high - f_low) * share, _band(low, high, market)
    return 0.0, "above P90"


def _band(low: float, high: float, market: Market) -> str:
    names = {float(getattr(market, f"p{p}")): f"P{p}" for p, _ in _PRICE_ANCHORS
             if getattr(market, f"p{p}") is not None}  # fmt: skip
    return f"between {names.get(low, '?')} and {names.get(high, '?')}"


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
        return 60.0
    if quantity <= 8:
        return 70.0
    return 45.0


def quality_factor(facts: Facts) -> float:
    """A listing with a photo and stated shipping is easier to trust and to price."""
    return 40.0 + (30.0 if facts.has_image else 0.0) + (30.0 if facts.shipping_known else 0.0)


def timing_factor(facts: Facts, now: datetime) -> float:
    """Fresh listings are the chance; an auction far from its end has no firm price yet."""
    if facts.is_auction and facts.auction_end_at is not None:
        hours_left = (facts.auction_end_at - now).total_seconds() / 3600
        return 80.0 if hours_left <= 2 else 55.0 if hours_left <= 24 else 30.0
    age_hours = (now - facts.first_seen_at).total_seconds() / 3600
    if age_hours <= 6:
        return 100.0
    if age_hours <= 24:
        return 80.0
    if age_hours <= 24 * 7:
        return 60.0
    return 40.0


def score(
    facts: Facts, market: Market, weights: ScoringWeights, min_samples: int, now: datetime
) -> Score:
    """The 0-100 deal score of a listing against its market, with the breakdown."""
    cold = market.sample_count < min_samples
    price, position = (
        (NEUTRAL, "unknown (immature baseline)") if cold else price_factor(facts.unit_price, market)
    )
    factors = {
        "price": price,
        "seller": seller_factor(facts),
        "condition": _CONDITION[facts.condition],
        "quantity": quantity_factor(facts.quantity),
        "quality": quality_factor(facts),
        "timing": timing_factor(facts, now),
    }
    total = sum(getattr(weights, name) * value for name, value in factors.items())
    ceiling = None
    if not cold and market.p90 is not None and facts.unit_price > market.p90:
        ceiling = ABOVE_P90_CEILING
    elif not cold and market.p75 is not None and facts.unit_price > market.p75:
        ceiling = ABOVE_P75_CEILING
    if ceiling is not None:
        total = min(total, ceiling)
    value = round(max(0.0, min(100.0, total)), 2)
    breakdown: dict[str, Any] = {
        name: {"factor": round(v, 2), "weight": getattr(weights, name)}
        for name, v in factors.items()
    }
    breakdown["price"]["position"] = position
    breakdown["unit_price"] = str(facts.unit_price)
    breakdown["baseline_samples"] = market.sample_count
    breakdown["ceiling"] = ceiling
    return Score(value, cold, breakdown)
