"""Values in words for the dashboard's pages: `yes` for True, `32 GB`, `RAM`, `eBay UK`,
`2 d 4 h left`; never Python's spelling of a value."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

TYPE_LABELS = {
    "ram": "RAM", "drive": "Drive", "server": "Server", "cpu": "CPU", "nic": "Network card",
    "gpu": "GPU", "workstation": "Workstation", "desktop": "Desktop", "other": "Other",
}  # fmt: skip
MARKETPLACE_LABELS = {
    "EBAY_US": "eBay US", "EBAY_GB": "eBay UK", "EBAY_DE": "eBay Germany",
    "EBAY_AU": "eBay Australia",
}  # fmt: skip
BUYING_OPTION_LABELS = {"FIXED_PRICE": "Buy it now", "AUCTION": "Auction",
                        "BEST_OFFER": "Best offer"}  # fmt: skip
# Attribute names as people say them, and the unit a number of each is in.
_NAMES = {
    "capacity_gb": "Capacity", "total_capacity_gb": "Total capacity", "speed_mhz": "Speed",
    "ecc": "ECC", "vram_gb": "Video memory", "rpm": "Spindle speed", "port_count": "Ports",
    "port_type": "Port type", "form_factor": "Form factor", "part_number": "Part number",
    "cores": "Cores", "tier": "Configuration", "base_ghz": "Base clock", "cpu_count": "CPUs",
    "memory_gb": "Memory", "bays": "Drive bays",
}  # fmt: skip
_UNITS = {"capacity_gb": "GB", "total_capacity_gb": "GB", "vram_gb": "GB", "memory_gb": "GB",
          "speed_mhz": "MHz", "base_ghz": "GHz", "rpm": "rpm"}  # fmt: skip
# Makers and families the rules store in lower case, as they are written.
_PROPER = {
    "amd": "AMD", "intel": "Intel", "nvidia": "NVIDIA", "epyc": "EPYC", "xeon": "Xeon",
    "core": "Core", "ryzen": "Ryzen", "threadripper": "Threadripper", "dell": "Dell",
    "hp": "HP", "hpe": "HPE", "lenovo": "Lenovo", "supermicro": "Supermicro", "cisco": "Cisco",
    "fujitsu": "Fujitsu", "ibm": "IBM", "mellanox": "Mellanox", "broadcom": "Broadcom",
}  # fmt: skip
_INCHES = {"2.5", "3.5", "1.8"}  # drive form factors are inches


def attribute_name(name: str) -> str:
    """`capacity_gb` -> `Capacity`, `part_number` -> `Part number`."""
    return _NAMES.get(name) or name.replace("_", " ").strip().capitalize()


def attribute_value(name: str, value: Any) -> str:
    """An extracted value in words: `yes`/`no`, `32 GB`, `2,666 MHz`, `2.5 inch`, lists
    joined; `not stated` for nothing."""
    if value is None or value == "" or value == []:
        return "not stated"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(attribute_value(name, v) for v in value)
    if isinstance(value, int | float | Decimal):
        unit = _UNITS.get(name)
        if unit == "GB" and name != "vram_gb" and value >= 1000 and value % 10 == 0:
            return f"{float(value) / 1000:g} TB"  # drives: decimal terabytes (not RAM's 1024)
        number = f"{value}" if isinstance(value, int) else f"{float(value):g}"
        return f"{number} {unit}" if unit else number
    text = str(value)
    if name == "form_factor" and text in _INCHES:
        return f"{text} inch"
    return _PROPER.get(text, text) if name in ("manufacturer", "family") else text


def type_label(kind: Any) -> str:
    """A component type (enum or text) in words: `RAM`, `Network card`."""
    value = getattr(kind, "value", kind)
    return TYPE_LABELS.get(str(value), str(value)) if value else "not extracted yet"


def marketplace_label(marketplace: Any) -> str:
    """`EBAY_GB` -> `eBay UK`."""
    value = str(getattr(marketplace, "value", marketplace))
    return MARKETPLACE_LABELS.get(value, value)


def time_left(end: datetime | None, now: datetime | None = None) -> str:
    """How long an auction has left: `2 d 4 h left`, `3 h 10 min left`, `ends in 40 s`."""
    if end is None:
        return "end not stated"
    seconds = (end - (now or datetime.now(UTC))).total_seconds()
    if seconds <= 0:
        return "ended"
    minutes = int(seconds // 60)
    days, hours, mins = minutes // 1440, minutes // 60 % 24, minutes % 60
    if days:
        return f"{days} d {hours} h left" if hours else f"{days} d left"
    if hours:
        return f"{hours} h {mins} min left" if mins else f"{hours} h left"
    return f"{mins} min left" if mins else f"ends in {seconds:.0f} s"
