"""Watch attribute filters: parsing `capacity_gb>=32` style text and typing values per attribute."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from core.attributes import AttributeSpec, Kind, attributes_for, fold
from core.models import ComponentType

FilterValue = int | float | bool | str
_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}
# `in` first so "port_type in SFP+,SFP28" is not read as an `=` filter.
_SYNTAX = re.compile(
    r"^\s*(?P<attr>[A-Za-z_][A-Za-z0-9_]*)\s*"
    r"(?:(?P<in>\s+in\s+)|(?P<op>>=|<=|==|=|:))\s*(?P<value>.*?)\s*$",
    re.IGNORECASE,
)
_OPS = {">=": "min", "<=": "max", "==": "eq", "=": "eq"}


class FilterError(ValueError):
    """A filter that cannot be applied; the message says what is wrong."""


class FilterOp(StrEnum):
    """How a filter compares the listing's attribute with its value."""

    EQ = "eq"
    MIN = "min"
    MAX = "max"
    IN = "in"


class AttributeFilter(BaseModel):
    """One typed condition on an extracted attribute, stored in `watches.filters`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    attribute: str
    op: FilterOp
    value: FilterValue | list[FilterValue]

    def describe(self) -> str:
        """The filter in the syntax users type."""
        if self.op is FilterOp.IN:
            assert isinstance(self.value, list)
            return f"{self.attribute} in {','.join(_show(v) for v in self.value)}"
        symbol = {FilterOp.EQ: "=", FilterOp.MIN: ">=", FilterOp.MAX: "<="}[self.op]
        assert not isinstance(self.value, list)
        return f"{self.attribute}{symbol}{_show(self.value)}"


def _show(value: FilterValue) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def parse_filter(text: str, component_type: ComponentType) -> AttributeFilter:
    """Parse `attr>=v`, `attr<=v`, `attr=v` or `attr in a,b` for a watch of this type."""
    match = _SYNTAX.match(text)
    if not match or not match.group("value"):
        raise FilterError(
            f"cannot read filter {text!r}: write it as attribute>=value, attribute<=value, "
            "attribute=value or 'attribute in a,b'"
        )
    if match.group("op") == ":":
        # `capacity_gb:32` could mean exactly 32 or 32 and more: the user says which.
        attr, value = match.group("attr"), match.group("value")
        raise FilterError(
            f"cannot read filter {text!r}: write {attr}={value} for exactly {value}, or "
            f"{attr}>={value} / {attr}<={value} for at least / at most"
        )
    op = FilterOp.IN if match.group("in") else FilterOp(_OPS[match.group("op")])
    raw: Any = match.group("value")
    if op is FilterOp.IN:
        raw = [part.strip() for part in raw.split(",") if part.strip()]
    return build_filter(match.group("attr"), op, raw, component_type)


def build_filter(
    attribute: str, op: FilterOp | str, value: Any, component_type: ComponentType
) -> AttributeFilter:
    """Check a filter against the attribute catalogue; coerce its value to the attribute's type."""
    specs = attributes_for(component_type)
    name = attribute.strip().lower()
    spec = specs.get(name)
    if spec is None:
        known = ", ".join(sorted(specs))
        raise FilterError(
            f"unknown attribute {attribute!r} for type {component_type}; known: {known}"
        )
    try:
        op = FilterOp(str(op).lower())
    except ValueError:
        raise FilterError(f"unknown filter operator {op!r}; use eq, min, max or in") from None
    if op in (FilterOp.MIN, FilterOp.MAX) and not spec.numeric:
        raise FilterError(f"{name} is {spec.kind.value}, so it takes = or 'in', not min/max")
    if op is FilterOp.IN:
        items = value if isinstance(value, list) else [value]
        if not items:
            raise FilterError(f"{name} in: give at least one value")
        return AttributeFilter(attribute=name, op=op, value=[coerce(spec, v) for v in items])
    if isinstance(value, list):
        raise FilterError(f"{name} {op}: expected one value, got a list")
    return AttributeFilter(attribute=name, op=op, value=coerce(spec, value))


def coerce(spec: AttributeSpec, value: Any) -> FilterValue:
    """User input as the attribute's own type, so `capacity_gb eq 32` stores the number 32."""
    text = str(value).strip()
    if spec.kind is Kind.BOOL:
        if isinstance(value, bool):
            return value
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise FilterError(f"{spec.name} is true or false, not {text!r}")
    if spec.kind is Kind.INT:
        try:
            number = float(text)
        except ValueError:
            raise FilterError(f"{spec.name} is a whole number, not {text!r}") from None
        if not number.is_integer():
            raise FilterError(f"{spec.name} is a whole number, not {text!r}")
        return int(number)
    if spec.kind is Kind.FLOAT:
        try:
            return float(text)
        except ValueError:
            raise FilterError(f"{spec.name} is a number, not {text!r}") from None
    if not text:
        raise FilterError(f"{spec.name}: value is empty")
    if spec.values:
        for canonical in spec.values:
            if fold(canonical) == fold(text):
                return canonical
        raise FilterError(f"{spec.name} is one of {', '.join(spec.values)}; got {text!r}")
    return fold(text)


def validate_filters(raw: Any, component_type: ComponentType) -> list[AttributeFilter]:
    """Re-check stored or submitted filters (dicts or models) against a component type."""
    if not isinstance(raw, list):
        raise FilterError("filters must be a list")
    result: list[AttributeFilter] = []
    for item in raw:
        if isinstance(item, AttributeFilter):
            item = item.model_dump()
        if isinstance(item, str):
            result.append(parse_filter(item, component_type))
            continue
        if not isinstance(item, dict) or set(item) != {"attribute", "op", "value"}:
            raise FilterError(f"malformed filter {item!r}: expected attribute, op and value")
        result.append(
            build_filter(str(item["attribute"]), str(item["op"]), item["value"], component_type)
        )
    return result
