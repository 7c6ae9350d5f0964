"""The resilience policies an LLM backend calls through, and its metrics.

Both policies carry the backend's name, so they share its circuit breaker and its
`spt_external_service_up{service=...}` gauge. Extraction calls count in
`spt_llm_requests_total` and `spt_llm_request_duration_seconds`; pings, being health
checks rather than LLM requests, only move the gauge and the breaker.
"""

from __future__ import annotations

from collections.abc import Callable

from purgatory import AsyncCircuitBreakerFactory

from core.observability.metrics import LLM_REQUEST_DURATION, LLM_REQUESTS, LLM_TOKENS
from core.resilience import CallObserver, ServicePolicy
from core.settings import ResilienceSettings, Settings


def llm_observer(backend: str) -> CallObserver:
    """Counts every HTTP attempt of `backend` by outcome and times it."""

    def on_attempt(status: str, seconds: float) -> None:
        LLM_REQUESTS.labels(backend, status).inc()
        LLM_REQUEST_DURATION.labels(backend).observe(seconds)

    return CallObserver(on_attempt)


def llm_policy(
    backend: str, settings: Callable[[], Settings], breakers: AsyncCircuitBreakerFactory
) -> ServicePolicy:
    """The policy for extraction calls: the configured retries, LLM request metrics."""
    return ServicePolicy(
        backend, lambda: settings().resilience, breakers, observer=llm_observer(backend)
    )


def ping_policy(
    backend: str, settings: Callable[[], Settings], breakers: AsyncCircuitBreakerFactory
) -> ServicePolicy:
    """The policy for pings: one attempt, so a health check answers quickly."""

    def single_try() -> ResilienceSettings:
        return settings().resilience.model_copy(update={"max_attempts": 1})

    return ServicePolicy(backend, single_try, breakers)


def record_tokens(backend: str, tokens_in: int | None, tokens_out: int | None) -> None:
    """Adds what one reply cost to `spt_llm_tokens_total`, when the server said."""
    if tokens_in:
        LLM_TOKENS.labels(backend, "input").inc(tokens_in)
    if tokens_out:
        LLM_TOKENS.labels(backend, "output").inc(tokens_out)
