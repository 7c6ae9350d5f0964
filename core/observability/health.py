"""Health checks of the external services spt depends on.

The composition root registers one check per configured service (PostgreSQL, eBay, the
LLM backend, Discord); `check_all` runs them under a timeout, sets
`spt_external_service_up{service}` and keeps the latest result of each for `/status`.
Real calls update the same gauge through the resilience policy in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from core.clock import Clock
from core.observability.metrics import EXTERNAL_SERVICE_UP

log = logging.getLogger(__name__)

Check = Callable[[], Awaitable[object]]
CHECK_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class ServiceHealth:
    """The outcome of a service's latest check."""

    service: str
    up: bool
    checked_at: datetime
    seconds: float
    detail: str | None = None


class HealthMonitor:
    """Runs the registered checks and remembers their latest results."""

    def __init__(self, clock: Clock, timeout: float = CHECK_TIMEOUT_SECONDS) -> None:
        self._clock = clock
        self._timeout = timeout
        self._checks: dict[str, Check] = {}
        self._latest: dict[str, ServiceHealth] = {}

    def register(self, service: str, check: Check) -> None:
        """Check `service` with `check` (which raises or returns False when it is down)."""
        self._checks[service] = check

    def unregister(self, service: str) -> None:
        """Stop checking a service spt no longer uses, and drop its `_up` series (a stale
        0 would keep an alert firing)."""
        self._checks.pop(service, None)
        self._latest.pop(service, None)
        with contextlib.suppress(KeyError):
            EXTERNAL_SERVICE_UP.remove(service)

    @property
    def services(self) -> list[str]:
        """The services checked, in registration order."""
        return list(self._checks)

    async def check(self, service: str) -> ServiceHealth:
        """Run one service's check now."""
        started = time.perf_counter()
        detail: str | None = None
        try:
            async with asyncio.timeout(self._timeout):
                answer = await self._checks[service]()
            up = answer is not False
            if not up:
                detail = "not reachable"
        except TimeoutError:
            up, detail = False, f"no answer within {self._timeout:g}s"
        except Exception as exc:
            up, detail = False, (str(exc) or type(exc).__name__)[:200]
        result = ServiceHealth(service, up, self._clock(), time.perf_counter() - started, detail)
        previous = self._latest.get(service)
        if previous is not None and previous.up != up:
            log.log(logging.INFO if up else logging.WARNING, "%s is %s%s", service,
                    "up again" if up else "down", f": {detail}" if detail else "",
                    extra={"service": service})  # fmt: skip
        self._latest[service] = result
        EXTERNAL_SERVICE_UP.labels(service).set(1 if up else 0)
        return result

    async def check_all(self) -> dict[str, ServiceHealth]:
        """Run every check concurrently."""
        results = await asyncio.gather(*(self.check(name) for name in self._checks))
        return {r.service: r for r in results}

    def latest(self) -> dict[str, ServiceHealth]:
        """The latest result per service (services never checked yet are absent)."""
        return dict(self._latest)
