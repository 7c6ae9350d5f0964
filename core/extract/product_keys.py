"""Product keys (DOMAIN.md): which listings' prices are comparable.

Built only from canonical attributes, lowercase, `:`-separated, `unknown` for a missing
part; `other` listings get none. Two departures from DOMAIN.md, because their prices are
different markets (README, "Product keys"): a RAM key names the module kind
(`ram:ddr4:lrdimm:ecc_reg:64gb:2666`), and an Optane (3D XPoint) drive's kind is `xpoint`
rather than `ssd` (`drive:nvme:2.5:375gb:xpoint`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.models import ComponentType

UNKNOWN = "unknown"
REGISTERED_MODULES = frozenset({"RDIMM", "LRDIMM"})  # always registered, always ECC
UNBUFFERED_MODULES = frozenset({"UDIMM", "SODIMM"})
_HDD_KIND = {7200: "hdd7k2", 10000: "hdd10k", 15000: "hdd15k"}


def _part(value: Any, suffix: str = "") -> str:
    if value is None or value == "":
        return UNKNOWN
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value}{suffix}".lower()


def _ram_class(attributes: Mapping[str, Any]) -> str:
    ecc, registered = attributes.get("ecc"), attributes.get("registered")
    if registered is None and attributes.get("module") in REGISTERED_MODULES:
        registered = True
    elif registered is None and attributes.get("module") in UNBUFFERED_MODULES:
        registered = False
    if registered is True:
        return "ecc_reg"  # RDIMM and LRDIMM are always ECC
    if ecc is True and registered is False:
        return "ecc_unbuf"
    if ecc is False:
        return "non_ecc"
    return UNKNOWN


def _drive_kind(attributes: Mapping[str, Any]) -> str:
    media = attributes.get("media")
    if attributes.get("technology") == "3D XPoint" and media != "HDD":
        return "xpoint"  # Optane: solid state, at about ten times NAND's price per GB
    if media == "SSD":
        return "ssd"
    if media == "HDD":
        return _HDD_KIND.get(attributes.get("rpm") or 0, "hdd")
    return UNKNOWN


def product_key(component_type: ComponentType, attributes: Mapping[str, Any]) -> str | None:
    """The product key for canonical attributes of a type, or None for `other`."""
    a = attributes
    match component_type:
        case ComponentType.RAM:
            parts = ["ram", _part(a.get("generation")), _part(a.get("module")), _ram_class(a),
                     _part(a.get("capacity_gb"), "gb"), _part(a.get("speed_mhz"))]  # fmt: skip
        case ComponentType.DRIVE:
            parts = ["drive", _part(a.get("interface")), _part(a.get("form_factor")),
                     _part(a.get("capacity_gb"), "gb"), _drive_kind(a)]  # fmt: skip
        case ComponentType.SERVER:
            parts = ["server", _part(a.get("manufacturer")), _part(a.get("model")),
                     _part(a.get("tier"))]  # fmt: skip
        case ComponentType.CPU:
            parts = ["cpu", _part(a.get("manufacturer")), _part(a.get("model"))]
        case ComponentType.NIC:
            parts = ["nic", _part(a.get("speed")), _part(a.get("port_count"), "p"),
                     _part(a.get("port_type"))]  # fmt: skip
        case ComponentType.GPU:
            parts = ["gpu", _part(a.get("manufacturer")), _part(a.get("model")),
                     _part(a.get("vram_gb"), "gb")]  # fmt: skip
        case ComponentType.WORKSTATION | ComponentType.DESKTOP:
            parts = [component_type.value, _part(a.get("manufacturer")), _part(a.get("model"))]
        case _:
            return None
    return ":".join(parts)
