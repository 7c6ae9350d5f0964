"""Seeded sellers: usernames, feedback, top-rated status and where they ship from."""

from __future__ import annotations

import random
from dataclasses import dataclass

from core.models import Marketplace

COUNTRY: dict[Marketplace, str] = {
    Marketplace.EBAY_US: "US",
    Marketplace.EBAY_GB: "GB",
    Marketplace.EBAY_DE: "DE",
    Marketplace.EBAY_AU: "AU",
}

_FIRST = (
    "server", "datacenter", "it", "enterprise", "tech", "network", "memory", "cpu", "rack",
    "cloud", "byte", "silicon", "green", "pro", "surplus", "bargain", "global", "blue",
)  # fmt: skip
_SECOND = (
    "parts", "depot", "liquidation", "wholesale", "recycling", "refurb", "outlet", "store",
    "deals", "trader", "supply", "hub", "direct", "exchange", "warehouse", "asset",
)  # fmt: skip
_REGION = {
    Marketplace.EBAY_US: ("", "_usa", "-us", "_tx", "_ca"),
    Marketplace.EBAY_GB: ("_uk", "-uk", "_ltd", "_london"),
    Marketplace.EBAY_DE: ("_de", "-de", "_gmbh", "_berlin"),
    Marketplace.EBAY_AU: ("_au", "-au", "_syd", "_melb"),
}
_POSTAL = {
    Marketplace.EBAY_US: ("950**", "750**", "331**", "191**", "021**", "980**", "606**"),
    Marketplace.EBAY_GB: ("M1***", "B9***", "LS1***", "SW1***", "G2***"),
    Marketplace.EBAY_DE: ("101**", "803**", "201**", "504**", "701**"),
    Marketplace.EBAY_AU: ("20**", "30**", "40**", "60**"),
}


@dataclass(frozen=True, slots=True)
class Seller:
    """An eBay seller as item summaries show it, plus where its items are."""

    username: str
    feedback_score: int
    feedback_percentage: str
    top_rated: bool
    home: Marketplace
    postal_code: str

    @property
    def country(self) -> str:
        """ISO country the seller ships from."""
        return COUNTRY[self.home]


def make_sellers(rng: random.Random, per_marketplace: int = 24) -> dict[Marketplace, list[Seller]]:
    """Distinct sellers per home marketplace, from brand-new accounts to power sellers."""
    seen: set[str] = set()
    sellers: dict[Marketplace, list[Seller]] = {}
    for market in Marketplace:
        group: list[Seller] = []
        while len(group) < per_marketplace:
            name = _username(rng, market)
            if name in seen:
                continue
            seen.add(name)
            score, pct = _feedback(rng)
            top = score >= 500 and float(pct) >= 99.0 and rng.random() < 0.6
            postal = rng.choice(_POSTAL[market])
            group.append(Seller(name, score, pct, top, market, postal))
        sellers[market] = group
    return sellers


def _username(rng: random.Random, market: Marketplace) -> str:
    name = rng.choice(_FIRST) + rng.choice(("_", "", "-", ".")) + rng.choice(_SECOND)
    name += rng.choice(_REGION[market])
    if rng.random() < 0.35:
        name += str(rng.randrange(1, 999))
    return name


def _feedback(rng: random.Random) -> tuple[int, str]:
    """Feedback score 0..100000 (log-spread) and a percentage "90.0".."100.0" as eBay sends it."""
    roll = rng.random()
    # Some brand-new accounts (the risky ones); the rest log-spread up to power sellers.
    score = rng.randrange(0, 10) if roll < 0.06 else min(100_000, int(10 ** rng.uniform(1, 5)))
    if score == 0:
        return 0, "100.0"
    pct = rng.uniform(90.0, 97.0) if rng.random() < 0.1 else rng.uniform(97.0, 100.0)
    return score, f"{min(pct, 100.0):.1f}"
