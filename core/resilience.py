"""The one policy every outbound call goes through: timeout, retry with backoff, circuit breaker.

A call is made of attempts. Each attempt runs under a timeout inside the service's circuit
breaker; retryable failures (connection errors, timeouts, 5xx, 429) are retried with
exponential backoff and full jitter, or after the server's `Retry-After`; anything else
fails at once. The `service_up` gauge and breaker-state gauge follow every attempt.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import aiohttp
import backoff
from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState

from core.observability.metrics import CIRCUIT_STATE, EXTERNAL_RETRIES, EXTERNAL_SERVICE_UP
from core.settings import ResilienceSettings

T = TypeVar("T")
log = logging.getLogger(__name__)

_STATE_VALUE = {"closed": 0, "half-opened": 1, "opened": 2}


class ServiceError(Exception):
    """A call to an external service failed; `service` names it."""

    def __init__(self, service: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{service}: {message}")
        self.service = service
        self.status = status


class RetryableError(ServiceError):
    """A transient failure: worth trying again, after `retry_after` seconds if the server said."""

    def __init__(
        self,
        service: str,
        message: str,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(service, message, status)
        self.retry_after = retry_after


class PermanentError(ServiceError):
    """A failure retrying cannot fix (a 4xx other than 429): the request itself is wrong."""


class BadResponseError(ServiceError):
    """The service answered, but with something we cannot read (malformed JSON, wrong shape)."""


class CircuitOpenError(ServiceError):
    """The service failed too often lately; calls are refused until its cool-down ends."""


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Parse a `Retry-After` header: delta-seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def check_status(service: str, status: int, headers: Mapping[str, str], body: str) -> None:
    """Raise the right ServiceError for a non-2xx HTTP status; return for 2xx."""
    if 200 <= status < 300:
        return
    detail = body.strip().replace("\n", " ")[:300] or "(empty body)"
    if status == 429:
        raise RetryableError(
            service,
            f"HTTP 429 rate limited: {detail}",
            status,
            retry_after_seconds(headers.get("Retry-After")),
        )
    if status >= 500 or status == 408:
        raise RetryableError(service, f"HTTP {status}: {detail}", status)
    raise PermanentError(service, f"HTTP {status}: {detail}", status)


def json_object(service: str, body: str, what: str) -> dict[str, Any]:
    """Parse a response body that must be a JSON object, or raise BadResponseError."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise BadResponseError(service, f"{what} is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise BadResponseError(service, f"{what} is not a JSON object")
    return data


def _waits(base: float, cap: float) -> Callable[[], Generator[float, BaseException | None, None]]:
    """Backoff wait generator: the server's Retry-After when given, else full-jitter expo."""

    def generator() -> Generator[float, BaseException | None, None]:
        error = yield 0.0  # primed by backoff with send(None)
        attempt = 0
        while True:
            hint = getattr(error, "retry_after", None)
            if hint is not None:
                delay = float(hint)
            else:
                delay = random.uniform(0, min(cap, base * 2**attempt))  # noqa: S311 - jitter
            attempt += 1
            error = yield delay

    return generator


@dataclass
class CallObserver:
    """Per-attempt hook for service-specific metrics (e.g. eBay's request counters)."""

    on_attempt: Callable[[str, float], None]  # (status "success"|"error", seconds)


class ServicePolicy:
    """Timeout, retry and circuit breaker for one external service."""

    def __init__(
        self,
        service: str,
        settings: Callable[[], ResilienceSettings],
        breakers: AsyncCircuitBreakerFactory,
        observer: CallObserver | None = None,
    ) -> None:
        self.service = service
        self._settings = settings
        self._breakers = breakers
        self._observer = observer
        # Why the service is failing, so "circuit open" can say it: the first failure of
        # the current run of failures (a DNS error, say), cleared by the next success.
        self.first_failure: str | None = None
        CIRCUIT_STATE.labels(service).set(0)

    async def call(
        self,
        attempt: Callable[[], Awaitable[T]],
        *,
        attempt_timeout: float,
        max_tries: int | None = None,
    ) -> T:
        """Run `attempt` until it succeeds, fails permanently, or retries run out
        (`max_tries`, default `resilience.max_attempts`)."""
        config = self._settings()

        def give_up(error: Exception) -> bool:
            hint = getattr(error, "retry_after", None)
            return hint is not None and hint > config.max_retry_after_seconds

        def on_backoff(details: Any) -> None:
            EXTERNAL_RETRIES.labels(self.service).inc()
            log.warning(
                "%s call failed (%s); retry %d in %.2fs",
                self.service,
                details.get("exception"),
                details["tries"],
                details["wait"],
                extra={"service": self.service},
            )

        retrying = backoff.on_exception(
            _waits(config.backoff_base_seconds, config.backoff_max_seconds),
            RetryableError,
            max_tries=max_tries or config.max_attempts,
            jitter=None,
            giveup=give_up,
            on_backoff=on_backoff,
            logger=None,
        )
        return await retrying(self._one_attempt)(attempt, attempt_timeout, config)

    async def _one_attempt(
        self, attempt: Callable[[], Awaitable[T]], limit: float, config: ResilienceSettings
    ) -> T:
        breaker = await self._breakers.get_breaker(
            self.service,
            threshold=config.breaker_failure_threshold,
            ttl=config.breaker_cooldown_seconds,
            # The service answered; the request was wrong. Not a sign the service is down.
            exclude=[PermanentError],
        )
        started = time.perf_counter()
        try:
            async with breaker:
                try:
                    async with asyncio.timeout(limit):
                        result = await attempt()
                except TimeoutError:
                    raise RetryableError(self.service, f"timed out after {limit:g}s") from None
                except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
                    raise RetryableError(
                        self.service, f"connection failed: {exc or type(exc).__name__}"
                    ) from exc
        except OpenedState:
            self._observe_state(breaker.context.state)
            cause = f"{self.first_failure}; " if self.first_failure else ""
            raise CircuitOpenError(
                self.service,
                f"{cause}circuit open after repeated failures; next try in "
                f"{config.breaker_cooldown_seconds:g}s at most",
            ) from None
        except PermanentError:
            self._record("error", started, up=True, state=breaker.context.state)
            raise
        except ServiceError as exc:
            if self.first_failure is None:
                self.first_failure = str(exc).removeprefix(f"{self.service}: ")
            self._record("error", started, up=False, state=breaker.context.state)
            raise
        self.first_failure = None
        self._record("success", started, up=True, state=breaker.context.state)
        return result

    def _observe_state(self, state: str) -> None:
        CIRCUIT_STATE.labels(self.service).set(_STATE_VALUE.get(state, 0))

    def _record(self, status: str, started: float, *, up: bool, state: str) -> None:
        if self._observer is not None:
            self._observer.on_attempt(status, time.perf_counter() - started)
        EXTERNAL_SERVICE_UP.labels(self.service).set(1 if up else 0)
        self._observe_state(state)


def breaker_factory() -> AsyncCircuitBreakerFactory:
    """One in-memory breaker registry per process (state is per process by design)."""
    return AsyncCircuitBreakerFactory()
