"""Three real `spt run` processes on one PostgreSQL (issue 14, point 2), small.

The machinery of `benchmarks.scale_processes` at a size that runs in well under a minute:
60 watches (about 45 distinct searches) polling every 60 s, three headless processes over
the sandbox marketplace on loopback, each posting alerts to a fake webhook of its own.
The window is shorter than the interval, so every search is due exactly once: the
processes race for the same due watches at start-up (the most contended moment), and any
second run is a duplicate. The benchmark itself covers several due periods.

The measures are tested first on made-up runs, so a zero below means none happened, not
that the measure cannot see one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from benchmarks.scale_processes import (
    Options,
    arriving,
    closest_repeat,
    duplicate_runs,
    exercise,
    logged_runs,
    missed_watches,
    shown_per_alert,
)
from sandbox import build_catalog
from tests.spt_process import kill_leftovers

T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture(autouse=True)
def no_leftover_processes() -> Iterator[None]:
    """A test that fails or times out half-way leaves no `spt run` behind."""
    yield
    kill_leftovers()


def test_a_search_run_twice_within_its_period_is_a_duplicate() -> None:
    starts = {"a": [at(0), at(60), at(125)], "b": [at(0), at(2)], "c": [at(5)]}
    period = {"a": 60.0, "b": 60.0, "c": 60.0}
    assert duplicate_runs(starts, period) == 1  # b, 2 s after its first run
    assert duplicate_runs({"a": [at(0), at(59.5)]}, {"a": 60.0}) == 1
    assert duplicate_runs({"a": [at(0), at(59.5)]}, {"a": 60.0}, slack=5) == 0
    assert closest_repeat(starts, period) == round(2 / 60, 3)


def test_a_watch_never_run_or_a_period_unserved_is_missed() -> None:
    served = {1: [at(0), at(61), at(122)], 2: [at(0), at(150)], 3: [at(0)]}
    interval = {1: 60.0, 2: 60.0, 3: 60.0, 4: 60.0}
    assert missed_watches(served, interval, at(150)) == {
        "never_run": [4],
        "skipped_a_period": [2, 3],  # 150 s between two runs; 150 s since the only one
    }


def test_runs_are_read_from_the_log_and_alerts_from_footers() -> None:
    logs: list[dict[str, Any]] = [
        {"ts": "2026-12-03T12:00:01.250+00:00", "watch_id": 7, "msg": "watch 7 ran: 1 page(s), "
         "50 listing(s), 3 new (shared with watch(es) 8, 12)"},
        {"ts": "2026-12-03T12:00:02.000+00:00", "watch_id": 9,
         "msg": "watch 9 ran: 0 page(s), 0 listing(s), 0 new; error: eBay is down"},
        {"ts": "2026-12-03T12:00:03.000+00:00", "msg": "spt running headless"},
    ]  # fmt: skip
    runs = logged_runs(2, logs)
    assert [(r.process, r.watches, r.error) for r in runs] == [(2, (7, 8, 12), False),
                                                               (2, (9,), True)]  # fmt: skip
    assert runs[0].at == T0 + timedelta(seconds=1.25)
    payloads = [
        {"embeds": [{"footer": {"text": "EBAY_US · spt · alert 5"}},
                    {"footer": {"text": "EBAY_GB · spt · alert 6"}}]},
        {"embeds": [{"footer": {"text": "EBAY_US · spt · alert 5"}}]},
    ]  # fmt: skip
    assert shown_per_alert(payloads) == {5: 2, 6: 1}


def test_upcoming_listings_arrive_at_the_rate_asked() -> None:
    catalog = build_catalog(seed=3, size=2000, now=T0)
    fast = arriving(catalog, per_minute=30)
    before = [x for x in catalog if x.listed_at <= T0]
    assert [x for x in fast if x.listed_at <= T0] == before
    upcoming = [x for x in fast if x.listed_at > T0]
    assert upcoming
    assert [x.item_id for x in upcoming] == [x.item_id for x in catalog if x.listed_at > T0]
    minutes = (max(x.listed_at for x in upcoming) - T0) / timedelta(minutes=1)
    assert len(upcoming) / minutes == pytest.approx(30)


@pytest.mark.timeout(110)
async def test_three_processes_serve_each_watch_once_and_deliver_each_alert_once(
    database_url: str, tmp_path: Path
) -> None:
    options = Options(processes=3, watches=60, guilds=12, seconds=15, intervals=(60,),
                      catalog=12000)  # fmt: skip
    result = await exercise(database_url, options, tmp_path)
    print(f"multiprocess summary: {result}")
    assert result["exit_codes"] == [0, 0, 0], result
    assert result["errors_logged"] == 0, result
    # Each watch served once: every search ran once, in eBay's view and in the logs.
    assert result["distinct_searches"] > 30, result
    assert result["duplicate_runs"] == 0, result
    assert result["duplicate_runs_in_logs"] == 0, result
    assert result["searches_seen_by_ebay_no_watch_makes"] == 0, result
    assert result["watch_runs"] == result["search_runs_seen_by_ebay"], result
    assert result["watch_runs"] == result["distinct_searches"], result
    assert result["watches_served"] == options.watches, result
    assert result["missed_watches"] == 0, result
    assert result["watch_runs_failed"] == 0, result
    assert result["leases_lost"] == 0, result
    # The processes shared the work.
    assert sum(1 for n in result["watch_runs_per_process"] if n > 0) >= 2, result
    # Each alert delivered once, counted where the webhooks received them.
    assert result["alerts_created"] > 0, result
    assert result["alerts_delivered"] == result["alerts_created"], result
    assert result["alerts_delivered_more_than_once"] == 0, result
    assert result["alerts_never_delivered"] == 0, result
    assert result["unknown_alerts_in_messages"] == 0, result
    assert result["alerts_not_marked_delivered"] == 0, result
    assert result["outbox"]["delivered_twice"] == 0, result
    assert result["ebay_calls"] == result["ebay_calls_recorded_by_spt"], result
