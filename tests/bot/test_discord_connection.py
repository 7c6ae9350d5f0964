"""Losing Discord never stops the pipeline (issue 14, point 4): `spt run`'s bot connects
again after a back-off while ingestion, extraction and delivery go on."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import pytest

import bot.client as client_module
from app.pipeline import start_pipeline
from app.services import open_services
from bot.client import CurrentBotChannels, DiscordConnection, SptBot
from core.jobs.supervisor import Supervisor
from core.observability.metrics import REGISTRY
from core.resilience import RetryableError
from tests.bot.harness import holder_for
from tests.fakes.discord_api import FakeDiscord


class QuickBot(SptBot):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, guild_ready_timeout=0.05, **kwargs)  # type: ignore[arg-type]


def last_success(job: str) -> float:
    return REGISTRY.get_sample_value("spt_job_last_success_timestamp_seconds", {"job": job}) or 0


async def test_a_connection_closed_for_good_reconnects_while_the_pipeline_runs(
    fake: FakeDiscord, database_url: str, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    monkeypatch.setattr(client_module, "RECONNECT_BASE_SECONDS", 0.5)
    holder = holder_for(fake, database_url, None, "alerts.delivery_poll_seconds=1")
    stop = asyncio.Event()
    async with open_services(holder) as services:
        supervisor = Supervisor()
        connection = DiscordConnection(services, QuickBot)
        start_pipeline(services, supervisor, connection.up, CurrentBotChannels(connection))
        running = asyncio.create_task(connection.run(stop))
        try:
            await fake.wait_for(lambda: fake.connected_sessions == 1, timeout=20)
            first = connection.bot
            before = last_success("delivery")
            with caplog.at_level(logging.WARNING, logger="bot.client"):
                await fake.close_sessions(4010)  # "Invalid shard": discord.py gives up
                await fake.wait_for(lambda: connection.connects == 2, timeout=20)
            await fake.wait_for(lambda: fake.connected_sessions == 1, timeout=20)
            assert connection.bot is not first  # a fresh bot, connected again
            assert len(fake.identifies) == 2
            assert any("lost Discord" in r.getMessage() and "pipeline goes on" in r.getMessage()
                       for r in caplog.records)  # fmt: skip
            await asyncio.sleep(1.5)
            assert last_success("delivery") > before  # the pipeline never stopped
            assert "ingest" not in supervisor.names or supervisor.restarts["ingest"] == 0
            assert await connection.up()
        finally:
            stop.set()
            await running
            await supervisor.stop()
    assert supervisor.running() == []
    assert fake.connected_sessions == 0


async def test_channel_alerts_wait_while_no_bot_is_connected(
    fake: FakeDiscord, database_url: str
) -> None:
    holder = holder_for(fake, database_url, None)
    async with open_services(holder) as services:
        channels = CurrentBotChannels(DiscordConnection(services))
        with pytest.raises(RetryableError, match="not connected"):
            await channels.find(1, "alert 1", datetime.now(UTC))
