"""Normalisation after any backend: placeholders out, units fixed, canonical forms, validation.

Rules output canonical values already; LLMs mostly do. This pass makes both safe: a value
that cannot be made canonical is dropped (absent), never stored half-right.
"""

from __future__ import annotations

import functools
import logging
import re
import typing
from typing import Any

from pydantic import ValidationError

from core.attributes import fold
from core.extract.product_keys import REGISTERED_MODULES, product_key
from core.extract.schemas import ATTRIBUTE_MODELS, CANONICAL_FIELDS, Attributes, Extraction
from core.models import ComponentType

log = logging.getLogger(__name__)

PLACEHOLDERS = frozenset(
    {"", "n/a", "na", "none", "null", "unknown", "unk", "-", "--", "?", "not specified",
     "unspecified", "not stated", "does not apply", "nicht zutreffend", "other", "tbd"}
)  # fmt: skip
_NUMBER = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*([a-z/]*)\s*$", re.IGNORECASE)
# Unit words an LLM may leave on a number, as a factor to the field's unit.
_UNITS: dict[str, dict[str, float]] = {
    "capacity_gb": {"": 1, "gb": 1, "g": 1, "tb": 1000, "t": 1000},
    "vram_gb": {"": 1, "gb": 1, "g": 1},
    "speed_mhz": {"": 1, "mhz": 1, "mt/s": 1, "mts": 1},
    "rpm": {"": 1, "rpm": 1, "k": 1000, "krpm": 1000},
    "cores": {"": 1, "c": 1, "core": 1, "cores": 1},
    "port_count": {"": 1, "p": 1, "port": 1, "ports": 1, "x": 1},
}
# Lower-case, spaceless identifiers (DOMAIN.md: "model lowercase without spaces").
_IDENTIFIER_FIELDS = ("manufacturer", "model")
_MAKER_ALIASES = {"hewlettpackardenterprise": "hpe", "hewlettpackard": "hp", "lenovo": "lenovo",
                  "dellemc": "dell", "dellinc": "dell", "nvidiacorporation": "nvidia",
                  "advancedmicrodevices": "amd", "intelcorporation": "intel"}  # fmt: skip
# Other spellings of closed values, folded (DOMAIN.md's comparison rule), per field.
_VALUE_ALIASES: dict[str, dict[str, str]] = {
    "module": {"registered": "RDIMM", "reg": "RDIMM", "registereddimm": "RDIMM",
               "eccregistered": "RDIMM", "3dsrdimm": "RDIMM", "rdimm3ds": "RDIMM",
               "loadreduced": "LRDIMM", "loadreduceddimm": "LRDIMM", "3dslrdimm": "LRDIMM",
               "unbuffered": "UDIMM", "unbuffereddimm": "UDIMM", "eccudimm": "UDIMM",
               "laptop": "SODIMM", "smalloutline": "SODIMM"},
    "technology": {"optane": "3D XPoint", "xpoint": "3D XPoint", "inteloptane": "3D XPoint",
                   "3dxpointoptane": "3D XPoint", "optane3dxpoint": "3D XPoint"},
}  # fmt: skip


def _is_placeholder(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower() in PLACEHOLDERS


def _number(name: str, value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, str):
        return value
    match = _NUMBER.match(value)
    units = _UNITS.get(name)
    if not match or units is None:
        return value
    factor = units.get(match.group(2).lower())
    if factor is None:
        return value
    number = float(match.group(1).replace(",", ".")) * factor
    return int(number) if number.is_integer() else number


def _literal_choices(annotation: Any) -> tuple[str, ...]:
    choices: list[str] = []
    for arg in typing.get_args(annotation):
        if typing.get_origin(arg) is typing.Literal:
            choices.extend(str(v) for v in typing.get_args(arg))
    if typing.get_origin(annotation) is typing.Literal:
        choices.extend(str(v) for v in typing.get_args(annotation))
    return tuple(choices)


@functools.cache
def _choices(component_type: ComponentType, name: str) -> dict[str, str] | None:
    """Folded spelling -> canonical value for a closed field; None for open ones."""
    info = ATTRIBUTE_MODELS[component_type].model_fields[name]
    choices = _literal_choices(info.annotation)
    return {fold(c): c for c in choices} if choices else None


def _canonical(component_type: ComponentType, name: str, value: Any) -> Any:
    value = _number(name, value)
    choices = _choices(component_type, name)
    if choices is not None:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            return None
        folded = fold(str(value))
        return choices.get(folded) or _VALUE_ALIASES.get(name, {}).get(folded)
    if name in _IDENTIFIER_FIELDS and isinstance(value, str):
        folded = "".join(value.lower().split())
        if name == "manufacturer":
            return _MAKER_ALIASES.get(folded.replace("-", ""), folded)
        return folded
    return value


def _validated(model: type[Attributes], candidates: dict[str, Any]) -> dict[str, Any]:
    """The candidates the model accepts, coerced; checked together first since most pass."""
    try:
        parsed = model.model_validate(candidates)
    except ValidationError:
        parsed = None
    if parsed is not None:
        return {name: getattr(parsed, name) for name in candidates}
    clean: dict[str, Any] = {}
    for name, value in candidates.items():
        try:
            clean[name] = getattr(model.model_validate({name: value}), name)
        except ValidationError:
            log.debug("dropped %s=%r for %s: not a valid value", name, value, model.__name__)
    return clean


def normalise(extraction: Extraction) -> Extraction:
    """Canonical attributes for the extraction's type; bad or foreign values are dropped."""
    kind = extraction.component_type
    model = ATTRIBUTE_MODELS[kind]
    candidates: dict[str, Any] = {}
    for name, raw in extraction.attributes.items():
        if raw is None or _is_placeholder(raw) or name not in model.model_fields:
            continue
        value = _canonical(kind, name, raw)
        if value is not None:
            candidates[name] = value
    clean = _validated(model, candidates)
    if kind is ComponentType.DRIVE:
        _drive_implications(clean)
    elif kind is ComponentType.RAM:
        _module_implications(clean)
    return extraction.model_copy(update={"attributes": clean})


def _drive_implications(attributes: dict[str, Any]) -> None:
    """SSDs have no spindle speed; a 3D XPoint (Optane) drive is an SSD."""
    if attributes.get("technology") is not None:
        if attributes.get("media") == "HDD":
            del attributes["technology"]  # contradicts itself: keep what is surely stated
        else:
            attributes.setdefault("media", "SSD")
    if attributes.get("media") == "SSD":
        attributes.pop("rpm", None)


def _module_implications(attributes: dict[str, Any]) -> None:
    """RDIMMs and LRDIMMs are registered and ECC; UDIMMs and SODIMMs are not registered.
    A module kind that contradicts `registered` is dropped (the registered flag is the
    graded field, and the key's class still separates the markets)."""
    module = attributes.get("module")
    if module is None:
        return
    registered = module in REGISTERED_MODULES
    stated = attributes.get("registered")
    if (stated is not None and stated is not registered) or (
        registered and attributes.get("ecc") is False  # no RDIMM is without ECC
    ):
        del attributes["module"]
        return
    attributes["registered"] = registered
    if registered:
        attributes["ecc"] = True


def key_for(extraction: Extraction) -> str | None:
    """The product key of a normalised extraction (None for `other`)."""
    graded = {
        k: v
        for k, v in extraction.attributes.items()
        if k in CANONICAL_FIELDS[extraction.component_type]
    }
    return product_key(extraction.component_type, graded)
