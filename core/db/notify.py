"""A dedicated LISTEN connection that turns PostgreSQL notifications into an asyncio.Event.

It is one connection of its own, not one borrowed from the pool: a pooled connection goes
back to the pool (and is recycled) after each use, and its LISTEN with it. When the
connection drops (PostgreSQL restarted, the backend was terminated, the network went
away) the listener connects again with a doubling back-off; notifications sent while it
was away are lost, so each time it is listening again it sets the event once, and the
woken loop looks for itself. A periodic `SELECT 1` finds a connection that died silently.
The loop it wakes keeps a slow poll of its own for as long as the listener is away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection

import asyncpg

from core.db.pool import Connection

log = logging.getLogger(__name__)

RETRY_BASE_SECONDS = 0.5
RETRY_MAX_SECONDS = 10.0
KEEPALIVE_SECONDS = 30.0
CONNECT_TIMEOUT_SECONDS = 10.0
# How the connection shows in pg_stat_activity.
APPLICATION_NAME = "spt listener"
# What a lost server or network raises (a bug is left to the supervisor).
_CONNECTION_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


class Listener:
    """LISTENs on `channel` and sets `wake` for each notification whose payload is one of
    `payloads` (any payload when None), and once after every (re)connection.

    `run(stop)` is a supervisor loop: it holds the connection until `stop` is set and
    closes it then.
    """

    def __init__(
        self,
        dsn: str,
        channel: str,
        payloads: Collection[str] | None = None,
        *,
        wake: asyncio.Event | None = None,
        retry_base: float = RETRY_BASE_SECONDS,
        retry_max: float = RETRY_MAX_SECONDS,
        keepalive: float = KEEPALIVE_SECONDS,
    ) -> None:
        self._dsn = dsn
        self.channel = channel
        self._payloads = None if payloads is None else frozenset(payloads)
        self.wake = wake if wake is not None else asyncio.Event()
        self._retry_base = retry_base
        self._retry_max = retry_max
        self._keepalive = keepalive
        self._conn: asyncpg.Connection | None = None
        self.connections = 0  # successful LISTENs so far (the first, then each reconnection)
        self.notifications = 0  # notifications received that set the event

    @property
    def pid(self) -> int | None:
        """The listening backend's process id, while connected."""
        conn = self._conn
        return None if conn is None or conn.is_closed() else conn.get_server_pid()

    async def run(self, stop: asyncio.Event) -> None:
        """Listen until `stop` is set, connecting again whenever the connection is lost."""
        failures = 0
        while not stop.is_set():
            lost = asyncio.Event()
            try:
                await self._connect(lost)
            except _CONNECTION_ERRORS as exc:
                failures += 1
                delay = min(self._retry_base * 2 ** min(failures - 1, 20), self._retry_max)
                level = logging.WARNING if failures == 1 else logging.DEBUG
                log.log(level, "cannot listen for %s (%s); trying again in %.1f s, the loop it "
                        "wakes polls meanwhile", self.channel, exc, delay)  # fmt: skip
                await self._close()
                await _wait(stop, delay)
                continue
            if self.connections > 1:
                log.info("listening for %s again (%d failed attempt(s) before)", self.channel,
                         failures)  # fmt: skip
            failures = 0
            try:
                await self._hold(stop, lost)
            finally:
                await self._close()
            if not stop.is_set():
                log.warning("the connection listening for %s was lost; reconnecting",
                            self.channel)  # fmt: skip

    async def _connect(self, lost: asyncio.Event) -> None:
        conn = await asyncpg.connect(
            self._dsn,
            timeout=CONNECT_TIMEOUT_SECONDS,
            server_settings={"application_name": APPLICATION_NAME},
        )
        self._conn = conn
        conn.add_termination_listener(lambda _conn: lost.set())
        await conn.add_listener(self.channel, self._notified)
        self.connections += 1
        # Whatever was announced while nobody listened is unknown: look once.
        self.wake.set()

    async def _hold(self, stop: asyncio.Event, lost: asyncio.Event) -> None:
        """Until stop, or until the connection is lost (noticed at once when the server
        closes it, or by the keep-alive query when it vanished silently)."""
        conn = self._conn
        assert conn is not None
        while not stop.is_set() and not lost.is_set() and not conn.is_closed():
            if await _wait_any(stop, lost, self._keepalive):
                return
            try:
                await conn.fetchval("SELECT 1", timeout=CONNECT_TIMEOUT_SECONDS)
            except _CONNECTION_ERRORS:
                return

    def _notified(self, _conn: Connection, _pid: int, _channel: str, payload: object) -> None:
        if self._payloads is None or payload in self._payloads:
            self.notifications += 1
            self.wake.set()

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None or conn.is_closed():
            return
        try:
            await asyncio.wait_for(conn.close(), CONNECT_TIMEOUT_SECONDS)
        except asyncio.CancelledError:
            conn.terminate()
            raise
        except _CONNECTION_ERRORS:
            conn.terminate()  # a server that is gone cannot hear a polite goodbye


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def _wait_any(stop: asyncio.Event, other: asyncio.Event, seconds: float) -> bool:
    """Wait up to `seconds` for either event; True when one was set."""
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(other.wait())]
    try:
        done, _ = await asyncio.wait(waiters, timeout=seconds,
                                     return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
    finally:
        for waiter in waiters:
            waiter.cancel()
    return bool(done)
