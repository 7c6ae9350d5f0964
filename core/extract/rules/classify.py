"""Component type from per-type evidence, accessory nouns and eBay categories."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.extract.rules import cpu, drive, gpu, nic, ram, server, systems
from core.extract.rules.accessories import Accessory, find_accessory
from core.extract.rules.lexicon import CATEGORY_TYPES
from core.extract.rules.server import SystemModel
from core.extract.rules.text import Title
from core.models import ComponentType

_CATEGORY_WEIGHT = 3.0
_MIN_SCORE = 3.0  # below this nothing in the title names a sellable component
_MOTHERBOARD = Accessory(("board",), frozenset())
_COMPONENT_NOUN = re.compile(
    r"\b(?:ram|memory|so-?dimm|sodimm|ssd|hdd|hard\s+drive|nvme|cpu|processor|gpu|graphics)\b"
)
_BAY_PARTS = frozenset({"backplane", "cage", "caddy"})
_SYSTEMS = (ComponentType.SERVER, ComponentType.WORKSTATION, ComponentType.DESKTOP)


@dataclass(frozen=True, slots=True)
class Decision:
    """The chosen type, how clear the choice was (0..1), and what decided it."""

    component_type: ComponentType
    clarity: float
    system: SystemModel | None = None
    accessory: Accessory | None = None
    scores: dict[ComponentType, float] = field(default_factory=dict)


def classify(title: Title, category_ids: Sequence[str] = ()) -> Decision:
    """Pick the listing's component type; accessories first, then the strongest evidence."""
    main = title.main
    models = {
        ComponentType.SERVER: server.find_model(title.core),
        ComponentType.WORKSTATION: systems.find_workstation(title.core),
        ComponentType.DESKTOP: systems.find_desktop(title.core),
    }
    scores = {
        ComponentType.RAM: ram.evidence(title),
        ComponentType.DRIVE: drive.evidence(title),
        ComponentType.CPU: cpu.evidence(title),
        ComponentType.NIC: nic.evidence(title),
        ComponentType.GPU: gpu.evidence(title),
        ComponentType.SERVER: server.evidence(title, models[ComponentType.SERVER]),
        ComponentType.WORKSTATION: systems.workstation_evidence(
            title, models[ComponentType.WORKSTATION]
        ),
        ComponentType.DESKTOP: systems.desktop_evidence(title, models[ComponentType.DESKTOP]),
    }
    accessory = find_accessory(main)
    hinted_types: set[ComponentType] = set()
    for category in category_ids:
        for hinted in CATEGORY_TYPES.get(str(category), ()):
            if hinted is ComponentType.OTHER:
                accessory = accessory or _MOTHERBOARD
            else:
                scores[hinted] += _CATEGORY_WEIGHT
                hinted_types.add(hinted)
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    system = models.get(best)
    if accessory is not None and accessory.generic and best in hinted_types:
        accessory = None  # "module" in a RAM category listing is the module itself
    if accessory is not None:
        if best in accessory.hosts and _hosts_complete(best, title, system, accessory):
            return Decision(best, _clarity(top, second) * 0.95, system, accessory, scores)
        # A vague part noun, or one accessory word against a strong product, leaves doubt.
        contested = top >= 7.0 and best not in accessory.hosts and len(accessory.kinds) == 1
        clarity = 0.75 if accessory.generic else 0.8 if contested else 0.92
        return Decision(ComponentType.OTHER, clarity, None, accessory, scores)
    if top < _MIN_SCORE:
        return Decision(ComponentType.OTHER, 0.3, None, None, scores)
    clarity = _clarity(top, second)
    if best in _SYSTEMS and not _described(best, title):
        clarity = min(clarity, 0.7)  # a bare model name may as well be a part for that model
    return Decision(best, clarity, system, None, scores)


def _described(kind: ComponentType, title: Title) -> bool:
    """Whether a system title says anything about the machine beyond its model name."""
    if kind is ComponentType.SERVER:
        return server.described(title.main)
    return systems.described(title.main)


def _clarity(top: float, second: float) -> float:
    """How clear a win is: a large lead over the runner-up means the type is not in doubt."""
    margin = top - second
    if margin >= 4.0:
        clarity = 1.0
    elif margin >= 2.5:
        clarity = 0.93
    elif margin >= 1.5:
        clarity = 0.78
    elif margin >= 0.75:
        clarity = 0.7
    else:
        clarity = 0.55
    if top < 5.0:
        clarity = min(clarity, 0.85)
    return clarity


def _hosts_complete(
    kind: ComponentType, title: Title, system: SystemModel | None, accessory: Accessory
) -> bool:
    """Whether the item part of a title fully describes a `kind` on its own, so accessory
    words in it are inclusions ("... HDD Caddy", "... Server Rails") rather than the item."""
    main = Title(title.raw, title.main, title.main, title.core)
    if "laptop" in accessory.kinds:
        # "Latitude i5 16GB 256GB" is a laptop; "Laptop RAM" / "SO-DIMM Laptop Memory" is RAM.
        return bool(_COMPONENT_NOUN.search(main.main)) and _component_kinds(main) <= 1
    if kind in _SYSTEMS:
        named = system is not None or server.evidence(main, None) >= 2.0
        return named and (
            server.configuration(main.main) > 0
            or server.barebone(main.main)
            # "2U Server 16SFF ... PSU" is a machine even with no CPU named; bays and height
            # alone describe rails, a backplane or a caddy just as well.
            or (
                server.sized(main.main)
                and server.named_server(main.main)
                and not _BAY_PARTS.intersection(accessory.kinds)
            )
        )
    if _component_kinds(main) > 1:
        return False  # several components named: a system or bundle, not one part
    if kind is ComponentType.DRIVE:
        attrs = drive.parse(main).attributes
        return "capacity_gb" in attrs and any(k in attrs for k in ("media", "rpm", "interface"))
    if kind is ComponentType.GPU:
        attrs = gpu.parse(main).attributes
        return "model" in attrs and "vram_gb" in attrs
    if kind is ComponentType.NIC:
        attrs = nic.parse(main).attributes
        return "port_count" in attrs and ("speed" in attrs or "port_type" in attrs)
    if kind is ComponentType.CPU:
        return bool(cpu.find_models(main.main))
    if kind is ComponentType.RAM:
        attrs = ram.parse(main).attributes
        return "generation" in attrs and "capacity_gb" in attrs
    return False


def _component_kinds(title: Title) -> int:
    """How many different component kinds a title names with specifics."""
    kinds = 0
    if cpu.find_models(title.main):
        kinds += 1
    if gpu.find_models(title.main):
        kinds += 1
    ram_attrs = ram.parse(title).attributes
    if "generation" in ram_attrs and "capacity_gb" in ram_attrs:
        kinds += 1
    drive_attrs = drive.parse(title).attributes
    if "capacity_gb" in drive_attrs and "media" in drive_attrs:
        kinds += 1
    return kinds
