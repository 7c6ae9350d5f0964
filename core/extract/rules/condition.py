"""Condition from title wording (English and German)."""

from __future__ import annotations

import re

from core.extract.rules.text import has
from core.models import Condition

# Checked in order: the first rule that matches wins, so "Refurbished ... Tested" is
# like_new and "New ... For Parts" is for_parts.
_RULES: tuple[tuple[re.Pattern[str], Condition], ...] = (
    (
        re.compile(
            r"\bfor\s+parts\b|\bparts\s+only\b|\bnot\s+working\b|\bnon[- ]?working\b|"
            r"\bdefekt\w*|\bdefective\b|\bfaulty\b|\bbroken\b|\bbent\s+pins?\b|"
            r"\bfor\s+repair\b|\bas[- ]is\b|\bspares\s*(?:or|and|/|&)\s*repairs?\b|"
            r"\bfür\s+bastler\b|\bbastler\w*|\bdead\b|\bno\s+post\b"
        ),
        Condition.FOR_PARTS,
    ),
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
            r"\bused\b|\bpre-?owned\b|\bgebraucht\b|(?<!not )\btested\b|\bgetestet\b|\bpulled\b|"
            r"\bex[- ]lease\b|"
            r"\bpull\b|\bworking\b|\bfunktionsfähig\b|\bfully\s+functional\b|\bgrade\s+[ab]\b"
        ),
        Condition.USED_WORKING,
    ),
)


# Substrings each rule needs, so most titles skip most patterns.
_GATES: tuple[tuple[str, ...], ...] = (
    ("part", "working", "defekt", "defective", "faulty", "broken", "bent", "repair", "as-is",
     "as is", "spares", "bastler", "dead", "no post"),
    ("refurb", "renew", "open", "like", "new", "recert", "re-cert", "überholt", "wie neu",
     "neuwertig", "unused", "mint", "b-ware"),
    ("new", "sealed", "nib", "neu", "ovp"),
    ("used", "owned", "gebraucht", "tested", "getestet", "pull", "working", "funktions",
     "functional", "grade", "lease"),
)  # fmt: skip


def detect_condition(text: str) -> Condition:
    """The condition a normalised title states, or `unknown`."""
    for (pattern, condition), gate in zip(_RULES, _GATES, strict=True):
        if has(text, gate) and pattern.search(text):
            return condition
    return Condition.UNKNOWN
