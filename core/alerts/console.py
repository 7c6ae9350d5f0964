"""Console delivery: alerts as readable text, for the demo and headless use."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from core.clock import Clock
from core.db import alerts as repo
from core.db.pool import Pool
from core.observability.metrics import ALERTS
from core.pricing.wording import market_phrase


def render(row: dict[str, Any]) -> str:
    """One alert as a few plain lines (listing text is shown, never interpreted)."""
    title = " ".join(str(row["title"]).split())[:200]
    immature = "  (baseline immature)" if row["cold_start"] else ""
    market = market_phrase(row["unit_price"], row.get("baseline_p50"),
                           int(row.get("baseline_samples") or 0), str(row["currency"]),
                           int(row.get("baseline_sold") or 0))  # fmt: skip
    again = f" (re-alert #{row['sequence']})" if row["sequence"] > 1 else ""
    lines = [
        f"[{row['watch_name']}] score {float(row['score']):.1f}{again}{immature}",
        f"  {title}",
        f"  {row['unit_price']} {row['currency']} per unit on {row['marketplace']}: {market}",
        f"  {row['url'] or '(no link)'}",
    ]
    return "\n".join(lines)


class ConsoleDelivery:
    """Delivers console outbox messages to a stream and records each attempt."""

    def __init__(self, pool: Pool, clock: Clock, worker: str, stream: TextIO | None = None) -> None:
        self._pool = pool
        self._clock = clock
        self._worker = worker
        self._stream = stream

    async def deliver_pending(self, limit: int = 100) -> int:
        """Print every ready console alert once; returns how many were delivered."""
        stream = self._stream or sys.stdout
        async with self._pool.acquire() as conn:
            await repo.reclaim_outbox(conn, self._clock())
            rows = await repo.claim_outbox(
                conn, self._worker, ["console"], self._clock(), 60, limit
            )
            for row in rows:
                started = time.perf_counter()
                if row["alert_status"] in ("dismissed", "muted"):
                    await repo.record_attempt(conn, row["outbox_id"], self._worker, "cancelled",
                                              self._clock(), "dismissed or muted")  # fmt: skip
                    continue
                print(render(row), file=stream, flush=True)
                await repo.record_attempt(
                    conn, row["outbox_id"], self._worker, "delivered", self._clock(),
                    duration_ms=int((time.perf_counter() - started) * 1000),
                )  # fmt: skip
        delivered = sum(1 for r in rows if r["alert_status"] not in ("dismissed", "muted"))
        ALERTS.labels("delivered").inc(delivered)
        return delivered
