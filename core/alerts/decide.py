"""Whether a scored listing alerts a watch (DOMAIN.md, "Alert semantics").

An alert needs: the listing's type is the watch's; its unit price, condition, seller and
attributes pass the watch's filters; no red flag (a fault or doubt the title announces, a
suspicious lot) unless the watch asks for parts; its score reaches the watch's threshold;
a cold (immature) baseline only with the watch's cold-start opt-in; and, if the watch
already alerted on it, a unit-price drop of at least the watch's re-alert step since then.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.attributes import TOTAL_CAPACITY, fold, total_capacity
from core.filters import AttributeFilter, FilterOp
from core.models import ComponentType, Condition
from core.watches import Watch


@dataclass(frozen=True)
class Candidate:
    """A scored listing found by a watch, with what the decision reads."""

    component_type: ComponentType
    attributes: Mapping[str, Any]
    quantity: int
    condition: Condition
    unit_price: Decimal
    score: float
    cold_start: bool
    seller_feedback_score: int | None
    seller_feedback_percent: Decimal | None
    seller_top_rated: bool | None
    last_alert_unit_price: Decimal | None = None
    # Red flags from the score's breakdown: {"code", "phrase", "effect"} each.
    flags: tuple[Mapping[str, str], ...] = ()

    @property
    def faulty(self) -> Mapping[str, str] | None:
        """The first flag that makes the listing one for parts, if any."""
        return next((f for f in self.flags if f.get("effect") == "for_parts"), None)


@dataclass(frozen=True)
class Decision:
    """Yes or no, and why (kept for `spt alerts` and debugging)."""

    alert: bool
    reason: str


def _matches(flt: AttributeFilter, candidate: Candidate) -> bool:
    actual: Any = (
        candidate.quantity
        if flt.attribute == "quantity"
        else candidate.condition.value
        if flt.attribute == "condition"
        else total_capacity(candidate.attributes, candidate.quantity)
        if flt.attribute == TOTAL_CAPACITY
        else candidate.attributes.get(flt.attribute)
    )
    if actual is None:
        return False  # the title did not say: a filter cannot be met by silence

    def same(expected: Any) -> bool:
        if isinstance(expected, bool) or isinstance(actual, bool):
            return actual is expected
        if isinstance(expected, int | float) and isinstance(actual, int | float):
            return float(actual) == float(expected)
        return fold(str(actual)) == fold(str(expected))

    match flt.op:
        case FilterOp.EQ:
            return same(flt.value)
        case FilterOp.IN:
            assert isinstance(flt.value, list)
            return any(same(v) for v in flt.value)
        case FilterOp.MIN:
            return isinstance(actual, int | float) and actual >= flt.value  # type: ignore[operator]
        case FilterOp.MAX:
            return isinstance(actual, int | float) and actual <= flt.value  # type: ignore[operator]
    return False


def _flag_reason(flag: Mapping[str, str]) -> str:
    code = flag["code"]
    if code == "suspicious_lot":
        return "suspicious lot: its unit price is far under even the cheap end of the market"
    if code == "implausible_price":
        return "too good to be true: far under the market from a seller with no track record"
    if code == "auction_bid":
        return f"an auction's current bid is no price yet ({flag.get('phrase', '')})"
    what = "announces a fault" if flag.get("effect") == "for_parts" else "raises a doubt"
    return f"red flag: the title {what} ({flag.get('phrase') or flag['code']})"


def decide(watch: Watch, candidate: Candidate) -> Decision:
    """Apply the watch's filters, threshold, cold-start rule and re-alert step."""
    c = candidate
    unwanted = _unwanted(watch, c)
    if unwanted is not None:
        return Decision(False, unwanted)
    if c.flags and Condition.FOR_PARTS not in watch.conditions:
        return Decision(False, _flag_reason(c.faulty or c.flags[0]))
    if c.cold_start and not watch.cold_start_opt_in:
        return Decision(False, "baseline immature and the watch did not opt in")
    if c.score < watch.threshold:
        return Decision(False, f"score {c.score:.1f} under threshold {watch.threshold}")
    if c.last_alert_unit_price is not None:
        needed = c.last_alert_unit_price * (1 - watch.realert_step_pct / 100)
        if c.unit_price > needed:
            return Decision(
                False, f"already alerted at {c.last_alert_unit_price}; needs {needed:.2f}"
            )
        return Decision(True, f"price dropped from {c.last_alert_unit_price} to {c.unit_price}")
    return Decision(True, f"score {c.score:.1f} reaches {watch.threshold}")


def wants(watch: Watch, candidate: Candidate) -> bool:
    """Whether the listing is one the watch asks for (type, price range, condition, seller,
    attribute filters), whatever its score: what the dashboard's deals show per watch."""
    return _unwanted(watch, candidate) is None


def _unwanted(watch: Watch, c: Candidate) -> str | None:
    """Why the watch does not ask for this listing at all, or None."""
    if c.component_type is not watch.component_type:
        return f"type {c.component_type.value}, watch wants {watch.component_type.value}"
    if watch.min_price is not None and c.unit_price < watch.min_price:
        return f"unit price {c.unit_price} under {watch.min_price}"
    if watch.max_price is not None and c.unit_price > watch.max_price:
        return f"unit price {c.unit_price} over {watch.max_price}"
    condition = Condition.FOR_PARTS if c.faulty else c.condition
    if watch.conditions:
        if condition not in watch.conditions:
            return f"condition {condition.value} not wanted"
    elif condition is Condition.FOR_PARTS and not c.faulty:
        return "for parts (the watch did not ask for that condition)"
    if watch.top_rated_only and not c.seller_top_rated:
        return "seller is not top-rated"
    if (
        watch.min_seller_feedback is not None
        and (c.seller_feedback_score or 0) < watch.min_seller_feedback
    ):
        return "seller feedback score too low"
    if (
        watch.min_seller_percent is not None
        and (c.seller_feedback_percent or 0) < watch.min_seller_percent
    ):
        return "seller positive feedback too low"
    for flt in watch.filters:
        if not _matches(flt, c):
            return f"filter {flt.describe()} not met"
    return None
