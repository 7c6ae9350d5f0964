"""PostgreSQL stops for 30 s under a running spt (issue 13, point 8): the process keeps
running, `/readyz` says 503 while the database is gone and 200 once it is back, every
loop succeeds again without a restart, and nothing that was stored is lost."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import asyncpg
import pytest
from pgserver.postgres_server import get_server
from pgserver.utils import ensure_prefix_permissions

from core.db.embedded import EmbeddedPostgres
from tests.demo_process import Demo, fetch, running_demo, wait

OUTAGE_SECONDS = 30
LOOPS = ("ingest", "extract", "baselines", "delivery", "health")


def last_success(demo: Demo) -> dict[str, float]:
    family = demo.metrics().get("spt_job_last_success_timestamp_seconds")
    assert family is not None
    return {s.labels["job"]: s.value for s in family.samples}


def restart(data_dir: Path) -> None:
    """Start the demo's PostgreSQL again on the same data directory and socket."""
    # As root, PostgreSQL runs as pgserver's own user, which must be able to reach the
    # directory (pytest's temporary folders are private to root).
    ensure_prefix_permissions(data_dir)
    server = get_server(data_dir)  # this process's handle, joined before the outage
    server.ensure_postgres_running()


def postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "postmaster.pid").read_text().splitlines()[0])


async def counts(url: str) -> dict[str, int]:
    conn = await asyncpg.connect(url)
    try:
        return {
            "listings": await conn.fetchval("SELECT count(*) FROM listings"),
            "extractions": await conn.fetchval("SELECT count(*) FROM extractions"),
            "alerts": await conn.fetchval("SELECT count(*) FROM alerts"),
        }
    finally:
        await conn.close()


async def stuck(url: str) -> dict[str, int]:
    """Leases that expired without being given back, and alerts that never went out."""
    conn = await asyncpg.connect(url)
    try:
        return {
            "jobs": await conn.fetchval(
                "SELECT count(*) FROM extraction_jobs WHERE status = 'running' "
                "AND lease_expires_at < now()"
            ),
            "outbox": await conn.fetchval(
                "SELECT count(*) FROM outbox WHERE status = 'sending' AND lease_expires_at < now()"
            ),
            "undelivered": await conn.fetchval(
                "SELECT count(*) FROM alerts WHERE status IN ('pending', 'queued')"
            ),
        }
    finally:
        await conn.close()


def test_every_loop_recovers_from_a_database_outage_without_a_restart(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    data_dir = tmp_path_factory.mktemp("outage") / "pg"
    env = {"SPT_DATABASE__DATA_DIR": str(data_dir), "SPT_SCHEDULE__HEALTH_CHECK_SECONDS": "5"}
    with running_demo(tmp_path_factory, env) as demo:
        wait(lambda: fetch(f"{demo.url}/readyz")[0] == 200, "ready before the outage")
        wait(lambda: set(LOOPS) <= set(last_success(demo)), "every loop's first success")
        outsider = EmbeddedPostgres(data_dir)  # joins the demo's server to read it
        url = asyncio.run(outsider.start())
        before = asyncio.run(counts(url))
        asyncio.run(outsider.stop())
        os.kill(postmaster_pid(data_dir), signal.SIGINT)  # fast shutdown: clients cut off
        stopped = time.time()
        wait(lambda: fetch(f"{demo.url}/readyz")[0] == 503, "/readyz 503 while it is down", 30)
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.time() - stopped)))
        assert demo.process.poll() is None, "\n".join(demo.logs[-20:])
        restart(data_dir)
        restarted = time.time()
        wait(lambda: fetch(f"{demo.url}/readyz")[0] == 200, "/readyz 200 once it is back", 90)
        wait(lambda: all(last_success(demo).get(loop, 0) > restarted for loop in LOOPS),
             "every loop succeeding again", 240)  # fmt: skip
        recovered = time.time() - restarted
        assert demo.process.poll() is None
        after = asyncio.run(counts(url))
        assert all(after[name] >= before[name] for name in before), (before, after)
        wait(lambda: asyncio.run(stuck(url)) == {"jobs": 0, "outbox": 0, "undelivered": 0},
             "no stuck lease and every alert delivered", 120)  # fmt: skip
        print(f"every loop succeeded again {recovered:.0f} s after the database came back")
        # Delivery's LISTEN connection (outside the pool) came back too, not only its poll.
        wait(lambda: any("listening for spt_outbox again" in line for line in demo.logs),
             "the outbox listener reconnected", 30)  # fmt: skip
    assert any("failed" in line for line in demo.logs), "the outage went unnoticed in the logs"
