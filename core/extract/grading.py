"""Grading an extraction against a labelled title, by DOMAIN.md's comparison rule."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.attributes import fold
from core.extract.schemas import Extraction


def same_value(expected: Any, got: Any) -> bool:
    """Strings compare case-insensitively ignoring spaces, `-` and `_`; others exactly."""
    if got is None:
        return False
    if isinstance(expected, bool) or isinstance(got, bool):
        return expected is got
    if isinstance(expected, int | float) and isinstance(got, int | float):
        return float(expected) == float(got)
    return fold(str(expected)) == fold(str(got))


@dataclass(frozen=True)
class Grade:
    """One title's grade: whether the type is right and, per labelled field, whether it is."""

    type_ok: bool
    fields: dict[str, bool] = field(default_factory=dict)

    @property
    def misses(self) -> list[str]:
        """The labelled fields that came out wrong."""
        return [name for name, ok in self.fields.items() if not ok]


def grade(expected: Mapping[str, Any], got: Extraction) -> Grade:
    """Grade `got` against an `expected` block of the eval format.

    Only labelled fields count; every field is wrong when the type is wrong. `quantity`
    and `condition` are graded like attributes when they are labelled.
    """
    type_ok = got.component_type.value == expected["component_type"]
    fields: dict[str, bool] = {}
    for name, value in dict(expected.get("attributes") or {}).items():
        actual = got.quantity if name == "quantity" else got.attributes.get(name)
        fields[name] = type_ok and same_value(value, actual)
    if "condition" in expected:
        fields["condition"] = type_ok and same_value(expected["condition"], got.condition.value)
    return Grade(type_ok, fields)
