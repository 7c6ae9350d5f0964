"""The canonical attribute catalogue per component type (DOMAIN.md, plus the RAM module kind
and drive technology spt's product keys add), used to type filters.

Extraction schemas (core/extract) define the full models; this table is the small,
stable contract users type against in watch filters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from core.models import ComponentType, Condition


class Kind(Enum):
    """How an attribute's values compare."""

    INT = "integer"
    FLOAT = "number"
    BOOL = "boolean"
    TEXT = "text"


@dataclass(frozen=True)
class AttributeSpec:
    """One filterable attribute: its value kind and, for closed sets, the canonical values."""

    name: str
    kind: Kind
    values: tuple[str, ...] = ()

    @property
    def numeric(self) -> bool:
        """Whether `min`/`max` make sense for this attribute."""
        return self.kind in (Kind.INT, Kind.FLOAT)


def _spec(name: str, kind: Kind, *values: str) -> AttributeSpec:
    return AttributeSpec(name, kind, tuple(values))


# Capacity of the whole listing, capacity_gb x quantity: a "128GB" watch matches a 2x64GB
# kit with `total_capacity_gb>=128` (capacity_gb is per module, DOMAIN.md).
TOTAL_CAPACITY = "total_capacity_gb"


def total_capacity(attributes: Mapping[str, Any], quantity: int) -> int | None:
    """capacity_gb times the units sold together, or None when the title states no capacity."""
    capacity = attributes.get("capacity_gb")
    if isinstance(capacity, bool) or not isinstance(capacity, int):
        return None
    return capacity * max(quantity, 1)


_COMMON = (
    _spec("condition", Kind.TEXT, *(c.value for c in Condition)),
    _spec("quantity", Kind.INT),
)

CATALOGUE: dict[ComponentType, tuple[AttributeSpec, ...]] = {
    ComponentType.RAM: (
        _spec("generation", Kind.TEXT, "DDR3", "DDR4", "DDR5"),
        _spec("capacity_gb", Kind.INT),
        _spec(TOTAL_CAPACITY, Kind.INT),
        _spec("speed_mhz", Kind.INT),
        _spec("ecc", Kind.BOOL),
        _spec("registered", Kind.BOOL),
        _spec("module", Kind.TEXT, "RDIMM", "LRDIMM", "UDIMM", "SODIMM"),
    ),
    ComponentType.DRIVE: (
        _spec("interface", Kind.TEXT, "SAS", "SATA", "NVMe"),
        _spec("form_factor", Kind.TEXT, "2.5", "3.5", "M.2"),
        _spec("capacity_gb", Kind.INT),
        _spec(TOTAL_CAPACITY, Kind.INT),
        _spec("media", Kind.TEXT, "SSD", "HDD"),
        _spec("rpm", Kind.INT),
        _spec("technology", Kind.TEXT, "3D XPoint"),
    ),
    ComponentType.SERVER: (
        _spec("manufacturer", Kind.TEXT),
        _spec("model", Kind.TEXT),
        _spec("form_factor", Kind.TEXT, "1U", "2U", "3U", "4U", "tower"),
        _spec("tier", Kind.TEXT, "barebone", "partial", "configured"),
    ),
    ComponentType.CPU: (
        _spec("manufacturer", Kind.TEXT, "intel", "amd"),
        _spec("family", Kind.TEXT, "xeon", "epyc", "core", "ryzen", "threadripper"),
        _spec("model", Kind.TEXT),
        _spec("cores", Kind.INT),
    ),
    ComponentType.NIC: (
        _spec("speed", Kind.TEXT, "1GbE", "10GbE", "25GbE", "40GbE", "100GbE", "200GbE"),
        _spec("port_count", Kind.INT),
        _spec("port_type", Kind.TEXT, "SFP+", "SFP28", "QSFP+", "QSFP28", "QSFP56", "RJ45"),
    ),
    ComponentType.GPU: (
        _spec("manufacturer", Kind.TEXT, "nvidia", "amd", "intel"),
        _spec("model", Kind.TEXT),
        _spec("vram_gb", Kind.INT),
    ),
    ComponentType.WORKSTATION: (_spec("manufacturer", Kind.TEXT), _spec("model", Kind.TEXT)),
    ComponentType.DESKTOP: (_spec("manufacturer", Kind.TEXT), _spec("model", Kind.TEXT)),
    ComponentType.OTHER: (),
}


def attributes_for(component_type: ComponentType) -> dict[str, AttributeSpec]:
    """Every attribute a watch of this type may filter on, by name."""
    return {spec.name: spec for spec in (*CATALOGUE[component_type], *_COMMON)}


_IGNORED = str.maketrans("", "", " -_")


def fold(text: str) -> str:
    """DOMAIN.md string comparison: case-insensitive, ignoring spaces, `-` and `_`."""
    return text.casefold().translate(_IGNORED)
