"""eBay condition ids <-> spt's normalised conditions.

The id is reliable where the condition text is not (it is localised and sellers vary it).
"""

from __future__ import annotations

from core.models import Condition

# eBay's item condition ids, grouped by what they mean for pricing.
CONDITION_IDS: dict[Condition, tuple[int, ...]] = {
    Condition.NEW: (1000,),
    Condition.LIKE_NEW: (1500, 1750, 2000, 2010, 2020, 2030, 2500),
    Condition.USED_WORKING: (2750, 3000, 4000, 5000, 6000),
    Condition.FOR_PARTS: (7000,),
}
_BY_ID = {cid: condition for condition, ids in CONDITION_IDS.items() for cid in ids}
_TEXT_HINTS = (
    ("for parts", Condition.FOR_PARTS),
    ("not working", Condition.FOR_PARTS),
    ("defekt", Condition.FOR_PARTS),
    ("refurbished", Condition.LIKE_NEW),
    ("open box", Condition.LIKE_NEW),
    ("new other", Condition.LIKE_NEW),
    ("like new", Condition.LIKE_NEW),
    ("used", Condition.USED_WORKING),
    ("gebraucht", Condition.USED_WORKING),
    ("pre-owned", Condition.USED_WORKING),
    ("new", Condition.NEW),
    ("neu", Condition.NEW),
)


def normalise_condition(condition_id: int | None, text: str | None) -> Condition:
    """The normalised condition from eBay's id, falling back on its text."""
    if condition_id is not None:
        if condition_id in _BY_ID:
            return _BY_ID[condition_id]
        if 2000 <= condition_id <= 2500:
            return Condition.LIKE_NEW
        if 3000 <= condition_id <= 6000:
            return Condition.USED_WORKING
    if text:
        lowered = text.lower()
        for hint, condition in _TEXT_HINTS:
            if hint in lowered:
                return condition
    return Condition.UNKNOWN


def effective_condition(listed: Condition | str, extracted: Condition | str | None) -> Condition:
    """The condition to judge a listing by: eBay's condition id is reliable, the title's
    wording fills in when eBay's is unknown, and a fault the title announces ("no power",
    "defekt") beats whatever condition the seller picked."""
    condition = Condition(listed)
    if extracted is not None and (
        condition is Condition.UNKNOWN or Condition(extracted) is Condition.FOR_PARTS
    ):
        return Condition(extracted)
    return condition


def condition_ids_for(conditions: list[Condition]) -> list[int] | None:
    """eBay condition ids matching a watch's conditions, or None when no server filter fits."""
    if not conditions or Condition.UNKNOWN in conditions:
        return None
    return sorted(cid for c in conditions for cid in CONDITION_IDS[c])
