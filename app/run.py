"""`spt run`: every loop under one supervisor, the Discord bot beside them when a token is
set, the side server, until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from app import integrations
from app.pipeline import start_pipeline
from app.services import Services, open_services
from core.config_reload import SettingsHolder
from core.jobs.supervisor import Supervisor
from core.observability.logging import apply_level, setup_logging
from core.settings import Settings

log = logging.getLogger(__name__)


def _on_reload(old: Settings, new: Settings) -> None:
    if old.logging.format != new.logging.format:
        setup_logging(new.logging)
    elif old.logging.level != new.logging.level:
        apply_level(new.logging)


async def serve(
    services: Services, stop: asyncio.Event, connection: integrations.Connection | None = None
) -> None:
    """The pipeline's loops until `stop` is set, then a clean shutdown.

    With a `connection` the bot runs beside them (and connects again if it loses Discord
    while the pipeline goes on); an error no reconnect can fix stops both and is raised.
    """
    supervisor = Supervisor()
    if connection is None:
        start_pipeline(services, supervisor)
    else:
        start_pipeline(services, supervisor, connection.up, connection.channels)
    try:
        if connection is None:
            await stop.wait()
        else:
            await connection.run(stop)
    finally:
        log.info("shutting down")
        await supervisor.stop()


@asynccontextmanager
async def side_server(services: Services, *, enabled: bool = True) -> AsyncIterator[None]:
    """The side server (/metrics, /healthz, /readyz, dashboard) while the block runs."""
    if not enabled or not services.holder.current.sidecar.enabled:
        yield
        return
    from app.sidecar import Sidecar  # aiohttp's web stack loads only when serving

    sidecar = Sidecar(services)
    await sidecar.start()
    try:
        yield
    finally:
        await sidecar.stop()


def stop_on_signals() -> asyncio.Event:
    """An event SIGINT or SIGTERM sets."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def run(holder: SettingsHolder) -> None:
    """`spt run`: start everything and serve until SIGINT/SIGTERM.

    With `discord.token` the Discord bot runs beside the pipeline in the same event loop;
    without one spt runs headless (webhook or console alerts) and says so.
    """
    stop = stop_on_signals()
    holder.subscribe(_on_reload)
    async with open_services(holder) as services, side_server(services):
        where = "embedded" if services.db.embedded else "from database.url"
        if holder.current.discord.token is None:
            log.info("spt running headless (no discord.token set); database %s", where)
            await serve(services, stop)
            return
        log.info("spt running with Discord; database %s", where)
        await serve(services, stop, integrations.discord().connect(services))
