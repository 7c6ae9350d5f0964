"""Benchmark: real `spt run` processes sharing one PostgreSQL (issue 14, point 2).

`benchmarks.scale` runs three schedulers inside one Python process on a simulated clock.
This one starts `--processes` real `spt run` processes (the console script, headless: no
Discord token) on one database, over the sandbox marketplace on 127.0.0.1, with real
wall-clock time, and checks from outside them that

- **each watch is served once**: a search never runs twice within one due period (the
  shortest poll interval of the watches sharing it), in eBay's view (the Browse requests
  the sandbox answered, one at offset 0 per run) and in the processes' own logs (every
  `watch N ran ... (shared with watch(es) ...)` line, to within 5 s: a line stamps a run
  once it is recorded, not when it began); and no watch is missed: every watch ran, and
  none went a whole due period past its due time without a run;
- **each alert is delivered once**: every alert in the database shows in exactly one
  webhook message (each embed's footer names `alert {id}`). Each process posts to a fake
  Discord webhook of its own on loopback, so the count is taken where the messages land
  and says which process sent what; the outbox and its delivery attempts are checked too.

Watches are drawn as in `benchmarks.scale` (Zipf-popular homelab searches, some capped,
four marketplaces) but poll every 60, 120 or 180 seconds: 60 s is the shortest interval
spt allows (`schedule.default_poll_interval_seconds`, the watches table's check), so a
run of a few minutes passes through several due periods. The sandbox's upcoming listings
arrive at `--arrivals-per-minute` instead of over a day, so runs keep finding new
listings after the first pass.

Why 1,500 watches over 300 guilds by default: they make 472 distinct searches, and at
these intervals that is about 6.7 search runs a second, six times what the 10,000 watches
of `benchmarks.scale` ask for at their 15 to 60 minutes. That is the claiming and
scheduling load that matters here, and three processes, the sandbox and PostgreSQL on a
2-core machine keep up with it (the JSON says how busy the machine was and how late
repeat runs began). Many more watches at 60 s would measure the machine's overload rather
than the processes' coordination.

What is not real eBay: the daily call budget (spt's and the sandbox's) is opened wide,
because 60-second intervals would otherwise be stretched to hours by the fair scheduler
(each process keeps spt's default token bucket, 5 calls/s);
digests are off (`alerts.digest_threshold`), so every alert names its id in an embed of its
own; alerts go to a webhook, whose promise is at least once, but nothing crashes here, so
anything delivered twice is a coordination bug.

Prints one JSON object. Its own PostgreSQL is embedded unless SPT_BENCH_DATABASE_URL is set.

    .venv/bin/python -m benchmarks.scale_processes [--processes 3] [--watches 1500]
        [--guilds 300] [--seconds 300]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from benchmarks.database import bench_database
from benchmarks.scale import draw_watches, seed
from core.db.migrate import migrate
from core.db.pool import Pool, create_pool
from core.jobs.ingest import search_request
from core.settings import DatabaseSettings, Settings, load_settings
from core.watches import Watch
from sandbox import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    Catalog,
    Endpoint,
    SandboxMarketplace,
    build_catalog,
)
from tests.demo_process import SPT
from tests.fakes.discord import FakeDiscordWebhook
from tests.spt_process import SptRun, spt_env

INTERVALS = (60,) * 6 + (120,) * 3 + (180,)  # seconds; 60 is the shortest spt allows
UNLIMITED = 10_000_000  # calls a day: the budget is not what this measures
NO_DIGESTS = 1_000_000  # alerts.digest_threshold: every alert in an embed of its own
START_SECONDS = 60.0  # for each process to say it runs
DRAIN_SECONDS = 180.0  # after the window: for runs, extraction and delivery to finish
# A log line stamps a run when it has been recorded (every watch it served rescheduled),
# not when it began; the next run may begin one period after the first of those records.
RECORD_SLACK_SECONDS = 5.0
ALERT_FOOTER = re.compile(r"\balert (\d+)\b")
SHARED = re.compile(r"\(shared with watch\(es\) ([\d, ]+)\)")


@dataclass(frozen=True)
class Options:
    """What to run: how many processes and watches, for how long."""

    processes: int = 3
    watches: int = 1500
    guilds: int = 300
    seconds: float = 300.0  # the window in which watches run
    intervals: Sequence[int] = INTERVALS
    catalog: int = 20_000
    arrivals_per_minute: float = 60.0
    seed: int = 14
    # At the window's end, refresh the baselines once (as `spt baselines refresh` would)
    # and deliver what that decides: the market the window stored is then mature, so the
    # alerts to count do not hang on when a process's own refresh happens to fall.
    refresh_at_end: bool = True


# ---------------------------------------------------------------------------------------------
# The marketplace: listings arriving in real time, and every search it answered


def arriving(catalog: Catalog, per_minute: float) -> Catalog:
    """The catalog with its upcoming listings (those listed after its `now`, over a day)
    arriving at about `per_minute` instead, in the same order; durations are kept."""
    upcoming = [item for item in catalog if item.listed_at > catalog.now]
    if not upcoming or per_minute <= 0:
        return catalog
    span = max(item.listed_at for item in upcoming) - catalog.now
    speed = per_minute / (len(upcoming) / (span / timedelta(minutes=1)))

    def sooner(moment: datetime) -> datetime:
        return catalog.now + (moment - catalog.now) / speed

    listings = []
    for item in catalog:
        if item.listed_at > catalog.now:
            listed = sooner(item.listed_at)
            ended = None if item.ended_at is None else listed + (item.ended_at - item.listed_at)
            item = replace(item, listed_at=listed, ended_at=ended)
        listings.append(item)
    return Catalog(seed=catalog.seed, now=catalog.now, listings=tuple(listings))


def signature(marketplace: str, params: Mapping[str, str]) -> tuple[str, ...]:
    """One search as eBay receives it: marketplace, keywords (case and spacing aside, as
    eBay and `watches.search_key` read them), category and filter; not the page."""
    query = " ".join(params.get("q", "").lower().split())
    return (marketplace.upper(), query, params.get("category_ids", ""), params.get("filter", ""))


@dataclass(frozen=True)
class SearchCall:
    """One Browse search page the sandbox answered (200)."""

    at: datetime
    search: tuple[str, ...]
    offset: int


class SearchLog:
    """Records every Browse search the sandbox answers with 200 (aiohttp middleware)."""

    def __init__(self) -> None:
        self.calls: list[SearchCall] = []

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        response = await handler(request)
        if request.match_info.route.name == "search" and response.status == 200:
            market = request.headers.get("X-EBAY-C-MARKETPLACE-ID", "EBAY_US")
            self.calls.append(SearchCall(datetime.now(UTC), signature(market, request.query),
                                         int(request.query.get("offset", "0"))))  # fmt: skip
        return response

    def run_starts(self) -> dict[tuple[str, ...], list[datetime]]:
        """Search -> when each run of it began (its first page, offset 0), in order."""
        starts: dict[tuple[str, ...], list[datetime]] = defaultdict(list)
        for call in self.calls:
            if call.offset == 0:
                starts[call.search].append(call.at)
        return starts


# ---------------------------------------------------------------------------------------------
# What the processes said


@dataclass(frozen=True)
class Run:
    """One search run a process logged: when it ended and the watches it served."""

    process: int
    at: datetime
    watches: tuple[int, ...]
    error: bool


def logged_runs(process: int, logs: Iterable[Mapping[str, Any]]) -> list[Run]:
    """The `watch N ran: ...` lines of one process's JSON log."""
    runs = []
    for entry in logs:
        msg = str(entry.get("msg", ""))
        if not msg.startswith("watch ") or " ran: " not in msg or "watch_id" not in entry:
            continue
        shared = SHARED.search(msg)
        others = [int(n) for n in shared.group(1).split(",")] if shared else []
        runs.append(Run(process, datetime.fromisoformat(str(entry["ts"])),
                        (int(entry["watch_id"]), *others), "; error: " in msg))  # fmt: skip
    return runs


