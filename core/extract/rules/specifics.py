"""Item specifics ({"Brand": "Dell", "Capacity": "32 GB", ...}) as a second, weaker title.

Values of the keys that matter for a type are rewritten into title words ("Number of
Cores: 16" -> "16 cores") and run through the same parser; they only fill fields the
title left empty, because the title is what the seller typed for this very item.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from core.extract.rules.parsed import Parsed
from core.extract.rules.text import Title, normalise
from core.models import ComponentType

_KEYS: dict[ComponentType, re.Pattern[str]] = {
    ComponentType.RAM: re.compile(
        r"capacity per module|^capacity$|type|speed|form factor|error correction|ecc|registered|"
        r"buffered|"
        r"modulkapazität|geschwindigkeit|speichertyp|fehlerkorrektur"
    ),
    ComponentType.DRIVE: re.compile(
        r"capacity|interface|form factor|drive type|^type$|rotation|rpm|speicherkapazität|"
        r"schnittstelle|formfaktor|festplattentyp|drehzahl"
    ),
    ComponentType.CPU: re.compile(
        r"brand|processor model|^model$|processor type|product line|series|cores|socket|"
        r"marke|prozessormodell|prozessortyp|kerne|sockel"
    ),
    ComponentType.SERVER: re.compile(
        r"brand|^model$|product line|series|form factor|marke|modell|produktlinie|formfaktor"
    ),
    ComponentType.NIC: re.compile(
        r"data transfer rate|speed|ports|connectivity|connector|interface|"
        r"übertragungsrate|anschlüsse|anschluss"
    ),
    ComponentType.GPU: re.compile(
        r"chipset|gpu|memory size|brand|^model$|speichergröße|grafikprozessor|marke"
    ),
    ComponentType.WORKSTATION: re.compile(r"brand|^model$|product line|series|marke|modell"),
    ComponentType.DESKTOP: re.compile(r"brand|^model$|product line|series|marke|modell"),
}
_COUNT_WORDS = (
    (re.compile(r"cores|kerne"), "cores"),
    (re.compile(r"ports|anschlüsse"), "port"),
)
_YES = re.compile(r"^(?:yes|ja|true|ecc)$", re.IGNORECASE)
_NO = re.compile(r"^(?:no|nein|false|non-ecc)$", re.IGNORECASE)


def specifics_title(component_type: ComponentType, specifics: Mapping[str, str]) -> Title | None:
    """The relevant item specifics of a type as one normalised pseudo-title."""
    pattern = _KEYS.get(component_type)
    if pattern is None:
        return None
    words: list[str] = []
    for key, value in specifics.items():
        name, text = key.strip().lower(), str(value).strip()
        if not text or not pattern.search(name):
            continue
        words.append(_rewrite(name, text))
    return normalise(" ".join(words)) if words else None


def _rewrite(name: str, value: str) -> str:
    for key_pattern, unit in _COUNT_WORDS:
        if key_pattern.search(name) and value.isdigit():
            return f"{value} {unit}"
    if "ecc" in name or "error correction" in name or "fehlerkorrektur" in name:
        if _YES.match(value):
            return "ECC"
        if _NO.match(value):
            return "non-ECC"
    if ("rotation" in name or "rpm" in name or "drehzahl" in name) and value.isdigit():
        return f"{value} rpm"
    return value


def fill(
    parsed: Parsed,
    component_type: ComponentType,
    specifics: Mapping[str, str],
    parse: Callable[[Title], Parsed],
) -> None:
    """Fill `parsed`'s empty fields from item specifics parsed like a title."""
    title = specifics_title(component_type, specifics)
    if title is None:
        return
    extra = parse(title)
    for name, value in extra.attributes.items():
        parsed.put(name, value)
