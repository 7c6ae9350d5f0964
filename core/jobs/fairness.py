"""Sharing the daily eBay budget between watches: stretch every interval by one factor."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime


def stretch_factor(
    demand: Iterable[tuple[int, float]], remaining: int, now: datetime, reset_at: datetime
) -> float:
    """How much longer every watch's interval must be for the remaining calls to last.

    `demand` is (interval seconds, calls per run) per search the enabled watches make.
    Until the reset, search i wants (seconds left / interval_i) runs of calls_i calls; if
    all of them together want more than `remaining`, every interval grows by the same
    factor, so no watch is starved and each keeps its share in proportion to what it asked for.
    """
    seconds_left = max(1.0, (reset_at - now).total_seconds())
    wanted = sum(calls * seconds_left / interval for interval, calls in demand if interval > 0)
    if wanted <= 0:
        return 1.0
    if remaining <= 0:
        return float("inf")
    return max(1.0, wanted / remaining)
