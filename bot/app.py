"""Composition root: builds the pool and services from settings and runs spt's modes.

Every resource is created here and passed down; nothing else opens connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from bot.demo import seed_examples
from core.config_reload import SettingsHolder, watch_config
from core.db.migrate import migrate
from core.db.pool import Database, open_database
from core.observability.logging import apply_level, setup_logging
from core.settings import Settings
from core.watches import Watch, WatchService

log = logging.getLogger(__name__)


@dataclass
class Services:
    """What commands and front ends use: the database and the core services over it."""

    db: Database
    watches: WatchService
    migrations_applied: list[str] = field(default_factory=list)


@asynccontextmanager
async def open_services(holder: SettingsHolder) -> AsyncIterator[Services]:
    """Open the database (embedded when no URL), apply pending migrations, build services."""
    async with open_database(holder.current.database) as db:
        applied = await migrate(db.pool)
        if applied:
            log.info("database migrated: %s", ", ".join(m.label for m in applied))
        yield Services(
            db=db,
            watches=WatchService(db.pool, lambda: holder.current),
            migrations_applied=[m.label for m in applied],
        )


def _on_reload(old: Settings, new: Settings) -> None:
    if old.logging.format != new.logging.format:
        setup_logging(new.logging)
    elif old.logging.level != new.logging.level:
        apply_level(new.logging)


async def run(holder: SettingsHolder) -> None:
    """`spt run`: start everything and serve until SIGINT/SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    holder.subscribe(_on_reload)
    async with open_services(holder) as services:
        settings = holder.current
        mode = "with Discord" if settings.discord.token else "headless (no discord.token set)"
        watches = await services.watches.list(None)
        log.info(
            "spt running %s; database %s; %d local watch(es)",
            mode,
            "embedded" if services.db.embedded else "from database.url",
            len(watches),
        )
        tasks = []
        path = holder.loaded.config_path
        if path is not None:
            tasks.append(asyncio.create_task(watch_config(holder, path, stop), name="config-watch"))
        await stop.wait()
        log.info("shutting down")
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


@dataclass(frozen=True)
class DemoResult:
    """What `spt demo` did, for the human table and the `--json` summary."""

    embedded: bool
    migrations_applied: list[str]
    created: list[Watch]
    existing: list[Watch]

    def summary(self) -> dict[str, Any]:
        """The one-object JSON summary `spt demo --json` prints last."""
        return {
            "database": "embedded" if self.embedded else "url",
            "migrations_applied": self.migrations_applied,
            "watches_created": len(self.created),
            "watches_existing": len(self.existing),
            "watches": [
                {"id": w.id, "name": w.name, "type": w.component_type.value,
                 "marketplace": w.marketplace.value}
                for w in (*self.created, *self.existing)
            ],
        }  # fmt: skip


async def demo(holder: SettingsHolder) -> DemoResult:
    """`spt demo`: migrate and seed the example watches (the pipeline joins in later work)."""
    async with open_services(holder) as services:
        created, existing = await seed_examples(services.watches)
        return DemoResult(services.db.embedded, services.migrations_applied, created, existing)