# ---------------------------------------------------------------------------------------------
# The measures


def duplicate_runs(
    starts: Mapping[Any, Sequence[datetime]], period: Mapping[Any, float], slack: float = 0.0
) -> int:
    """Runs of a search that came less than one due period (seconds, less `slack`) after
    the one before: the search ran twice where one run serves every watch sharing it."""
    duplicates = 0
    for key, times in starts.items():
        ordered = sorted(times)
        duplicates += sum(1 for a, b in itertools.pairwise(ordered)
                          if (b - a).total_seconds() < period[key] - slack)  # fmt: skip
    return duplicates


def closest_repeat(
    starts: Mapping[Any, Sequence[datetime]], period: Mapping[Any, float]
) -> float | None:
    """The shortest time between two runs of one search, as a share of its due period
    (1.0 or more: no search ever ran early)."""
    shares = [(b - a).total_seconds() / period[key]
              for key, times in starts.items() if period[key] > 0
              for a, b in itertools.pairwise(sorted(times))]  # fmt: skip
    return round(min(shares), 3) if shares else None


def lateness(starts: Mapping[Any, Sequence[datetime]], period: Mapping[Any, float]) -> list[float]:
    """Seconds each repeat run of a search began after it was next due (0 if on time)."""
    late = []
    for key, times in starts.items():
        ordered = sorted(times)
        late += [max(0.0, (b - a).total_seconds() - period[key])
                 for a, b in itertools.pairwise(ordered)]  # fmt: skip
    return late


