"""Calibrated confidence: how clear the type was, minus what the title left unsaid.

The rest of spt sends titles under a threshold (0.8 by default) to an LLM, so the score
must separate titles the rules read completely from those they only half understood.
"""

from __future__ import annotations

from core.extract.rules.parsed import Parsed
from core.models import ComponentType

# What each graded field is worth when missing: the fields a product key is built from
# weigh most; fields titles often leave out (tier, rpm, ecc) weigh little.
_WEIGHTS: dict[ComponentType, dict[str, float]] = {
    ComponentType.RAM: {
        "generation": 0.25,
        "capacity_gb": 0.35,
        "speed_mhz": 0.2,
        "ecc": 0.05,
        "module": 0.05,
    },
    ComponentType.DRIVE: {
        "interface": 0.12,
        "form_factor": 0.08,
        "capacity_gb": 0.35,
        "media": 0.2,
        "rpm": 0.06,
    },
    ComponentType.SERVER: {"manufacturer": 0.2, "model": 0.35, "tier": 0.04},
    ComponentType.CPU: {"manufacturer": 0.1, "family": 0.1, "model": 0.4, "cores": 0.15},
    ComponentType.NIC: {"speed": 0.25, "port_count": 0.2, "port_type": 0.2},
    ComponentType.GPU: {"manufacturer": 0.15, "model": 0.4, "vram_gb": 0.2},
    ComponentType.WORKSTATION: {"manufacturer": 0.15, "model": 0.4},
    ComponentType.DESKTOP: {"manufacturer": 0.15, "model": 0.4},
    ComponentType.OTHER: {},
}
_DOUBT_PENALTY = 0.12
# The most a title scores that names nothing the rules can read ("Lot of misc stuff", a bare
# brand, ""), whatever its category hints: far under any sensible LLM threshold, so `auto`
# asks the LLM.
UNRECOGNISED = 0.1


def score(component_type: ComponentType, clarity: float, parsed: Parsed | None) -> float:
    """Confidence in [0, 1] for one extraction."""
    if parsed is None:
        return round(max(0.0, min(1.0, clarity)), 3)
    weights = _WEIGHTS[component_type]
    wanted = set(parsed.expected)
    if component_type is ComponentType.RAM:
        wanted |= {"ecc", "module"}
    if component_type is ComponentType.SERVER:
        wanted.add("tier")
    missing = sum(
        weight
        for name, weight in weights.items()
        if name in wanted and parsed.attributes.get(name) is None
    )
    value = clarity * (1.0 - missing) - _DOUBT_PENALTY * parsed.doubts
    return round(max(0.0, min(1.0, value)), 3)
