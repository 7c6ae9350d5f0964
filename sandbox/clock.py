"""The sandbox's clock: any function returning an aware UTC datetime (tests pass one they
move by hand, tests/clock.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)
