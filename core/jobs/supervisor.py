"""Runs the process's long-running loops and stops them cleanly.

Each loop gets the shared stop event. A loop that returns early or raises (a bug, or an
error it did not expect) is logged, counted in `spt_job_errors_total`, and restarted
after a back-off, so one failing part never takes the others down. `stop()` sets the
event and waits for every loop to finish its own clean-up (releasing leases), cancelling
what is still running after the grace period.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from core.observability.metrics import JOB_ERRORS, JOB_LAST_SUCCESS

log = logging.getLogger(__name__)

Loop = Callable[[asyncio.Event], Awaitable[None]]
RESTART_BASE_SECONDS = 1.0
RESTART_MAX_SECONDS = 300.0


@dataclass
class Supervisor:
    """Owns the loops of one process (ingest, extraction, baselines, delivery, health)."""

    stop_event: asyncio.Event = field(default_factory=asyncio.Event)
    restart_base: float = RESTART_BASE_SECONDS
    _tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    restarts: dict[str, int] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """The loops started, in order."""
        return list(self._tasks)

    def spawn(self, name: str, loop: Loop) -> None:
        """Run `loop(stop_event)` until the event is set, restarting it if it fails."""
        if name in self._tasks:
            raise ValueError(f"a loop named {name!r} is already running")
        self.restarts[name] = 0
        self._tasks[name] = asyncio.create_task(self._keep(name, loop), name=name)

    def every(
        self, name: str, interval: Callable[[], float], step: Callable[[], Awaitable[object]]
    ) -> None:
        """Run `step` every `interval()` seconds; a failing step backs off (doubling, capped)."""

        async def periodic(stop: asyncio.Event) -> None:
            failures = 0
            while not stop.is_set():
                try:
                    await step()
                    failures = 0
                    JOB_LAST_SUCCESS.labels(name).set(time.time())
                except Exception:
                    failures += 1
                    JOB_ERRORS.labels(name).inc()
                    log.exception("%s failed (%d in a row)", name, failures, extra={"job": name})
                base = interval()
                # Failing steps wait longer and longer, but never less than the interval.
                delay = min(base * 2 ** min(failures, 10), max(base, RESTART_MAX_SECONDS))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)

        self.spawn(name, periodic)

    async def _keep(self, name: str, loop: Loop) -> None:
        failures = 0
        while not self.stop_event.is_set():
            try:
                await loop(self.stop_event)
                if self.stop_event.is_set():
                    return
                log.error("loop %s returned before shutdown; restarting it", name,
                          extra={"job": name})  # fmt: skip
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("loop %s crashed; restarting it", name, extra={"job": name})
            failures += 1
            self.restarts[name] += 1
            JOB_ERRORS.labels(name).inc()
            delay = min(self.restart_base * 2 ** min(failures - 1, 10), RESTART_MAX_SECONDS)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop_event.wait(), delay)

    def running(self) -> list[str]:
        """Loops whose tasks have not finished."""
        return [name for name, task in self._tasks.items() if not task.done()]

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Signal every loop to stop, wait up to the grace period, then cancel the rest."""
        self.stop_event.set()
        tasks = list(self._tasks.values())
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=grace_seconds)
        for task in pending:
            log.warning("loop %s did not stop within %.0fs; cancelling it", task.get_name(),
                        grace_seconds)  # fmt: skip
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
