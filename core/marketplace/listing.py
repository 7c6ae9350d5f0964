"""What spt keeps of an eBay item summary, and the mapping from eBay's JSON to it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.marketplace.conditions import normalise_condition
from core.models import Condition, Marketplace
from core.observability.metrics import ITEMS_SKIPPED

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class MarketListing:
    """One listing as eBay showed it, normalised; the fields scoring and embeds need."""

    marketplace: Marketplace
    item_id: str
    title: str
    price: Decimal
    currency: str
    legacy_item_id: str | None = None
    url: str | None = None
    image_url: str | None = None
    shipping: Decimal | None = None
    seller_username: str | None = None
    seller_feedback_score: int | None = None
    seller_feedback_percent: Decimal | None = None
    seller_top_rated: bool | None = None
    condition_id: int | None = None
    condition_raw: str | None = None
    condition: Condition = Condition.UNKNOWN
    buying_options: tuple[str, ...] = ()
    auction_end_at: datetime | None = None
    item_country: str | None = None
    category_ids: tuple[str, ...] = ()
    listed_at: datetime | None = None


class _Lenient(BaseModel):
    # eBay adds fields over time: ignore what we do not use.
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class _Amount(_Lenient):
    value: Decimal = Field(ge=0)
    currency: str = Field(min_length=3, max_length=3)


class _Seller(_Lenient):
    username: str | None = None
    feedback_score: int | None = Field(None, alias="feedbackScore")
    feedback_percentage: Decimal | None = Field(None, alias="feedbackPercentage", ge=0, le=100)


class _Shipping(_Lenient):
    shipping_cost: _Amount | None = Field(None, alias="shippingCost")


class _Image(_Lenient):
    image_url: str | None = Field(None, alias="imageUrl")


class _Location(_Lenient):
    country: str | None = None


class _Category(_Lenient):
    category_id: str = Field(alias="categoryId")


class ItemSummary(_Lenient):
    """The parts of a Browse `itemSummary` spt reads; everything else is ignored."""

    item_id: str = Field(alias="itemId", min_length=1)
    legacy_item_id: str | None = Field(None, alias="legacyItemId")
    title: str = Field(min_length=1)
    price: _Amount
    item_web_url: str | None = Field(None, alias="itemWebUrl")
    image: _Image | None = None
    seller: _Seller | None = None
    condition: str | None = None
    condition_id: int | None = Field(None, alias="conditionId")
    buying_options: list[str] = Field(default_factory=list, alias="buyingOptions")
    shipping_options: list[_Shipping] = Field(default_factory=list, alias="shippingOptions")
    item_end_date: datetime | None = Field(None, alias="itemEndDate")
    item_creation_date: datetime | None = Field(None, alias="itemCreationDate")
    item_location: _Location | None = Field(None, alias="itemLocation")
    categories: list[_Category] = Field(default_factory=list)
    top_rated: bool | None = Field(None, alias="topRatedBuyingExperience")

    @field_validator("title")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return " ".join(value.split())

    def to_listing(self, marketplace: Marketplace) -> MarketListing:
        """The normalised listing; shipping is the cheapest stated cost (None if none is)."""
        costs = [s.shipping_cost.value for s in self.shipping_options if s.shipping_cost]
        seller = self.seller or _Seller()
        return MarketListing(
            marketplace=marketplace,
            item_id=self.item_id,
            legacy_item_id=self.legacy_item_id,
            title=self.title,
            url=self.item_web_url,
            image_url=self.image.image_url if self.image else None,
            price=self.price.value,
            currency=self.price.currency.upper(),
            shipping=min(costs) if costs else None,
            seller_username=seller.username,
            seller_feedback_score=seller.feedback_score,
            seller_feedback_percent=seller.feedback_percentage,
            seller_top_rated=self.top_rated,
            condition_id=self.condition_id,
            condition_raw=self.condition,
            condition=normalise_condition(self.condition_id, self.condition),
            buying_options=tuple(self.buying_options),
            auction_end_at=self.item_end_date,
            item_country=self.item_location.country if self.item_location else None,
            category_ids=tuple(c.category_id for c in self.categories),
            listed_at=self.item_creation_date,
        )


@dataclass(frozen=True, slots=True)
class SoldListing:
    """A sold item from Marketplace Insights: the listing at its sold price, and when."""

    listing: MarketListing
    sold_at: datetime | None
    quantity_sold: int | None


def parse_sales(raw: Any, marketplace: Marketplace, source: str) -> list[SoldListing]:
    """Map Marketplace Insights `itemSales`; malformed entries are logged and skipped."""
    sales: list[SoldListing] = []
    for item, listing in _valid_items(raw, marketplace, source, price_field="lastSoldPrice"):
        sold_at = _date(item.get("lastSoldDate"))
        sales.append(SoldListing(listing, sold_at, _count(item.get("totalSoldQuantity"))))
    return sales


def _date(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _count(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def parse_items(raw: Any, marketplace: Marketplace, source: str) -> list[MarketListing]:
    """Map a list of eBay item summaries; a malformed item is logged and skipped, never fatal."""
    return [listing for _item, listing in _valid_items(raw, marketplace, source)]


def _valid_items(
    raw: Any, marketplace: Marketplace, source: str, price_field: str = "price"
) -> list[tuple[dict[str, Any], MarketListing]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        log.warning("%s: expected a list of items, got %s", source, type(raw).__name__)
        ITEMS_SKIPPED.inc()
        return []
    valid: list[tuple[dict[str, Any], MarketListing]] = []
    for position, item in enumerate(raw):
        try:
            if not isinstance(item, dict):
                raise TypeError(f"item is a {type(item).__name__}, not an object")
            data = item if price_field == "price" else {**item, "price": item.get(price_field)}
            valid.append((item, ItemSummary.model_validate(data).to_listing(marketplace)))
        except (ValidationError, TypeError) as exc:
            ITEMS_SKIPPED.inc()
            item_id = item.get("itemId") if isinstance(item, dict) else None
            log.warning(
                "%s: skipped malformed item %s at position %d: %s",
                source,
                item_id or "(no itemId)",
                position,
                _describe(exc),
                extra={"marketplace": marketplace.value},
            )
    return valid


def _describe(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:3]
        )
    return str(exc)
