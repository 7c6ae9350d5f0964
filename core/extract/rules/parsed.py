"""What a type's parser read from a title, with what it expected but could not find."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Parsed:
    """Attributes of one type, plus the bookkeeping confidence needs.

    `expected` names the graded fields a title of this kind normally states; `doubts`
    counts conflicting or weakly supported values; `units` is how many identical units
    the spec itself names (a "4x16GB" kit is 4).
    """

    attributes: dict[str, Any] = field(default_factory=dict)
    expected: tuple[str, ...] = ()
    doubts: int = 0
    units: int = 1

    def missing(self) -> list[str]:
        """Expected fields the title did not give."""
        return [name for name in self.expected if self.attributes.get(name) is None]

    def put(self, name: str, value: Any) -> None:
        """Set a field unless the title already gave it (title beats hints and tables)."""
        if value is not None and self.attributes.get(name) is None:
            self.attributes[name] = value
