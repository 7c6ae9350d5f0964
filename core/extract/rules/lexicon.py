"""Vocabulary shared by several rules: eBay categories, system brands, modifier nouns."""

from __future__ import annotations

import re

from core.models import ComponentType

# eBay leaf categories that say what a listing sells (sellers pick them, so they are a
# strong hint, but accessories are often filed under the product they fit).
CATEGORY_TYPES: dict[str, tuple[ComponentType, ...]] = {
    "170083": (ComponentType.RAM,),
    "175669": (ComponentType.DRIVE,),
    "56083": (ComponentType.DRIVE,),
    "11211": (ComponentType.SERVER,),
    "164": (ComponentType.CPU,),
    "20318": (ComponentType.NIC,),
    "44980": (ComponentType.NIC,),
    "27386": (ComponentType.GPU,),
    "179": (ComponentType.WORKSTATION, ComponentType.DESKTOP),
    "1244": (ComponentType.OTHER,),
}
SSD_CATEGORY = "175669"

# Brand spellings -> canonical manufacturer, for servers, workstations and desktops.
SYSTEM_BRANDS: dict[str, str] = {
    "dell": "dell",
    "dell emc": "dell",
    "hpe": "hpe",
    "hp": "hp",
    "hewlett packard enterprise": "hpe",
    "hewlett packard": "hp",
    "hewlett-packard": "hp",
    "lenovo": "lenovo",
    "ibm": "ibm",
    "supermicro": "supermicro",
    "super micro": "supermicro",
    "cisco": "cisco",
    "fujitsu": "fujitsu",
    "inspur": "inspur",
    "gigabyte": "gigabyte",
    "huawei": "huawei",
    "asus": "asus",
    "asrock rack": "asrock",
    "quanta": "quanta",
    "intel": "intel",
    "oracle": "oracle",
    "sun": "oracle",
    "tyan": "tyan",
    "apple": "apple",
    # desktop and mini-PC makers
    "beelink": "beelink",
    "minisforum": "minisforum",
    "skytech": "skytech",
    "cyberpowerpc": "cyberpowerpc",
    "ibuypower": "ibuypower",
}
_BRAND = re.compile(
    r"\b(" + "|".join(sorted((re.escape(b) for b in SYSTEM_BRANDS), key=len, reverse=True)) + r")\b"
)


def system_brand(text: str) -> str | None:
    """The canonical manufacturer of the first system brand named in `text`."""
    match = _BRAND.search(text)
    return SYSTEM_BRANDS[match.group(1)] if match else None


# A type noun followed by one of these is a modifier ("Server RAM", "Workstation GPU"),
# not the item.
COMPONENT_NOUNS = (
    r"(?:ram|memory|memoria|speicher|arbeitsspeicher|dimm|rdimm|lrdimm|udimm|module|kit|"
    r"cpu|cpus|processor|processors|prozessor|chip|"
    r"hdd|ssd|drive|drives|hard|disk|festplatte|storage|"
    r"nic|network|adapter|card|karte|ethernet|lan|"
    r"gpu|graphics|grafikkarte|video|accelerator|"
    r"psu|power|rails?|fan|fans|heatsink|caddy|tray|motherboard|mainboard|board|"
    r"chassis|case|parts|spares|grade|class|edition)\b"
)
