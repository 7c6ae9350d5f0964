"""Component type from per-type evidence, accessory nouns and eBay categories."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

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
# Parts a machine is listed with ("(2) sinks, 8 fans, 8 trays, H740P, iDRAC 9"): two kinds of
# them alongside the machine's management controller describe the machine, not a part for it.
_FITTED_PARTS = frozenset({"caddy", "controller", "psu", "fan", "heatsink", "riser", "blank"})
_SYSTEMS = (ComponentType.SERVER, ComponentType.WORKSTATION, ComponentType.DESKTOP)
_COMPONENT_EVIDENCE: dict[ComponentType, Callable[[Title], float]] = {
    ComponentType.RAM: ram.evidence,
    ComponentType.DRIVE: drive.evidence,
    ComponentType.CPU: cpu.evidence,
    ComponentType.NIC: nic.evidence,
    ComponentType.GPU: gpu.evidence,
}
# A component whose own absence the title states is its empty box or a part, not the item.
_NO_SELF = {
    ComponentType.CPU: re.compile(r"\b(?:no|without|w/o)\s+(?:cpus?|processors?)\b"),
    ComponentType.GPU: re.compile(
        r"\b(?:no|without|w/o)\s+(?:ram\s*/\s*)?(?:gpu|graphics\s+card|video\s+card)\b"
    ),
}
# Words that say nothing about what the item is, so a "for ..." clause after them names it.
_FILLER = re.compile(
    r"\b(?:new|brand|used|genuine|original|oem|replacement|refurbished|lot|pair|set|"
    r"compatible|sealed|of|\d{1,3}x?)\b"
)
_WORD = re.compile(r"[a-z0-9]")
_SYSTEM_BONUS = 2.0  # a named machine listing two kinds of component is the machine


@dataclass(frozen=True, slots=True)
class Decision:
    """The chosen type, how clear the choice was (0..1), and what decided it.

    `recognised` says whether the title itself named anything: an accessory noun, a system
    model, or evidence of a type strong enough to decide it without hints. Without it the
    type comes from category hints alone (or is `other`), and unless item specifics fill it
    the extraction is never confident.
    """

    component_type: ComponentType
    clarity: float
    system: SystemModel | None = None
    accessory: Accessory | None = None
    scores: dict[ComponentType, float] = field(default_factory=dict)
    recognised: bool = True


def classify(title: Title, category_ids: Sequence[str] = ()) -> Decision:
    """Pick the listing's component type; accessories first, then the strongest evidence."""
    main = title.main
    models = {
        ComponentType.SERVER: server.find_model(title.core),
        ComponentType.WORKSTATION: systems.find_workstation(title.core),
        ComponentType.DESKTOP: systems.find_desktop(title.core),
    }
    scores = _scores(title, models)
    accessory = find_accessory(main)
    # Named: a part noun, a machine model, or enough evidence of a component on its own.
    named = (
        accessory is not None
        or any(models.values())
        or max(scores.values(), default=0.0) >= _MIN_SCORE
    )
    decision = _decide(title, scores, models, accessory, category_ids)
    # Nothing named: a category may still hint the type (and item specifics fill it).
    return decision if named else replace(decision, recognised=False)


def _decide(
    title: Title,
    scores: dict[ComponentType, float],
    models: dict[ComponentType, SystemModel | None],
    accessory: Accessory | None,
    category_ids: Sequence[str],
) -> Decision:
    """Category hints, then accessories, then the strongest evidence."""
    main = title.main
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
        if accessory.sole:
            return Decision(ComponentType.OTHER, 0.9, None, accessory, scores)
        if best in accessory.hosts and _hosts_complete(best, title, system, accessory):
            return Decision(best, _clarity(top, second) * 0.95, system, accessory, scores)
        # A vague part noun, or one accessory word against a strong product, leaves doubt.
        contested = top >= 7.0 and best not in accessory.hosts and len(accessory.kinds) == 1
        clarity = 0.75 if accessory.generic else 0.8 if contested else 0.92
        return Decision(ComponentType.OTHER, clarity, None, accessory, scores)
    if top < _MIN_SCORE:
        return Decision(ComponentType.OTHER, 0.3, None, None, scores)
    if best in _NO_SELF and _NO_SELF[best].search(main):
        return Decision(ComponentType.OTHER, 0.8, None, None, scores)
    if _fits_only(title):
        return Decision(ComponentType.OTHER, 0.75, None, None, scores)
    clarity = _clarity(top, second)
    if best in _SYSTEMS and not _described(best, title):
        clarity = min(clarity, 0.7)  # a bare model name may as well be a part for that model
    return Decision(best, clarity, system, None, scores)


def _scores(
    title: Title, models: dict[ComponentType, SystemModel | None]
) -> dict[ComponentType, float]:
    """Each type's evidence; a named machine listing its parts outscores those parts."""
    named_system = any(models.values())
    # "Dell R740 with 64GB DDR4 RDIMM": what follows "with" is what the machine comes with,
    # so component evidence is read without the inclusion phrases once a machine is named.
    parts = Title(title.raw, title.core, title.core, title.core) if named_system else title
    scores = {kind: evidence(parts) for kind, evidence in _COMPONENT_EVIDENCE.items()}
    scores[ComponentType.SERVER] = server.evidence(title, models[ComponentType.SERVER])
    scores[ComponentType.WORKSTATION] = systems.workstation_evidence(
        title, models[ComponentType.WORKSTATION]
    )
    scores[ComponentType.DESKTOP] = systems.desktop_evidence(title, models[ComponentType.DESKTOP])
    # Two kinds of component named with a machine model ("R630 8SFF(2x 2667v4, 256GB, ...
    # 8x 900GB 10K HDD)") are that machine's configuration, not the item.
    if named_system and (_component_kinds(title) >= 2 or server.configuration(title.main) >= 2.0):
        for kind, model in models.items():
            if model is not None:
                scores[kind] += _SYSTEM_BONUS
    return scores


def _fits_only(title: Title) -> bool:
    """Whether everything the title names sits in its "for ..." clause: the item part
    ("CASE for AORUS RTX 3090", "DH0011 For RX6600XT ...") names nothing sellable itself."""
    if title.main == title.text or not _WORD.search(_FILLER.sub(" ", title.main)):
        return False  # "NEW for Dell R740 32GB DDR4 RDIMM": the item is named after "for"
    item = Title(title.raw, title.main, title.main, title.core)
    return all(evidence(item) == 0 for evidence in _COMPONENT_EVIDENCE.values())


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
        # A processor, memory or storage list beyond one part ("16GB RAM/256GB SSD") is the
        # laptop's own spec, even when the parts carry no generation or model.
        return (
            bool(_COMPONENT_NOUN.search(main.main))
            and _component_kinds(main) <= 1
            and server.configuration(main.main) < 1.5
        )
    if kind in _SYSTEMS:
        named = system is not None or server.evidence(main, None) >= 2.0
        return named and (
            server.configuration(main.main) > 0
            or server.barebone(main.main)
            or server.slots(main.main)
            or (len(_FITTED_PARTS.intersection(accessory.kinds)) >= 2 and server.managed(main.main))
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
