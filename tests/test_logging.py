"""Logs: JSON lines off a terminal, readable lines on one, and never a secret."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from core.observability.logging import secret_values, set_secrets, setup_logging
from core.settings import LoggingSettings, load_settings

SECRETS = {
    "DISCORD_TOKEN": "MTA5.discord.token.value",
    "EBAY_CLIENT_SECRET": "PRD-ebay-client-secret",
    "DATABASE_URL": "postgresql://spt:db-password-42@db/spt",
}


@pytest.fixture
def capture() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    yield stream
    set_secrets(())
    logging.getLogger().setLevel(logging.WARNING)


def test_secret_values_collects_every_secret() -> None:
    settings = load_settings(None, None, SECRETS).settings
    assert set(secret_values(settings)) == set(SECRETS.values())


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_secrets_never_reach_the_log(capture: io.StringIO, fmt: str) -> None:
    setup_logging(LoggingSettings(format=fmt), capture)
    set_secrets(secret_values(load_settings(None, None, SECRETS).settings))
    log = logging.getLogger("spt.test")
    log.info("connecting to %s", SECRETS["DATABASE_URL"])
    log.warning("token", extra={"token": SECRETS["DISCORD_TOKEN"]})
    try:
        raise RuntimeError(f"auth failed for {SECRETS['EBAY_CLIENT_SECRET']}")
    except RuntimeError:
        log.exception("eBay call failed")
    output = capture.getvalue()
    assert output.count("********") >= 3
    for secret in SECRETS.values():
        assert secret not in output


def test_json_lines_carry_fields_and_context(capture: io.StringIO) -> None:
    setup_logging(LoggingSettings(format="json"), capture)
    logging.getLogger("spt.jobs").info("ran %s", "ingest", extra={"watch_id": 7, "job": "ingest"})
    entry = json.loads(capture.getvalue().strip())
    assert entry["level"] == "info"
    assert entry["logger"] == "spt.jobs"
    assert entry["msg"] == "ran ingest"
    assert entry["watch_id"] == 7
    assert entry["job"] == "ingest"
    assert entry["ts"].endswith("+00:00")


def test_text_format_is_readable(capture: io.StringIO) -> None:
    setup_logging(LoggingSettings(format="text"), capture)
    logging.getLogger("spt.jobs").warning("slow", extra={"listing_id": 3})
    line = capture.getvalue().strip()
    assert "WARNING" in line
    assert "spt.jobs: slow" in line
    assert line.endswith("listing_id=3")


def test_auto_format_is_json_off_a_terminal(capture: io.StringIO) -> None:
    setup_logging(LoggingSettings(format="auto"), capture)
    logging.getLogger("x").warning("hello")
    assert json.loads(capture.getvalue())["msg"] == "hello"


def test_level_filters_and_setup_replaces_its_handler(capture: io.StringIO) -> None:
    setup_logging(LoggingSettings(level="WARNING", format="json"), capture)
    setup_logging(LoggingSettings(level="WARNING", format="json"), capture)
    logging.getLogger("x").info("hidden")
    logging.getLogger("x").warning("shown")
    lines = capture.getvalue().splitlines()
    assert [json.loads(line)["msg"] for line in lines] == ["shown"]
