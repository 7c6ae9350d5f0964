"""One listing judged for one watch, in memory: unit price, score and alert decision.

`/watch test` and `spt eval-alerts` judge listings that are not stored; they go through
this one function so that what they show is what the pipeline would decide (the stored
path scores in core/pricing/scorer.py and decides in core/alerts/service.py with the
same `score` and `decide`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from core.alerts.decide import Candidate, Decision, decide
from core.extract.red_flags import find_red_flags
from core.extract.service import Outcome
from core.marketplace.conditions import effective_condition
from core.marketplace.listing import MarketListing
from core.models import ComponentType, Condition
from core.pricing.scoring import Facts, Market, Score, score
from core.settings import ScoringSettings
from core.watches import Watch

_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Judgement:
    """What spt makes of a listing for a watch."""

    component_type: ComponentType
    product_key: str | None
    condition: Condition
    quantity: int
    unit_price: Decimal
    score: Score | None  # None: no product key, so never scored
    decision: Decision


def unit_price(listing: MarketListing, quantity: int) -> Decimal:
    """(price + shipping) / quantity, to the cent (DOMAIN.md: prices compare per unit)."""
    total = listing.price + (listing.shipping or Decimal(0))
    return (total / max(quantity, 1)).quantize(_CENT)


def judge(
    watch: Watch,
    listing: MarketListing,
    outcome: Outcome,
    market: Market | None,
    config: ScoringSettings,
    now: datetime,
    *,
    first_seen_at: datetime | None = None,
    last_alert_unit_price: Decimal | None = None,
) -> Judgement:
    """Score `listing` against `market` and decide whether it alerts `watch`."""
    extraction = outcome.extraction
    quantity = max(extraction.quantity, 1)
    unit = unit_price(listing, quantity)
    condition = effective_condition(listing.condition, extraction.condition)
    kind = extraction.component_type
    if outcome.product_key is None:
        no = Decision(False, "no product key, so never scored")
        return Judgement(kind, None, condition, quantity, unit, None, no)
    facts = Facts(
        unit_price=unit,
        condition=condition,
        quantity=quantity,
        seller_feedback_score=listing.seller_feedback_score,
        seller_feedback_percent=listing.seller_feedback_percent,
        seller_top_rated=listing.seller_top_rated,
        has_image=listing.image_url is not None,
        shipping_known=listing.shipping is not None,
        first_seen_at=first_seen_at or now,
        auction_end_at=listing.auction_end_at,
        is_auction="AUCTION" in listing.buying_options,
        red_flags=find_red_flags(listing.title),
    )
    result = score(facts, market or Market(), config, now)
    candidate = Candidate(
        component_type=kind,
        attributes=dict(extraction.attributes),
        quantity=quantity,
        condition=condition,
        unit_price=unit,
        score=result.value,
        cold_start=result.cold_start,
        seller_feedback_score=listing.seller_feedback_score,
        seller_feedback_percent=listing.seller_feedback_percent,
        seller_top_rated=listing.seller_top_rated,
        last_alert_unit_price=last_alert_unit_price,
        flags=tuple(result.breakdown["flags"]),
    )
    decision = decide(watch, candidate)
    return Judgement(kind, outcome.product_key, condition, quantity, unit, result, decision)