def missed_watches(
    served: Mapping[int, Sequence[datetime]], interval: Mapping[int, float], end: datetime
) -> dict[str, list[int]]:
    """Watches never served, and watches that went a whole due period unserved: more
    than two intervals between two runs, or from their last run to the window's `end`."""
    never, skipped = [], []
    for watch, seconds in interval.items():
        times = sorted(served.get(watch, ()))
        if not times:
            never.append(watch)
            continue
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
        if max([*gaps, (end - times[-1]).total_seconds()]) > 2 * seconds:
            skipped.append(watch)
    return {"never_run": never, "skipped_a_period": skipped}


def shown_per_alert(payloads: Iterable[Mapping[str, Any]]) -> Counter[int]:
    """Alert id -> how many webhook messages show it (an embed's footer names it)."""
    counts: Counter[int] = Counter()
    for payload in payloads:
        shown = {int(n) for e in payload.get("embeds", ())
                 for n in ALERT_FOOTER.findall(e.get("footer", {}).get("text", ""))}  # fmt: skip
        counts.update(shown)
    return counts


def percentile(values: Sequence[float], share: float) -> float | None:
    """The `share` percentile (nearest rank), rounded; None without values."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[int(share * (len(ordered) - 1))], 1)


# ---------------------------------------------------------------------------------------------
# The run


def process_settings(base_url: str, webhook: FakeDiscordWebhook) -> dict[str, str]:
    """What every `spt run` is told (SPT_SECTION__KEY), besides its database."""
    return {
        "SPT_EBAY__API_BASE_URL": base_url,
        "SPT_EBAY__CLIENT_ID": DEFAULT_CLIENT_ID,
        "SPT_EBAY__CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
        "SPT_EBAY__DAILY_CALL_BUDGET": str(UNLIMITED),
        "SPT_DISCORD__WEBHOOK_URL": webhook.url,
        "SPT_DISCORD__API_BASE_URL": webhook.base_url,
        "SPT_ALERTS__DIGEST_THRESHOLD": str(NO_DIGESTS),
    }


def running(spt: SptRun) -> Callable[[], bool]:
    """A condition: the process said it runs (its signal handlers are in place)."""
    return lambda: any(m.startswith("spt running") for m in spt.messages())


@dataclass
class Fleet:
    """The processes, and the webhook each posts to."""

    runs: list[SptRun] = field(default_factory=list)
    webhooks: list[FakeDiscordWebhook] = field(default_factory=list)
    exit_codes: list[int] | None = None

    async def start(self, database_url: str, base_url: str, processes: int, cwd: Path) -> None:
        """`processes` runs of `spt run`, each with a webhook of its own; back once all run."""
        for _ in range(processes):
            webhook = FakeDiscordWebhook()
            self.webhooks.append(webhook)
            await webhook.start()
        for webhook in self.webhooks:
            env = spt_env(database_url, process_settings(base_url, webhook))
            self.runs.append(await SptRun.start(env, cwd))
        for spt in self.runs:
            if not await spt.wait_until(running(spt), "start-up", START_SECONDS):
                raise AssertionError(f"spt did not start within {START_SECONDS} s:\n{spt.tail()}")

    def check_alive(self) -> None:
        """Fail if a process has ended."""
        for spt in self.runs:
            if spt.exited:
                raise AssertionError(f"spt exited ({spt.process.returncode}):\n{spt.tail()}")

    async def stop(self) -> list[int]:
        """SIGTERM every process and wait (once); their exit codes."""
        if self.exit_codes is None:
            try:
                self.exit_codes = list(await asyncio.gather(*(s.stop() for s in self.runs)))
            finally:
                for webhook in self.webhooks:
                    await webhook.stop()
        return self.exit_codes


async def quiet(pool: Pool) -> bool:
    """No watch held, no extraction job open, no outbox message waiting or being sent."""
    row = await pool.fetchrow(
        "SELECT (SELECT count(*) FROM watches WHERE lease_holder IS NOT NULL) "
        "+ (SELECT count(*) FROM extraction_jobs WHERE status IN ('pending', 'running')) "
        "+ (SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')) AS busy"
    )
    assert row is not None
    return int(row["busy"]) == 0


async def refresh_baselines(database_url: str, cwd: Path) -> None:
    """`spt baselines refresh` as an operator runs it, beside the running processes."""
    process = await asyncio.create_subprocess_exec(
        str(SPT), "baselines", "refresh", env=spt_env(database_url, {}), cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    if process.returncode != 0:
        raise AssertionError(f"spt baselines refresh failed: {err.decode()}{out.decode()}")


async def drain(pool: Pool, fleet: Fleet, timeout: float) -> float:  # noqa: ASYNC109
    """Wait until the database is quiet twice in a row a second apart; the seconds it took."""
    started = time.monotonic()
    calm = 0
    while calm < 2:
        fleet.check_alive()
        if time.monotonic() - started > timeout:
            raise AssertionError(f"still busy {timeout} s after the window")
        calm = calm + 1 if await quiet(pool) else 0
        await asyncio.sleep(1.0)
    return round(time.monotonic() - started, 1)


def cpu_sample() -> tuple[int, int] | None:
    """(busy, total) CPU time of the whole machine so far, in clock ticks (Linux's
    /proc/stat; None elsewhere)."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            ticks = [int(n) for n in stat.readline().split()[1:8]]
    except (OSError, ValueError):
        return None
    idle = ticks[3] + ticks[4]  # idle, iowait
    return sum(ticks) - idle, sum(ticks)


