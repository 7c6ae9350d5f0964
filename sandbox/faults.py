"""Fault injection and request accounting, so tests can make the sandbox misbehave on cue.

Queued faults are deterministic (the next n requests fail); the random error rate draws
from its own seeded generator, so a run with the same seed fails the same requests.
"""

from __future__ import annotations

import random
from collections import Counter, deque
from dataclasses import dataclass
from enum import StrEnum

ANY = "*"  # the queue and settings that apply to every endpoint


class Endpoint(StrEnum):
    """The sandbox's endpoints, as fault targets and in request stats."""

    TOKEN = "token"  # noqa: S105 - an endpoint name
    SEARCH = "search"
    RATE_LIMIT = "rate_limit"
    INSIGHTS = "insights"


class FaultKind(StrEnum):
    """What an injected fault does to a response."""

    FAIL = "fail"  # an error status with eBay's error body
    THROTTLE = "throttle"  # 429 with Retry-After
    MALFORM = "malform"  # 200 whose body is cut off mid-JSON


@dataclass(frozen=True, slots=True)
class Fault:
    """One injected misbehaviour."""

    kind: FaultKind
    status: int = 500
    retry_after: int = 1


class FaultInjector:
    """Queued and random faults plus latency, per endpoint or for all of them."""

    def __init__(self, seed: int = 0) -> None:
        self._rng = random.Random(seed)  # noqa: S311 - reproducible faults, not secrets
        self._queues: dict[str, deque[Fault]] = {}
        self._error_rates: dict[str, float] = {}
        self._latencies: dict[str, float] = {}

    def set_error_rate(self, rate: float, endpoint: Endpoint | None = None) -> None:
        """Fail this share (0..1) of requests with a 500, drawn from the seeded generator."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError("error rate must be between 0 and 1")
        self._error_rates[endpoint or ANY] = rate

    def set_latency(self, seconds: float, endpoint: Endpoint | None = None) -> None:
        """Delay every response by this many seconds."""
        if seconds < 0:
            raise ValueError("latency cannot be negative")
        self._latencies[endpoint or ANY] = seconds

    def fail_next(self, n: int = 1, *, status: int = 500, endpoint: Endpoint | None = None) -> None:
        """The next `n` requests answer `status` (500, 502, 503, 400, ...) with an error body."""
        if not 400 <= status <= 599:
            raise ValueError("a failure status must be 4xx or 5xx")
        self._push(endpoint, Fault(FaultKind.FAIL, status=status), n)

    def throttle_next(
        self, n: int = 1, *, retry_after: int = 1, endpoint: Endpoint | None = None
    ) -> None:
        """The next `n` requests answer 429 with `Retry-After: retry_after`."""
        self._push(endpoint, Fault(FaultKind.THROTTLE, status=429, retry_after=retry_after), n)

    def malform_next(self, n: int = 1, *, endpoint: Endpoint | None = None) -> None:
        """The next `n` requests answer 200 with a truncated, invalid JSON body."""
        self._push(endpoint, Fault(FaultKind.MALFORM, status=200), n)

    def clear_faults(self) -> None:
        """Forget every queued fault, error rate and latency."""
        self._queues.clear()
        self._error_rates.clear()
        self._latencies.clear()

    def pending(self, endpoint: Endpoint | None = None) -> int:
        """How many queued faults wait for this endpoint (or for any endpoint)."""
        return len(self._queues.get(endpoint or ANY, ()))

    def latency(self, endpoint: str) -> float:
        """The delay for a request to `endpoint`."""
        return self._latencies.get(endpoint, self._latencies.get(ANY, 0.0))

    def take(self, endpoint: str) -> Fault | None:
        """The fault for the next request to `endpoint`, if any: queued first, then random."""
        for key in (endpoint, ANY):
            queue = self._queues.get(key)
            if queue:
                return queue.popleft()
        rate = self._error_rates.get(endpoint, self._error_rates.get(ANY, 0.0))
        if rate > 0 and self._rng.random() < rate:
            return Fault(FaultKind.FAIL, status=500)
        return None

    def _push(self, endpoint: Endpoint | None, fault: Fault, n: int) -> None:
        if n < 0:
            raise ValueError("n cannot be negative")
        self._queues.setdefault(endpoint or ANY, deque()).extend([fault] * n)


class RequestStats:
    """How many requests each endpoint answered, by status."""

    def __init__(self) -> None:
        self._counts: dict[str, Counter[int]] = {}

    def record(self, endpoint: str, status: int) -> None:
        """Count one answered request."""
        self._counts.setdefault(endpoint, Counter())[status] += 1

    def count(self, endpoint: Endpoint | str | None = None, status: int | None = None) -> int:
        """Requests answered, optionally for one endpoint and/or one status."""
        total = 0
        for name, counter in self._counts.items():
            if endpoint is not None and name != endpoint:
                continue
            total += counter[status] if status is not None else sum(counter.values())
        return total

    def snapshot(self) -> dict[str, dict[int, int]]:
        """Every count, as `{endpoint: {status: n}}`."""
        return {name: dict(counter) for name, counter in self._counts.items()}

    def reset(self) -> None:
        """Start counting from zero."""
        self._counts.clear()
