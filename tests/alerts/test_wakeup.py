"""Event-driven delivery (issue 14, point 5): outbox changes NOTIFY, a dedicated listener
wakes the senders, retries run when due, and the poll (60 s here) is only the fallback.

Alerts are written from another pool than the pipeline's, as another spt process would.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import math
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest

from app.pipeline import DELIVERY_MIN_GAP_SECONDS, start_pipeline
from app.services import Services, open_services
from core.config_reload import SettingsHolder
from core.db import alerts as repo
from core.db.notify import APPLICATION_NAME, Listener
from core.db.pool import Connection, Pool
from core.jobs.supervisor import Supervisor
from core.observability.metrics import REGISTRY
from core.settings import load_settings, parse_cli_overrides

POLL_SECONDS = 60  # alerts.delivery_poll_seconds: no test here waits that long
PROMPTLY = 5.0  # s: a woken or due delivery happens well within it (about 1 s here)
SENTINEL = "sentinel"
REPO = Path(__file__).resolve().parents[2]


def now() -> datetime:
    return datetime.now(UTC)


def wakeups(reason: str) -> float:
    labels = {"job": "delivery", "reason": reason}
    return REGISTRY.get_sample_value("spt_job_wakeups_total", labels) or 0.0


async def eventually(
    condition: Callable[[], object],
    what: str,
    timeout: float = PROMPTLY,  # noqa: ASYNC109 - each wait has its own deadline
) -> float:
    """Seconds until `condition()` (awaited if it is a coroutine) held; fails after `timeout`."""
    started = time.monotonic()
    while True:
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.05)


class Outbox:
    """Writes alerts and outbox messages as spt's repositories do, on its own pool."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self.n = 0
        self.watch: int | None = None

    async def alert(self, conn: Connection | None = None, kind: str = "console") -> int:
        """A new alert queued for `kind` (its outbox message is ready now)."""
        if conn is None:
            async with self.pool.acquire() as own:
                return await self.alert(own, kind)
        if self.watch is None:
            self.watch = await conn.fetchval(
                "INSERT INTO watches (name, query, component_type, marketplace, "
                "poll_interval_seconds, threshold) "
                "VALUES ('ram deals', 'ddr4', 'ram', 'EBAY_US', 900, 80) RETURNING id"
            )
        self.n += 1
        listing = await conn.fetchval(
            "INSERT INTO listings (marketplace, item_id, title, currency, price) "
            "VALUES ('EBAY_US', $1, 'Samsung 32GB DDR4 ECC', 'USD', 20) RETURNING id",
            f"v1|{self.n}|0",
        )
        score = await conn.fetchval(
            "INSERT INTO scores (listing_id, score, breakdown, unit_price, currency, cold_start) "
            "VALUES ($1, 95, '{}', 20, 'USD', false) RETURNING id",
            listing,
        )
        alert = await repo.create(
            conn, watch_id=self.watch, listing_id=listing, score_id=score, guild_id=None,
            score=Decimal(95), unit_price=Decimal(20), currency="USD", cold_start=False,
            sequence=1, destination_kind=kind, destination=kind, now=now(),
        )  # fmt: skip
        assert alert is not None
        return alert[0]

    async def status(self, alert_id: int) -> str:
        return str(await self.pool.fetchval("SELECT status FROM alerts WHERE id = $1", alert_id))

    def delivered(self, alert_id: int) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            return await self.status(alert_id) == "delivered"

        return check


# ---------------------------------------------------------------------------------------------
# What notifies


