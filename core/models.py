"""Domain vocabulary shared by every layer: component types, marketplaces, conditions."""

from __future__ import annotations

from enum import StrEnum


class ComponentType(StrEnum):
    """What a listing sells (DOMAIN.md, "Component types")."""

    RAM = "ram"
    DRIVE = "drive"
    SERVER = "server"
    CPU = "cpu"
    NIC = "nic"
    GPU = "gpu"
    WORKSTATION = "workstation"
    DESKTOP = "desktop"
    OTHER = "other"


class Marketplace(StrEnum):
    """eBay marketplaces spt searches; each has one currency."""

    EBAY_US = "EBAY_US"
    EBAY_GB = "EBAY_GB"
    EBAY_DE = "EBAY_DE"
    EBAY_AU = "EBAY_AU"

    @property
    def currency(self) -> str:
        """ISO 4217 code prices on this marketplace are quoted in."""
        return _CURRENCIES[self]


_CURRENCIES: dict[Marketplace, str] = {
    Marketplace.EBAY_US: "USD",
    Marketplace.EBAY_GB: "GBP",
    Marketplace.EBAY_DE: "EUR",
    Marketplace.EBAY_AU: "AUD",
}


class Condition(StrEnum):
    """Normalised item condition (DOMAIN.md, "Canonical attributes")."""

    NEW = "new"
    LIKE_NEW = "like_new"
    USED_WORKING = "used_working"
    FOR_PARTS = "for_parts"
    UNKNOWN = "unknown"


class BuyingOption(StrEnum):
    """How an eBay item can be bought (Browse API `buyingOptions`)."""

    FIXED_PRICE = "FIXED_PRICE"
    AUCTION = "AUCTION"
    BEST_OFFER = "BEST_OFFER"


def choices(enum: type[StrEnum]) -> str:
    """The values of an enum as a human list, for error messages."""
    return ", ".join(member.value for member in enum)
