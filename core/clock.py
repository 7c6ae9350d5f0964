"""Time, as spt's services take it: a clock is a function returning an aware UTC datetime.

Services receive a clock instead of calling `datetime.now`, so tests and benchmarks run
them on a simulated one (`tests/clock.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)
