"""Runs the process's long-running loops and stops them cleanly.

Each loop gets the shared stop event. A loop that returns early or raises (a bug, or an
error it did not expect) is logged, counted in `spt_job_errors_total`, and restarted
after a back-off, so one failing part never takes the others down. `stop()` sets the
event and waits for every loop to finish its own clean-up (releasing leases), cancelling
what is still running after the grace period.

A periodic loop (`every`) may also be event-driven: woken early by an event (a PostgreSQL
notification, for delivery), and run when its work comes due, with its interval only as
a slow fallback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from core.observability.metrics import JOB_ERRORS, JOB_LAST_SUCCESS, JOB_WAKEUPS

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
        self,
        name: str,
        interval: Callable[[], float],
        step: Callable[[], Awaitable[object]],
        *,
        wake: asyncio.Event | None = None,
        next_due: Callable[[], Awaitable[float | None]] | None = None,
        min_gap: float = 0.0,
    ) -> None:
        """Run `step` every `interval()` seconds; a failing step backs off (doubling, capped).

        Event-driven, with `wake` and/or `next_due`: setting `wake` runs the step early,
        and `next_due()`, asked after each successful step, says in how many seconds work
        comes due that nobody will announce (None: none); the step runs at the first of a
        wake, that moment and `interval()`, which is then only the fallback poll. The
        event is cleared as a step starts, so any number of wakes during a step or a wait
        make one more step (coalesced), and a woken or due step starts at least `min_gap`
        after the last one ended, so a stream of wakes or a due time already past never
        spins the loop. A failing step then waits `restart_base` doubling, capped at the
        interval (wakes meanwhile are kept for after it). Each run's reason is counted in
        `spt_job_wakeups_total`: wake, due, interval or retry.
        """
        driven = wake is not None or next_due is not None

        async def periodic(stop: asyncio.Event) -> None:
            failures = 0
            while not stop.is_set():
                if wake is not None:
                    wake.clear()
                due: float | None = None
                try:
                    await step()
                    if next_due is not None:
                        due = await next_due()
                    failures = 0
                    JOB_LAST_SUCCESS.labels(name).set(time.time())
                except Exception:
                    failures += 1
                    JOB_ERRORS.labels(name).inc()
                    log.exception("%s failed (%d in a row)", name, failures, extra={"job": name})
                base = interval()
                if not driven:
                    # Failing steps wait longer and longer, but never less than the interval.
                    delay = min(base * 2 ** min(failures, 10), max(base, RESTART_MAX_SECONDS))
                    await _wait(stop, delay)
                    continue
                if failures:
                    cap = max(base, self.restart_base)
                    await _wait(stop, min(self.restart_base * 2 ** min(failures - 1, 10), cap))
                    reason: str | None = "retry"
                else:
                    reason = await _next_run(stop, wake, base, due, min_gap)
                if reason is not None and not stop.is_set():
                    JOB_WAKEUPS.labels(name, reason).inc()

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


async def _wait(stop: asyncio.Event, seconds: float) -> bool:
    """Wait up to `seconds` for `stop`; True when it was set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), max(seconds, 0.0))
    return stop.is_set()


async def _next_run(
    stop: asyncio.Event, wake: asyncio.Event | None, interval: float, due: float | None,
    min_gap: float,
) -> str | None:  # fmt: skip
    """Wait for what runs an event-driven step next: its reason, or None on stop."""
    if await _wait(stop, min_gap):
        return None
    soonest = interval if due is None else min(interval, max(due, min_gap))
    waiters = [asyncio.ensure_future(stop.wait())]
    if wake is not None:
        waiters.append(asyncio.ensure_future(wake.wait()))
    try:
        await asyncio.wait(waiters, timeout=max(soonest - min_gap, 0.0),
                           return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
    finally:
        for waiter in waiters:
            waiter.cancel()
    if stop.is_set():
        return None
    if wake is not None and wake.is_set():
        return "wake"
    return "due" if due is not None and due < interval else "interval"
