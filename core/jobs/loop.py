"""The one way spt's long-running loops repeat a step: until stopped, surviving errors.

A step that succeeds records `spt_job_last_success_timestamp_seconds` for its job and the
loop waits its delay (no wait when the step says more work is ready). A step that fails
is logged with its traceback, counted in `spt_job_errors_total`, and the wait doubles
with every failure in a row, up to `max_factor` times the delay, so a broken dependency
is retried calmly and a recovered one is used again at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from core.observability.metrics import JOB_ERRORS, JOB_LAST_SUCCESS

log = logging.getLogger(__name__)


async def repeat(
    job: str,
    step: Callable[[], Awaitable[bool | None]],
    delay: Callable[[], float],
    stop: asyncio.Event,
    clock: Callable[[], datetime],
    *,
    what: str | None = None,
    max_factor: int = 60,
    record_success: bool = True,
) -> None:
    """Run `step` until `stop` is set. `step` returns True when more work is ready now.

    `what` names the step in the failure log ("ingest tick" -> "ingest tick failed (2 in a
    row)"); `record_success` False keeps a helper step out of the success gauge.
    """
    failures = 0
    while not stop.is_set():
        more = False
        try:
            more = bool(await step())
            failures = 0
            if record_success:
                JOB_LAST_SUCCESS.labels(job).set(clock().timestamp())
        except Exception:
            failures += 1
            JOB_ERRORS.labels(job).inc()
            log.exception("%s failed (%d in a row)", what or job, failures)
        if more:
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay() * min(2**failures, max_factor))
