"""The PostgreSQL a benchmark runs on: $SPT_BENCH_DATABASE_URL, or an embedded one."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from core.db.embedded import EmbeddedPostgres

BENCH_DATABASE_ENV = "SPT_BENCH_DATABASE_URL"


@asynccontextmanager
async def bench_database() -> AsyncIterator[str]:
    """A database URL for the benchmark; an embedded server is stopped and removed after."""
    url = os.environ.get(BENCH_DATABASE_ENV)
    if url:
        yield url
        return
    data_dir = Path(tempfile.mkdtemp(prefix="spt-bench-"))
    server = EmbeddedPostgres(data_dir / "pg")
    try:
        yield await server.start()
    finally:
        await server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