class Heard:
    """The notifications on spt's outbox channel, heard on a connection of the test's."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.queue: asyncio.Queue[str] = asyncio.Queue()

    @classmethod
    @contextlib.asynccontextmanager
    async def on(cls, dsn: str) -> AsyncIterator[Heard]:
        conn = await asyncpg.connect(dsn)
        heard = cls(conn)
        await conn.add_listener(repo.OUTBOX_CHANNEL, heard._on)
        try:
            yield heard
        finally:
            await conn.close()

    def _on(self, _conn: object, _pid: int, _channel: str, payload: object) -> None:
        self.queue.put_nowait(str(payload))

    async def since_last(self, writer: Pool) -> list[str]:
        """Payloads heard since the last call: a sentinel NOTIFY committed after the writes
        arrives after every notification they sent (PostgreSQL keeps commit order)."""
        await writer.execute("SELECT pg_notify($1, $2)", repo.OUTBOX_CHANNEL, SENTINEL)
        payloads: list[str] = []
        while (payload := await asyncio.wait_for(self.queue.get(), PROMPTLY)) != SENTINEL:
            payloads.append(payload)
        return payloads


async def test_every_change_that_readies_a_message_notifies_at_commit(
    pool: Pool, database_url: str
) -> None:
    outbox = Outbox(pool)
    async with Heard.on(database_url) as heard:
        assert await heard.since_last(pool) == []
        await outbox.alert(kind="webhook")
        assert await heard.since_last(pool) == ["webhook"]

        # A rolled back alert wakes nobody: the notification goes out at commit or never.
        async with pool.acquire() as conn:
            with contextlib.suppress(RuntimeError):
                async with conn.transaction():
                    await outbox.alert(conn)
                    raise RuntimeError("roll back")
        assert await heard.since_last(pool) == []

        # Claiming and delivering do not notify; a retry (back to pending) does.
        t = now()
        async with pool.acquire() as conn:
            (row,) = await repo.claim_outbox(conn, "w", ["webhook"], t, 60, 10)
            assert await heard.since_last(pool) == []
            status = await repo.retry_later(conn, row["outbox_id"], "w", "retryable", "503", t,
                                            max_attempts=8, delay_seconds=30)  # fmt: skip
            assert status == "pending"
            assert await heard.since_last(pool) == ["webhook"]
            # A message failed for good is not ready again: no notification.
            (row,) = await repo.claim_outbox(conn, "w", ["webhook"], t + timedelta(seconds=31),
                                             60, 10)  # fmt: skip
            status = await repo.retry_later(conn, row["outbox_id"], "w", "failed", "404", t,
                                            max_attempts=1, delay_seconds=30)  # fmt: skip
            assert status == "failed"
            assert await heard.since_last(pool) == []

            # A dead sender's message, taken back once its lease ran out.
            second = await outbox.alert(conn, kind="console")
            third = await outbox.alert(conn, kind="console")
            assert await heard.since_last(pool) == ["console", "console"]
            t = now()
            claimed = await repo.claim_outbox(conn, "dead", ["console"], t, 5, 10)
            assert len(claimed) == 2
            assert await repo.reclaim_outbox(conn, t + timedelta(seconds=1)) == 0
            assert await heard.since_last(pool) == []
            assert await repo.reclaim_outbox(conn, t + timedelta(seconds=6)) == 2
            assert await heard.since_last(pool) == ["console"]  # one per kind and commit

            # A dismissed alert that never went out, cancelled by its sender, then restored.
            assert await repo.dismiss(conn, None, [second], None, t) == 1
            rows = await repo.claim_outbox(conn, "w", ["console"], t + timedelta(seconds=7),
                                           60, 10)  # fmt: skip
            (row,) = [r for r in rows if r["alert_id"] == second]
            await repo.record_attempt(conn, row["outbox_id"], "w", "cancelled", t, "dismissed")
            assert await heard.since_last(pool) == []
            assert await repo.restore(conn, None, second, t)
            assert await heard.since_last(pool) == ["console"]
            assert await outbox.status(third) == "queued"


def test_every_outbox_write_is_in_the_module_that_notifies() -> None:
    """The notifications are sent by the repository, not by a trigger: an outbox write
    anywhere else would wake nobody (its message would wait for the poll)."""
    write = re.compile(r"\b(INSERT\s+INTO|UPDATE)\s+outbox\b", re.IGNORECASE)
    writers = sorted(
        path.relative_to(REPO).as_posix()
        for package in ("core", "bot", "cogs")
        for path in (REPO / package).rglob("*.py")
        if write.search(path.read_text(encoding="utf-8"))
    )
    assert writers == ["core/db/alerts.py"]


async def test_next_due_is_the_earliest_retry_or_expiring_lease_of_the_kinds(pool: Pool) -> None:
    outbox = Outbox(pool)
    t = now()
    async with pool.acquire() as conn:
        assert await repo.next_due(conn, ["console"]) is None
        await outbox.alert(conn, kind="console")
        await outbox.alert(conn, kind="webhook")
        await conn.execute("UPDATE outbox SET next_attempt_at = $1 WHERE destination_kind = "
                           "'console'", t + timedelta(seconds=50))  # fmt: skip
        await conn.execute("UPDATE outbox SET next_attempt_at = $1 WHERE destination_kind = "
                           "'webhook'", t + timedelta(seconds=10))  # fmt: skip
        assert await repo.next_due(conn, ["console"]) == t + timedelta(seconds=50)
        assert await repo.next_due(conn, ["console", "webhook"]) == t + timedelta(seconds=10)
        # Held by a sender: due when its lease runs out, if that comes first.
        await repo.claim_outbox(conn, "w", ["console"], t + timedelta(seconds=50), 5, 10)
        assert await repo.next_due(conn, ["console"]) == t + timedelta(seconds=55)
        assert await repo.next_due(conn, ["discord_channel"]) is None


# ---------------------------------------------------------------------------------------------
# The listener


async def listener_pid(pool: Pool) -> int | None:
    """The spt listener's backend on this database, as pg_stat_activity shows it."""
    pid: int | None = await pool.fetchval(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND application_name = $1",
        APPLICATION_NAME,
    )
    return pid


