"""How many identical units a listing sells: lots, packs, pairs and leading counts."""

from __future__ import annotations

import re

from core.extract.rules.text import has
from core.models import ComponentType

# "Lot of 5", "Lot of 4x", "Lot 6x"; but "Lot 40" alone is a seller's lot number, not a count.
_LOT = re.compile(
    r"\b(?:lot|set|pack|bundle|box|case)\s+of\s+(\d{1,4})\s?x?\b|\blot\s*[:#]?\s*(\d{1,4})\s?x\b|"
    r"\b(\d{1,4})\s?x?\s?(?:stück|stueck|stk\.?|stck|pcs\.?|pieces|units|pc\.?s)(?!\w)|"
    r"\b(\d{1,4})[- ]?(?:pack|pk|er[- ]?(?:set|pack|lot))\b|\bqty\.?\s*[:=]?\s*(\d{1,4})\b|"
    r"\bmenge\s*[:=]?\s*(\d{1,4})\b"
)
_PAIR = re.compile(r"\bmatched\s+pair\b|\bpair\s+of\b|\bpaar\b|\b(?:a|1)\s+pair\b|\bpair\b")
# A count at the start, possibly after condition words ("NEW SEALED 5x Seagate ...").
_LEADING = re.compile(
    r"^[(\[]?\s*(?:(?:brand\s+)?new|sealed|neu|used|bulk|job|lot)?\s*(?:sealed\s+)?"
    r"(\d{1,3})\s?(?:x|pcs|stk|stück|\))\s"
)
# "Lot 10x 4TB", "Lot of 4x 16GB": the lot's count is the same count as the "x", never a
# multiplier of it.
_LOT_COUNT = re.compile(r"\blot\s*(?:of\s+|[:#]\s*)?\d{1,4}\s?x\b")
_TRAILING = re.compile(r"(?:\s|^)x\s?(\d{1,3})\s*$|\(x\s?(\d{1,3})\)")
# After a leading count, a system title continues with a brand or line ("3x Dell OptiPlex").
_SYSTEM_START = re.compile(
    r"(?:dell|hpe?|lenovo|supermicro|cisco|fujitsu|poweredge|proliant|thinksystem|thinkcentre|"
    r"optiplex|elitedesk|prodesk|precision|thinkstation)\b"
)
_LOT_WORDS = (
    "lot", "set", "pack", "bundle", "box", "case", "stück", "stueck", "stk", "stck", "pcs",
    "piece", "unit", "pk", "qty", "menge", "pair", "paar",
)  # fmt: skip
_SYSTEMS = (ComponentType.SERVER, ComponentType.WORKSTATION, ComponentType.DESKTOP)


def detect_quantity(text: str, component_type: ComponentType, spec_units: int) -> int:
    """Units sold together: an explicit lot/pack/pair times the units the spec names.

    `spec_units` is the kit count a type parser found ("4x16GB" is 4); a leading "2x"
    counts units only for components, or for systems when a system brand follows (in a
    server title "2x Silver 4114" counts processors, not servers).
    """
    lot = _lot(text)
    if component_type in _SYSTEMS:
        leading = _LEADING.match(text)
        if lot is None and leading and _SYSTEM_START.match(text, leading.end()):
            lot = int(leading.group(1))
        return _clamp(lot or 1)
    units = spec_units if spec_units > 1 else 1
    if units == 1:
        leading = _LEADING.match(text)
        if leading:
            units = int(leading.group(1))
        else:
            trailing = _TRAILING.search(text) if "x" in text else None
            if trailing and component_type is not ComponentType.OTHER:
                units = int(trailing.group(1) or trailing.group(2))
    if lot is not None:
        if _LOT_COUNT.search(text):
            return _clamp(lot)
        # "Lot of 5 2x8GB kits" is ten modules; "LOT OF 10 ... 16GB" is ten.
        return _clamp(lot * units if spec_units > 1 else lot)
    return _clamp(units)


def _lot(text: str) -> int | None:
    if not has(text, _LOT_WORDS):
        return None
    match = _LOT.search(text)
    if match:
        value = next((int(g) for g in match.groups() if g), 0)
        if value >= 1:
            return value
    if _PAIR.search(text):
        return 2
    return None


def _clamp(value: int) -> int:
    return max(1, min(value, 10000))
