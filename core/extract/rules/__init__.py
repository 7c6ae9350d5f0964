"""Rules extractor: deterministic regex-and-lexicon reading of listing titles.

`extract_rules` is the only public entry point. It detects accessories first (a part
named after the product it fits is `other`), then picks the type with the strongest
evidence, parses that type's canonical attributes, and scores its own confidence so
unclear titles can be sent to an LLM.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from core.extract.rules import confidence, cpu, drive, gpu, nic, ram, server, systems
from core.extract.rules.classify import Decision, classify
from core.extract.rules.condition import detect_condition
from core.extract.rules.lexicon import SSD_CATEGORY
from core.extract.rules.parsed import Parsed
from core.extract.rules.quantity import detect_quantity
from core.extract.rules.specifics import fill
from core.extract.rules.text import Title, normalise
from core.extract.schemas import ATTRIBUTE_MODELS, Extraction
from core.models import ComponentType, Marketplace

__all__ = ["extract_rules"]

_PARSERS: dict[ComponentType, Callable[[Title], Parsed]] = {
    ComponentType.RAM: ram.parse,
    ComponentType.DRIVE: drive.parse,
    ComponentType.CPU: cpu.parse,
    ComponentType.NIC: nic.parse,
    ComponentType.GPU: gpu.parse,
}


def extract_rules(
    title: str,
    marketplace: Marketplace | None = None,
    category_ids: Sequence[str] = (),
    item_specifics: Mapping[str, str] | None = None,
) -> Extraction:
    """Read a listing title into type, canonical attributes, condition, quantity, confidence.

    `marketplace` is accepted for parity with other backends: sellers cross-list, so
    English and German wording are recognised on every marketplace. `category_ids` and
    `item_specifics` are optional hints; the title wins where they disagree.
    """
    del marketplace  # wording of every marketplace is recognised everywhere
    text = normalise(title)
    decision = classify(text, category_ids)
    kind = decision.component_type
    parsed = _parse(decision, text)
    if parsed is not None and item_specifics:
        fill(parsed, kind, item_specifics, _specifics_parser(kind))
    # Nothing named in the title and nothing read from the specifics: never confident.
    unread = not decision.recognised and not (
        parsed and any(value is not None for value in parsed.attributes.values())
    )
    if kind is ComponentType.DRIVE and parsed is not None and SSD_CATEGORY in category_ids:
        parsed.put("media", "SSD")
    units = parsed.units if parsed is not None else 1
    attributes = _valid(kind, parsed.attributes if parsed else {})
    if parsed is not None:
        parsed.attributes = attributes  # confidence counts only what survived validation
    score = confidence.score(kind, decision.clarity, parsed)
    if unread:
        score = min(score, confidence.UNRECOGNISED)
    return Extraction(
        component_type=kind,
        attributes=attributes,
        condition=detect_condition(text.text),
        quantity=detect_quantity(text.text, kind, units),
        confidence=score,
    )


def _valid(kind: ComponentType, attributes: dict[str, Any]) -> dict[str, Any]:
    """The attributes that pass the type's schema; an out-of-range value is dropped, never
    stored, so one odd number in a title cannot invalidate the whole result."""
    values = {name: value for name, value in attributes.items() if value is not None}
    model = ATTRIBUTE_MODELS[kind]
    while values:
        try:
            model.model_validate(values)
        except ValidationError as error:
            bad = {str(e["loc"][0]) for e in error.errors() if e["loc"]}
            if not bad & values.keys():
                return {}
            values = {name: value for name, value in values.items() if name not in bad}
        else:
            break
    return values


def _parse(decision: Decision, title: Title) -> Parsed | None:
    kind = decision.component_type
    if kind in _PARSERS:
        return _PARSERS[kind](title)
    if kind is ComponentType.SERVER:
        return server.parse(title, decision.system)
    if kind in (ComponentType.WORKSTATION, ComponentType.DESKTOP):
        return systems.parse(decision.system, title.main)
    return None


def _specifics_parser(kind: ComponentType) -> Callable[[Title], Parsed]:
    if kind in _PARSERS:
        return _PARSERS[kind]
    if kind is ComponentType.SERVER:
        return lambda title: server.parse(title, server.find_model(title.main))
    if kind is ComponentType.WORKSTATION:
        return lambda title: systems.parse(systems.find_workstation(title.main), title.main)
    return lambda title: systems.parse(systems.find_desktop(title.main), title.main)