async def test_the_listener_filters_payloads_and_comes_back_after_its_backend_is_killed(
    pool: Pool, database_url: str
) -> None:
    listener = Listener(database_url, "spt_test_wakeup", ["console"], retry_base=0.05)
    stop = asyncio.Event()
    task = asyncio.create_task(listener.run(stop))
    try:
        await eventually(lambda: listener.connections == 1, "connected")
        assert listener.wake.is_set()  # once connected: whatever came before is unknown
        listener.wake.clear()
        await pool.execute("SELECT pg_notify('spt_test_wakeup', 'webhook')")
        await pool.execute("SELECT pg_notify('spt_test_wakeup', 'console')")
        await eventually(listener.wake.is_set, "woken")
        assert listener.notifications == 1  # the webhook's came first and was left out

        first = listener.pid
        assert first is not None
        assert first == await listener_pid(pool)
        listener.wake.clear()
        assert await pool.fetchval("SELECT pg_terminate_backend($1)", first)
        await eventually(lambda: listener.connections == 2, "reconnected")
        assert listener.wake.is_set()  # notifications may have been lost meanwhile: look
        assert listener.pid not in (None, first)
        listener.wake.clear()
        await pool.execute("SELECT pg_notify('spt_test_wakeup', 'console')")
        await eventually(listener.wake.is_set, "woken again")
    finally:
        stop.set()
        await asyncio.wait_for(task, PROMPTLY)
    assert listener.pid is None

    async def gone() -> bool:
        return await listener_pid(pool) is None

    await eventually(gone, "its connection closed")


# ---------------------------------------------------------------------------------------------
# The pipeline: `spt run`'s delivery loop


def holder(database_url: str) -> SettingsHolder:
    layer = parse_cli_overrides([
        f"database.url={database_url!r}", "extract.backend='rules'", "alerts.delivery='console'",
        f"alerts.delivery_poll_seconds={POLL_SECONDS}",
    ])  # fmt: skip
    loaded = load_settings(None, layer, {})
    return SettingsHolder(loaded, lambda: loaded)


@contextlib.asynccontextmanager
async def pipeline(database_url: str, pool: Pool) -> AsyncIterator[Services]:
    """`start_pipeline` as `spt run` calls it (headless: console alerts), until exit, with
    its listener connected and the pass it asks for once connected done."""
    woken = wakeups("wake")
    async with open_services(holder(database_url)) as services:
        supervisor = Supervisor()
        start_pipeline(services, supervisor)
        try:
            await eventually(lambda: listener_pid(pool), "the listener connected")
            await eventually(lambda: wakeups("wake") > woken, "the listener's first pass")
            await asyncio.sleep(0.5)
            yield services
        finally:
            await supervisor.stop()