def cpu_busy(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float | None:
    """Share of the machine's CPU time (every core) spent busy between two samples."""
    if before is None or after is None or after[1] <= before[1]:
        return None
    return round((after[0] - before[0]) / (after[1] - before[1]), 2)


async def exercise(database_url: str, options: Options, cwd: Path) -> dict[str, Any]:
    """Seed watches on a migrated, empty database, run the fleet for `options.seconds`,
    stop the watches, let the work drain, and measure. Returns the summary."""
    rng = random.Random(options.seed)  # noqa: S311 - a reproducible workload
    catalog = arriving(build_catalog(options.seed, options.catalog), options.arrivals_per_minute)
    market = SandboxMarketplace(catalog, daily_limit=UNLIMITED)
    searches = SearchLog()
    market.app.middlewares.append(searches.middleware)
    base_url = await market.start()
    pool = await create_pool(database_url, DatabaseSettings(pool_min_size=1, pool_max_size=2))
    fleet = Fleet()
    try:
        await seed(pool, draw_watches(rng, options.watches, options.guilds, options.intervals))
        cpu_before, launched = cpu_sample(), datetime.now(UTC)
        await fleet.start(database_url, base_url, options.processes, cwd)
        deadline = time.monotonic() + options.seconds
        while time.monotonic() < deadline:
            fleet.check_alive()
            await asyncio.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
        if options.refresh_at_end:
            # While the watches are still on (an alert is decided only for an enabled one).
            await refresh_baselines(database_url, cwd)
        # The window ends: no watch runs again; what is under way finishes and is delivered.
        await pool.execute("UPDATE watches SET enabled = false")
        ended, cpu_after = datetime.now(UTC), cpu_sample()
        drained = await drain(pool, fleet, DRAIN_SECONDS)
        exit_codes = await fleet.stop()
        settings = load_settings(None, None, spt_env(database_url, process_settings(
            base_url, fleet.webhooks[0]))).settings  # fmt: skip
        measured = await measure(pool, settings, fleet, searches, launched, ended)
    finally:
        await fleet.stop()
        await pool.close()
        await market.stop()
    arrived = sum(1 for item in catalog if catalog.now < item.listed_at <= ended)
    return {
        "processes": options.processes,
        "watches": options.watches,
        "guilds": options.guilds,
        "poll_intervals_seconds": sorted(set(options.intervals)),
        "seconds": options.seconds,
        **measured,
        "listings_arrived_in_window": arrived,
        "ebay_calls": market.stats.count(Endpoint.SEARCH),
        "ebay_token_and_rate_limit_calls": market.stats.count(Endpoint.TOKEN)
        + market.stats.count(Endpoint.RATE_LIMIT),
        "drain_seconds": drained,
        "machine_cpu_busy": cpu_busy(cpu_before, cpu_after),
        "exit_codes": exit_codes,
        "errors_logged": sum(len(run.problems()) for run in fleet.runs),
        # What they were (logger and message, the first few), so a count is never a riddle.
        "errors": [
            f"{e.get('logger')}: {str(e.get('msg'))[:300]}"
            for run in fleet.runs
            for e in run.problems()
        ][:5],
    }


async def measure(pool: Pool, settings: Settings, fleet: Fleet, searches: SearchLog,
                  launched: datetime, ended: datetime) -> dict[str, Any]:  # fmt: skip
    """Watch runs and alert deliveries, from the marketplace, the logs, the webhooks and
    the database."""
    watches = [Watch.model_validate(dict(r)) for r in await pool.fetch("SELECT * FROM watches")]
    interval = {w.id: float(w.poll_interval_seconds) for w in watches}
    key_of = {w.id: w.search_key or f"watch:{w.id}" for w in watches}
    period: dict[Any, float] = {}  # search key -> its due period: its shortest interval
    by_request: dict[tuple[str, ...], str] = {}  # how eBay sees each search -> its key
    for w in watches:
        period[key_of[w.id]] = min(period.get(key_of[w.id], 86400.0), interval[w.id])
        params = search_request(w, settings, 0).params()
        by_request[signature(w.marketplace.value, params)] = key_of[w.id]
    ebay_starts: dict[Any, list[datetime]] = defaultdict(list)
    unknown = 0
    for request, times in searches.run_starts().items():
        if request not in by_request:  # no watch makes it: counted, never a duplicate
            unknown += 1
            period[request] = 0.0
        ebay_starts[by_request.get(request, request)] += times

    runs = [run for n, spt in enumerate(fleet.runs) for run in logged_runs(n, spt.logs)]
    served: dict[int, list[datetime]] = defaultdict(list)
    logged_ends: dict[Any, list[datetime]] = defaultdict(list)
    for run in runs:
        for watch in run.watches:
            served[watch].append(run.at)
        logged_ends[key_of[run.watches[0]]].append(run.at)
    missed = missed_watches(served, interval, ended)
    first_pass = max((min(t) for t in served.values()), default=ended) - launched
    late = lateness(ebay_starts, period)

    rows = await pool.fetch("SELECT id, status, created_at, delivered_at FROM alerts")
    alerts = {r["id"]: r["status"] for r in rows}
    waited = [(r["delivered_at"] - r["created_at"]).total_seconds()
              for r in rows if r["delivered_at"] is not None]  # fmt: skip
    per_process = [len(w.payloads) for w in fleet.webhooks]
    shown = shown_per_alert(p for w in fleet.webhooks for p in w.payloads)
    outbox = await pool.fetchrow(
        "SELECT count(*) FILTER (WHERE status = 'delivered') AS delivered, "
        "count(*) FILTER (WHERE status <> 'delivered') AS not_delivered, "
        "count(*) FILTER (WHERE attempts > 1) AS attempted_twice, "
        "(SELECT count(*) FROM (SELECT outbox_id FROM delivery_attempts "
        "  WHERE outcome = 'delivered' GROUP BY outbox_id HAVING count(*) > 1) d) "
        "  AS delivered_twice FROM outbox"
    )  # fmt: skip
    quota = await pool.fetchval("SELECT coalesce(sum(calls_used), 0) FROM ebay_quota")
    assert outbox is not None
    return {
        "distinct_searches": len({key_of[w.id] for w in watches}),
        "watch_runs": len(runs),
        "watch_runs_per_process": [
            sum(1 for r in runs if r.process == n) for n in range(len(fleet.runs))
        ],
        "watch_runs_failed": sum(1 for r in runs if r.error),
        "watches_served": sum(len(t) for t in served.values()),
        "search_runs_seen_by_ebay": sum(len(t) for t in ebay_starts.values()),
        "searches_seen_by_ebay_no_watch_makes": unknown,
        "duplicate_runs": duplicate_runs(ebay_starts, period),
        "duplicate_runs_in_logs": duplicate_runs(logged_ends, period, RECORD_SLACK_SECONDS),
        "closest_repeat_run_share_of_period": closest_repeat(ebay_starts, period),
        "missed_watches": len(set(missed["never_run"]) | set(missed["skipped_a_period"])),
        "watches_never_run": len(missed["never_run"]),
        "runs_per_watch_median": statistics.median(len(served.get(w.id, ())) for w in watches),
        "seconds_until_every_watch_ran": round(first_pass.total_seconds(), 1),
        "repeat_runs_late_p50_p95_max_seconds": [percentile(late, q) for q in (0.5, 0.95, 1)],
        "leases_lost": sum(
            1 for spt in fleet.runs for m in spt.messages() if m.startswith("lost the lease")
        ),
        "alerts_created": len(alerts),
        "alerts_created_after_first_pass": sum(
            r["created_at"] > launched + first_pass for r in rows
        ),
        "messages_delivered": sum(per_process),
        "messages_per_process": per_process,
        "alerts_delivered": sum(1 for a in alerts if shown[a] > 0),
        "alerts_delivered_more_than_once": sum(1 for a in alerts if shown[a] > 1),
        "alerts_never_delivered": sum(1 for a in alerts if shown[a] == 0),
        "unknown_alerts_in_messages": sum(1 for a in shown if a not in alerts),
        "alerts_not_marked_delivered": sum(1 for s in alerts.values() if s != "delivered"),
        "alert_created_to_delivered_p50_p95_seconds": [percentile(waited, q) for q in (0.5, 0.95)],
        "outbox": dict(outbox),
        "ebay_calls_recorded_by_spt": int(quota),
    }


async def main(options: Options) -> dict[str, Any]:
    """The benchmark on its own database (embedded unless SPT_BENCH_DATABASE_URL is set)."""
    started = time.monotonic()
    async with bench_database() as url:
        setup = await create_pool(url, DatabaseSettings(pool_min_size=1, pool_max_size=2))
        try:
            await migrate(setup)
        finally:
            await setup.close()
        with tempfile.TemporaryDirectory(prefix="spt-fleet-") as cwd:
            result = await exercise(url, options, Path(cwd))
    return {**result, "wall_seconds": round(time.monotonic() - started, 1)}


def parse(argv: list[str]) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.scale_processes",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    defaults = Options()
    parser.add_argument("--processes", type=int, default=defaults.processes)
    parser.add_argument("--watches", type=int, default=defaults.watches)
    parser.add_argument("--guilds", type=int, default=defaults.guilds)
    parser.add_argument("--seconds", type=float, default=defaults.seconds,
                        help="how long the watches run (then the work drains)")  # fmt: skip
    parser.add_argument("--catalog", type=int, default=defaults.catalog)
    parser.add_argument("--arrivals-per-minute", type=float, default=defaults.arrivals_per_minute)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    args = parser.parse_args(argv)
    return Options(processes=args.processes, watches=args.watches, guilds=args.guilds,
                   seconds=args.seconds, catalog=args.catalog,
                   arrivals_per_minute=args.arrivals_per_minute, seed=args.seed)  # fmt: skip


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(parse(sys.argv[1:])))))
