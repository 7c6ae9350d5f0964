"""The clock tests and benchmarks move by hand: services take any clock (core/clock.py)."""

from __future__ import annotations

from datetime import datetime, timedelta


class ManualClock:
    """A clock that stands still until told to move; call it to read the time."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self._now = start

    def __call__(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | float) -> datetime:
        """Move forward by a timedelta or a number of seconds; returns the new time."""
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        if step < timedelta(0):
            raise ValueError("a clock only moves forward")
        self._now += step
        return self._now

    def set(self, moment: datetime) -> None:
        """Jump to `moment` (forward or back: tests may rewind)."""
        if moment.tzinfo is None:
            raise ValueError("moment must be timezone-aware")
        self._now = moment