async def test_an_alert_from_another_process_is_delivered_at_once_not_at_the_poll(
    database_url: str, pool: Pool, capsys: pytest.CaptureFixture[str]
) -> None:
    outbox = Outbox(pool)
    async with pipeline(database_url, pool):
        woken, polled = wakeups("wake"), wakeups("interval")
        alert = await outbox.alert()
        took = await eventually(outbox.delivered(alert), "delivered")
        assert wakeups("wake") > woken
        assert wakeups("interval") == polled
    assert took < PROMPTLY < POLL_SECONDS
    assert "[ram deals] score 95.0" in capsys.readouterr().out


async def test_a_burst_of_alerts_is_delivered_in_a_pass_or_two(
    database_url: str, pool: Pool
) -> None:
    outbox = Outbox(pool)
    async with pipeline(database_url, pool):
        woken = wakeups("wake")
        started = time.monotonic()
        alerts = [await outbox.alert() for _ in range(30)]  # 30 commits, 30 notifications
        writing = time.monotonic() - started
        for alert in alerts:
            await eventually(outbox.delivered(alert), f"alert {alert} delivered")
        await asyncio.sleep(1.5)  # any pass still owed to the burst
        passes = wakeups("wake") - woken
    # A pass at once, then at most one a second (the minimum gap) while they kept coming.
    assert 1 <= passes <= 2 + math.ceil(writing / DELIVERY_MIN_GAP_SECONDS) < len(alerts)


async def test_a_retry_is_delivered_when_due_without_a_notification_or_the_poll(
    database_url: str, pool: Pool
) -> None:
    outbox = Outbox(pool)
    alert = await outbox.alert()  # nobody listens yet: this notification is heard by no one
    # A send failed earlier; the retry is due in 3 s (as `retry_later` leaves it, but
    # written here by hand, so no notification announces it).
    due = now() + timedelta(seconds=3)
    await pool.execute(
        "UPDATE outbox SET attempts = 1, last_error = 'webhook 503', next_attempt_at = $1",
        due,
    )
    before, woken, polled = wakeups("due"), wakeups("wake"), wakeups("interval")
    async with open_services(holder(database_url)) as services:
        supervisor = Supervisor()
        start_pipeline(services, supervisor)
        try:
            await asyncio.sleep(2)
            assert await outbox.status(alert) == "queued"  # not before it is due
            await eventually(outbox.delivered(alert), "the retry delivered", 2 + PROMPTLY)
        finally:
            await supervisor.stop()
    delivered_at = await pool.fetchval("SELECT delivered_at FROM alerts WHERE id = $1", alert)
    assert due <= delivered_at < due + timedelta(seconds=PROMPTLY)
    assert wakeups("due") > before
    assert wakeups("wake") - woken <= 1  # the listener's, once connected: no notification
    assert wakeups("interval") == polled


async def test_wake_ups_work_again_after_the_listeners_connection_is_killed(
    database_url: str, pool: Pool
) -> None:
    outbox = Outbox(pool)
    async with pipeline(database_url, pool):
        first = await listener_pid(pool)
        assert first is not None
        wakes, polled = wakeups("wake"), wakeups("interval")
        assert await pool.fetchval("SELECT pg_terminate_backend($1)", first)

        async def replaced() -> bool:
            return await listener_pid(pool) not in (None, first)

        await eventually(replaced, "a new listener connection")
        # Back, it wakes the sender once (notifications may have been lost meanwhile) ...
        await eventually(lambda: wakeups("wake") > wakes, "a pass")
        await asyncio.sleep(1.5)
        # ... and notifications wake it again.
        alert = await outbox.alert()
        took = await eventually(outbox.delivered(alert), "delivered after the reconnection")
        assert wakeups("interval") == polled
    assert took < PROMPTLY < POLL_SECONDS
