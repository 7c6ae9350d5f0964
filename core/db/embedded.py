"""An embedded PostgreSQL server (the `pgserver` package) for running without a database URL."""

from __future__ import annotations

import asyncio
import logging
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

log = logging.getLogger(__name__)

DATABASE_NAME = "spt"
# PostgreSQL puts its Unix socket in the data directory; sun_path allows 107 bytes.
_MAX_SOCKET_DIR = 90


class EmbeddedPostgresError(RuntimeError):
    """The embedded server could not be started."""


def with_database(dsn: str, database: str) -> str:
    """The same server URL pointing at another database."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{database}"))


class EmbeddedPostgres:
    """Starts (or joins) a PostgreSQL server in `data_dir`; the last user out stops it."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.expanduser().resolve()
        self._server: Any = None

    async def start(self) -> str:
        """Start the server if needed, ensure the `spt` database exists, return its URL."""
        if len(str(self.data_dir)) > _MAX_SOCKET_DIR:
            raise EmbeddedPostgresError(
                f"database.data_dir {self.data_dir} is too long for a PostgreSQL socket path "
                f"(at most {_MAX_SOCKET_DIR} characters); choose a shorter directory"
            )
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise EmbeddedPostgresError(f"cannot create database.data_dir: {exc}") from exc
        log.info("starting embedded PostgreSQL in %s", self.data_dir)
        try:
            self._server = await asyncio.to_thread(_get_server, self.data_dir)
        except Exception as exc:
            raise EmbeddedPostgresError(
                f"embedded PostgreSQL failed to start in {self.data_dir}: {exc} "
                f"(its log is in {self.data_dir / 'log'})"
            ) from exc
        admin_dsn = str(self._server.get_uri())
        await _ensure_database(admin_dsn, DATABASE_NAME)
        return with_database(admin_dsn, DATABASE_NAME)

    @property
    def admin_dsn(self) -> str:
        """URL of the server's `postgres` database (for creating and dropping databases)."""
        if self._server is None:
            raise EmbeddedPostgresError("embedded PostgreSQL is not running")
        return str(self._server.get_uri())

    async def stop(self) -> None:
        """Release this process's handle; the server stops when no process uses it."""
        if self._server is not None:
            server, self._server = self._server, None
            await asyncio.to_thread(server.cleanup)
            log.info("embedded PostgreSQL released")


def _get_server(data_dir: Path) -> Any:
    with warnings.catch_warnings():
        # pgserver asks platformdirs for a runtime dir at import; the fallback is fine.
        warnings.simplefilter("ignore")
        from pgserver.postgres_server import get_server  # slow; only needed without a URL

    return get_server(data_dir, cleanup_mode="stop")


async def _ensure_database(admin_dsn: str, name: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            # CREATE DATABASE takes no parameters; the name is our own constant.
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
