"""Title normalisation: one lowercase, single-spaced form every rule matches against."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Typographic quotes, primes, dashes and the multiplication sign sellers paste in.
_TRANSLATE = str.maketrans(
    {
        "\u2033": '"',
        "\u201d": '"',
        "\u201c": '"',
        "\u201e": '"',
        "\u2032": "'",
        "\u2019": "'",
        "\u2018": "'",
        "\u2013": "-",
        "\u2014": "-",
        "\u00d7": "x",
        "\u00a0": " ",
        "|": " | ",
    }
)
# German and many EU sellers write decimals with a comma ("2,5 Zoll", "1,92TB").
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
# Every spelling of inches becomes a double quote so form factors need one pattern.
_INCH = re.compile(r"(\d)(?:\s?(?:zoll|inch(?:es)?)\b|-inch\b|in\b|'')")
# "SSD ... with R740 Tray": a system named right after an inclusion word is what the part
# comes with, so system models are looked for with these phrases blanked out.
_INCLUSION = re.compile(r"\b(?:with|w/|incl\.?|inkl\.?|including|mit)\s+(?:\S+\s+){0,1}\S+")
# Where a compatibility clause starts ("memory for Dell R740"): systems named after it are
# what the item fits, not the item. "For parts/repair" is a condition, not compatibility.
_COMPAT = re.compile(
    r"\b(?:for|fits?|für|fuer|compatible\s+(?:with|for)|kompatibel\s+(?:mit|zu|für)|to\s+suit|"
    r"suits)\b"
    r"(?!\s*(?:parts|repair|spares|ersatzteile|bastler|sale|use\b))"
)

_COMPAT_WORDS = ("for", "fit", "für", "fuer", "compatible", "kompatibel", "suit")
_INCLUSION_WORDS = ("with", "w/", "incl", "inkl", "mit")


@dataclass(frozen=True, slots=True)
class Title:
    """A title prepared for matching.

    `text` is the whole normalised title; `main` is the part before any compatibility
    clause, where the item itself (not what it fits) is named; `core` is `main` without
    inclusion phrases ("with R740 tray"), where a system model can name the item.
    """

    raw: str
    text: str
    main: str
    core: str


def normalise(raw: str) -> Title:
    """Lowercase, unify quotes, dashes, decimal commas and inch spellings, split off `for ...`."""
    text = raw.translate(_TRANSLATE)
    if "," in text:
        text = _DECIMAL_COMMA.sub(".", text)
    text = " ".join(text.split()).lower()
    text = _INCH.sub(r'\1"', text)
    match = _COMPAT.search(text) if has(text, _COMPAT_WORDS) else None
    main = text[: match.start()].rstrip() if match and match.start() > 0 else text
    core = _INCLUSION.sub(" ", main) if has(main, _INCLUSION_WORDS) else main
    return Title(raw=raw, text=text, main=main, core=core)


def tokens_before(text: str, position: int, count: int) -> list[str]:
    """The `count` whitespace tokens just before `position` (nearest last)."""
    return text[:position].split()[-count:]


def has(text: str, needles: tuple[str, ...]) -> bool:
    """Whether any needle occurs in `text`: a cheap gate before running costlier patterns."""
    for needle in needles:  # noqa: SIM110 - a plain loop is measurably faster than any()
        if needle in text:
            return True
    return False
