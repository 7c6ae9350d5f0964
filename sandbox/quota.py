"""eBay's daily call limit for Browse search: a count per window that resets once a day."""

from __future__ import annotations

import math
from datetime import datetime, time, timedelta

from sandbox.clock import Clock

WINDOW = timedelta(days=1)
# eBay's daily windows roll over at midnight Pacific; 08:00 UTC, as its responses show.
WINDOW_START = time(8, 0)


class DailyQuota:
    """Counts calls in the current daily window and refuses them past the limit."""

    def __init__(self, limit: int, clock: Clock) -> None:
        if limit < 0:
            raise ValueError("limit cannot be negative")
        self.limit = limit
        self._clock = clock
        self._window: datetime | None = None
        self._count = 0

    @staticmethod
    def window_start(moment: datetime) -> datetime:
        """The start of the daily window containing `moment`."""
        start = datetime.combine(moment.date(), WINDOW_START, tzinfo=moment.tzinfo)
        return start if start <= moment else start - WINDOW

    def _roll(self) -> datetime:
        now = self._clock()
        start = self.window_start(now)
        if start != self._window:
            self._window, self._count = start, 0
        return now

    def try_spend(self) -> bool:
        """Count one call if the window has room; False once the limit is reached."""
        self._roll()
        if self._count >= self.limit:
            return False
        self._count += 1
        return True

    @property
    def count(self) -> int:
        """Calls counted in the current window."""
        self._roll()
        return self._count

    @property
    def reset_at(self) -> datetime:
        """When the current window ends and the count starts again."""
        return self.window_start(self._roll()) + WINDOW

    def retry_after(self) -> int:
        """Whole seconds until the window resets (at least 1)."""
        now = self._roll()
        return max(1, math.ceil((self.reset_at - now).total_seconds()))
