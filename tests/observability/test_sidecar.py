"""The side server in-process: metrics exposition, liveness, readiness and its reasons."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest

from app.errors import SidecarError
from app.services import Services, open_services
from app.sidecar import Sidecar
from core.config_reload import SettingsHolder
from core.settings import load_settings, parse_cli_overrides


def holder(database_url: str, *pairs: str) -> SettingsHolder:
    layer = parse_cli_overrides([f"database.url={database_url!r}", "sidecar.port=0",
                                 "extract.backend='rules'", *pairs])  # fmt: skip
    loaded = load_settings(None, layer, {})
    return SettingsHolder(loaded, lambda: loaded)


@pytest.fixture
async def services(database_url: str) -> AsyncIterator[Services]:
    async with open_services(holder(database_url)) as built:
        yield built


@pytest.fixture
async def sidecar(services: Services) -> AsyncIterator[str]:
    server = Sidecar(services)
    url = await server.start()
    yield url
    await server.stop()


async def get(url: str, **headers: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as response:
        return response.status, response.headers.get("Content-Type", ""), await response.text()


async def test_metrics_are_served_as_text_or_openmetrics(sidecar: str) -> None:
    status, kind, body = await get(f"{sidecar}/metrics")
    assert status == 200
    assert kind.startswith("text/plain; version=")  # the Prometheus text format
    assert "# TYPE spt_external_service_up gauge" in body
    # Created at zero at start (other tests in this process may have counted since).
    assert re.search(r'^spt_ebay_requests_total\{status="error"\} \d', body, re.MULTILINE)
    assert re.search(r'^spt_llm_requests_total\{backend="anthropic",status="success"\} ', body,
                     re.MULTILINE)  # fmt: skip
    assert 'spt_llm_backend{backend="none"} 1.0' in body  # rules read every title
    assert 'spt_alert_destination{destination="console"} 1.0' in body
    status, kind, body = await get(f"{sidecar}/metrics", Accept="application/openmetrics-text")
    assert status == 200
    assert kind.startswith("application/openmetrics-text")
    assert body.rstrip().endswith("# EOF")


async def test_liveness_and_readiness(sidecar: str, services: Services) -> None:
    assert (await get(f"{sidecar}/healthz"))[0] == 200
    status, _, body = await get(f"{sidecar}/readyz")
    assert (status, body) == (200, '{"status": "ready"}')
    await services.db.pool.execute("DELETE FROM schema_migrations WHERE version = 2")
    status, _, body = await get(f"{sidecar}/readyz")
    assert status == 503
    assert "migrations pending: 002_bot" in body
    await services.db.pool.execute(
        "INSERT INTO schema_migrations (version, name, checksum) VALUES (2, 'bot', 'edited')"
    )
    status, _, body = await get(f"{sidecar}/readyz")
    assert status == 503
    assert "002_bot.sql changed after it was applied" in body


async def test_readiness_fails_when_the_database_is_gone(services: Services) -> None:
    server = Sidecar(services)
    url = await server.start()
    try:
        services.db.pool.terminate()
        status, _, body = await get(f"{url}/readyz")
        assert status == 503
        assert "database unreachable" in body
        assert (await get(f"{url}/healthz"))[0] == 200  # alive, just not ready
    finally:
        await server.stop()


async def test_a_taken_port_is_a_clear_error(database_url: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        async with open_services(holder(database_url, f"sidecar.port={port}")) as built:
            with pytest.raises(SidecarError, match=f"cannot listen on 127.0.0.1:{port}"):
                await Sidecar(built).start()
