"""Capacities and memory speeds: the unit grammar shared by RAM, drive and server rules."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# "960GB", "1.92tb", "480G", "18 TB"; not "6Gb/s" or "12Gbps" (interface speeds).
CAPACITY = re.compile(r"(?<![\w.+/-])(\d{1,5}(?:\.\d{1,3})?)\s?(tb|gb|t|g)(?![\w/+])")
# "4x16GB", "8X 64GB", "2 x 1.2TB"; the count comes first.
KIT = re.compile(r"(?<![\w.])(\d{1,3})\s?x\s?(\d{1,5}(?:\.\d{1,3})?)\s?(tb|gb)(?![\w/])")
# "16GB x 4": the count comes last.
KIT_AFTER = re.compile(r"(?<![\w.])(\d{1,5}(?:\.\d{1,3})?)\s?(tb|gb)\s?x\s?(\d{1,2})(?![\w.])")

# JEDEC and common overclocked data rates, in MT/s.
STANDARD_SPEEDS = (
    533, 667, 800, 1066, 1333, 1600, 1866, 2133, 2400, 2666, 2933, 3000, 3200, 3466, 3600,
    3733, 3866, 4000, 4133, 4266, 4400, 4800, 5200, 5600, 6000, 6200, 6400, 6600, 6800,
    7000, 7200, 7600, 8000, 8400,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Capacity:
    """One capacity mention: decimal GB, where it ends in the text, and its kit count."""

    gb: int
    end: int
    start: int
    count: int = 1


def to_gb(number: str, unit: str) -> int | None:
    """Decimal GB from a number and unit; "1.92" TB is 1920, "1.000" GB (thousands) is 1000."""
    value = float(number)
    if unit in ("gb", "g"):
        whole, _, fraction = number.partition(".")
        if len(fraction) == 3:  # "1.920GB" is a thousands separator, never 1.92 GB
            value = float(whole + fraction)
        return round(value) if value >= 1 and value == int(value) else None
    gb = round(value * 1000)
    return gb if gb >= 1 else None


@lru_cache(maxsize=512)
def capacities(text: str) -> tuple[Capacity, ...]:
    """Every capacity in `text`, kits ("4x16GB") with their count, in order of appearance."""
    found: list[Capacity] = []
    taken: list[tuple[int, int]] = []
    for match in KIT.finditer(text):
        gb = to_gb(match.group(2), match.group(3))
        if gb is not None:
            found.append(Capacity(gb, match.end(), match.start(), int(match.group(1))))
            taken.append(match.span())
    for match in KIT_AFTER.finditer(text):
        if _inside(match.span(), taken):
            continue
        gb = to_gb(match.group(1), match.group(2))
        if gb is not None:
            found.append(Capacity(gb, match.end(), match.start(), int(match.group(3))))
            taken.append(match.span())
    for match in CAPACITY.finditer(text):
        if _inside(match.span(), taken):
            continue
        number, unit = match.group(1), match.group(2)
        if unit == "g" and float(number) < 32:  # "12G SAS", "6G": link speeds, not sizes
            continue
        if unit == "t" and float(number) > 30:
            continue
        gb = to_gb(number, unit)
        if gb is not None:
            found.append(Capacity(gb, match.end(), match.start()))
    found.sort(key=lambda c: c.start)
    return tuple(found)


def _inside(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return any(start < span[1] and span[0] < end for start, end in taken)


def nearest_speed(mts: float) -> int | None:
    """The standard data rate within 3% of `mts` (PC4-21300 / 8 = 2662.5 -> 2666)."""
    best = min(STANDARD_SPEEDS, key=lambda s: abs(s - mts))
    return best if abs(best - mts) <= best * 0.03 else None
