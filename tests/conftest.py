"""Shared fixtures: one real PostgreSQL per session, a fresh database per test, a clean env."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from core.db.embedded import EmbeddedPostgres, with_database
from core.db.migrate import migrate
from core.db.pool import Pool, create_pool
from core.settings import CONVENTIONAL_ENV, DatabaseSettings

REPO = Path(__file__).resolve().parent.parent
TEST_DB_ENV = "SPT_TEST_DATABASE_URL"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No developer SPT_* or conventional variables leak in; no ./config.toml is picked up."""
    for name in list(os.environ):
        if name.startswith("SPT_") or name in CONVENTIONAL_ENV:
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    yield
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == "spt":  # installed by a CLI run; its stream is gone now
            root.removeHandler(handler)


async def _admin(dsn: str, *statements: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def admin_dsn() -> Iterator[str]:
    """A server we may create databases on: $SPT_TEST_DATABASE_URL or an embedded one."""
    url = os.environ.get(TEST_DB_ENV)
    if url:
        yield url
        return
    # Short path: PostgreSQL's socket lives in the data directory.
    data_dir = Path(tempfile.mkdtemp(prefix="spt-pg-"))
    server = EmbeddedPostgres(data_dir / "data")
    asyncio.run(server.start())
    try:
        yield server.admin_dsn
    finally:
        asyncio.run(server.stop())
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def template_name(admin_dsn: str) -> Iterator[str]:
    """A migrated database that each test's database is copied from."""
    name = f"spt_template_{uuid.uuid4().hex[:8]}"

    async def build() -> None:
        await _admin(admin_dsn, f'CREATE DATABASE "{name}"')
        pool = await create_pool(with_database(admin_dsn, name), DatabaseSettings())
        try:
            await migrate(pool)
        finally:
            await pool.close()

    asyncio.run(build())
    yield name
    asyncio.run(_admin(admin_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _fresh(admin_dsn: str, template: str) -> Iterator[str]:
    name = f"spt_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(admin_dsn, f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield with_database(admin_dsn, name)
    finally:
        asyncio.run(_admin(admin_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def database_url(admin_dsn: str, template_name: str) -> Iterator[str]:
    """URL of a new, fully migrated database for this test alone."""
    yield from _fresh(admin_dsn, template_name)


@pytest.fixture
def empty_database_url(admin_dsn: str) -> Iterator[str]:
    """URL of a new database with no schema at all."""
    yield from _fresh(admin_dsn, "template0")


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[Pool]:
    """A pool on this test's migrated database."""
    pool = await create_pool(database_url, DatabaseSettings())
    yield pool
    await pool.close()


@pytest.fixture
async def empty_pool(empty_database_url: str) -> AsyncIterator[Pool]:
    """A pool on this test's empty database."""
    pool = await create_pool(empty_database_url, DatabaseSettings())
    yield pool
    await pool.close()
