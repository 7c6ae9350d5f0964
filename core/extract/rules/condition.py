"""Condition from title wording (English and German).

Faults ("for parts", "defekt", "no power", "SMART warning"...) are read by
`core.extract.red_flags`, the single list of that wording: a title with a `for_parts`
flag is `for_parts` whatever else it says. Doubt without a fault ("untested", "as is")
is a veto flag there and leaves the condition to the wording below.
"""

from __future__ import annotations

import re

from core.extract.red_flags import FOR_PARTS, find_red_flags
from core.extract.rules.text import has
from core.models import Condition

# Checked in order after faults: the first rule that matches wins, so "Refurbished ...
# Tested" is like_new.
_RULES: tuple[tuple[re.Pattern[str], Condition], ...] = (
    (
        re.compile(
            r"\brefurb\w*|\brenewed\b|\bopen[- ]box\b|\blike[- ]new\b|\bnew\s+other\b|"
            r"\bnew\s+pull(?:ed)?\b|\brecertified\b|\bre-?certified\b|\bgeneralüberholt\b|"
            r"\bwie\s+neu\b|\bneuwertig\b|\bunused\b|\bmint\b|\bb-ware\b"
        ),
        Condition.LIKE_NEW,
    ),
    (
        re.compile(
            r"\bbrand[- ]new\b|\bnew\s+(?:in\s+)?(?:sealed|box|retail)\b|\bfactory\s+sealed\b|"
            r"\bsealed\b|\bnib\b|\bbnib\b|\bneu\b|\bneuware\b|\bovp\b|\bnew\b(?!-)"
        ),
        Condition.NEW,
    ),
    (
        re.compile(
            # "Not tested" / "nicht getestet" are doubt, not evidence of a working item.
            r"\bused\b|\bpre-?owned\b|\bgebraucht\b|(?<!not )(?<!never )\btested\b|"
            r"(?<!nicht )\bgetestet\b|\bpulled\b|\bex[- ]lease\b|"
            r"\bpull\b|\bworking\b|\bfunktionsfähig\b|\bfully\s+functional\b|\bgrade\s+[ab]\b"
        ),
        Condition.USED_WORKING,
    ),
)


# Substrings each rule needs, so most titles skip most patterns.
_GATES: tuple[tuple[str, ...], ...] = (
    ("refurb", "renew", "open", "like", "new", "recert", "re-cert", "überholt", "wie neu",
     "neuwertig", "unused", "mint", "b-ware"),
    ("new", "sealed", "nib", "neu", "ovp"),
    ("used", "owned", "gebraucht", "tested", "getestet", "pull", "working", "funktions",
     "functional", "grade", "lease"),
)  # fmt: skip


def detect_condition(text: str) -> Condition:
    """The condition a normalised title states, or `unknown`."""
    if any(flag.effect == FOR_PARTS for flag in find_red_flags(text)):
        return Condition.FOR_PARTS
    for (pattern, condition), gate in zip(_RULES, _GATES, strict=True):
        if has(text, gate) and pattern.search(text):
            return condition
    return Condition.UNKNOWN
