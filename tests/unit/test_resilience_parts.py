"""The pure parts of the resilience policy: status classification and Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.jobs.fairness import stretch_factor
from core.resilience import (
    BadResponseError,
    PermanentError,
    RetryableError,
    check_status,
    json_object,
    retry_after_seconds,
)


@pytest.mark.parametrize(
    ("status", "error"),
    [(500, RetryableError), (502, RetryableError), (503, RetryableError), (408, RetryableError),
     (429, RetryableError), (400, PermanentError), (401, PermanentError), (403, PermanentError),
     (404, PermanentError)],
)  # fmt: skip
def test_status_classification(status: int, error: type[Exception]) -> None:
    with pytest.raises(error) as info:
        check_status("ebay", status, {}, '{"errors": []}')
    assert f"HTTP {status}" in str(info.value)


def test_success_statuses_pass() -> None:
    for status in (200, 201, 204):
        check_status("ebay", status, {}, "")


def test_429_carries_retry_after() -> None:
    with pytest.raises(RetryableError) as info:
        check_status("ebay", 429, {"Retry-After": "3"}, "slow down")
    assert info.value.retry_after == 3.0


def test_retry_after_forms() -> None:
    now = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("7", now) == 7.0
    assert retry_after_seconds("Sat, 28 Nov 2026 12:00:30 GMT", now) == 30.0
    assert retry_after_seconds("Sat, 28 Nov 2026 11:00:00 GMT", now) == 0.0
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None, now) is None


def test_json_object() -> None:
    assert json_object("ebay", '{"a": 1}', "x") == {"a": 1}
    with pytest.raises(BadResponseError, match="x is not valid JSON"):
        json_object("ebay", '{"a": ', "x")
    with pytest.raises(BadResponseError, match="x is not a JSON object"):
        json_object("ebay", "[1]", "x")


def test_stretch_factor_shares_the_budget_proportionally() -> None:
    now = datetime(2026, 11, 28, tzinfo=UTC)
    reset = datetime(2026, 11, 29, tzinfo=UTC)  # 86400 s away
    # two watches every 15 min at 1 call and 2 calls per run want 96 + 192 = 288 calls
    demand = [(900, 1.0), (900, 2.0)]
    assert stretch_factor(demand, 1000, now, reset) == 1.0
    assert stretch_factor(demand, 144, now, reset) == pytest.approx(2.0)
    assert stretch_factor(demand, 0, now, reset) == float("inf")
    assert stretch_factor([], 10, now, reset) == 1.0
