"""A real `spt run` process driven from asyncio: started, SIGKILLed, restarted, stopped.

Asyncio rather than threads (unlike `tests/demo_process.py`) because the fakes it talks
to (Discord, webhooks) are served by the test's own event loop, which must keep running
while the test waits for the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from core.settings import CONVENTIONAL_ENV
from tests.demo_process import SPT


def spt_env(database_url: str, settings: Mapping[str, str]) -> dict[str, str]:
    """The environment of an `spt run` on `database_url`: none of the caller's SPT_* or
    conventional variables (DISCORD_TOKEN, EBAY_CLIENT_ID, ...), JSON logs, no side server,
    then `settings` (SPT_SECTION__KEY names)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("SPT_") and name not in CONVENTIONAL_ENV
    }
    env.update({
        "SPT_DATABASE__URL": database_url,
        "SPT_LOGGING__FORMAT": "json",
        "SPT_SIDECAR__ENABLED": "false",  # many restarts: no port to pick or to collide on
        "SPT_EXTRACT__BACKEND": "rules",  # no LLM exists on this machine
    })  # fmt: skip
    env.update(settings)
    return env


class SptRun:
    """One `spt run` process and the JSON log lines it wrote to stderr."""

    # Every process started, so a test that fails or times out half-way leaves none behind
    # (`kill_leftovers`, from a fixture's teardown, which runs even after a timeout).
    launched: list[SptRun] = []  # noqa: RUF012 - shared on purpose

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        SptRun.launched.append(self)
        self.started = time.monotonic()
        self.logs: list[dict[str, Any]] = []
        self.exit_code: int | None = None  # set by `stop`
        assert process.stderr is not None
        self._reader = asyncio.create_task(self._read(process.stderr))

    @classmethod
    async def start(cls, env: Mapping[str, str], cwd: Path) -> SptRun:
        """`spt run` with exactly this environment, in `cwd` (no config.toml there)."""
        process = await asyncio.create_subprocess_exec(
            str(SPT), "run", env=dict(env), cwd=cwd,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        return cls(process)

    async def _read(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            try:
                self.logs.append(json.loads(line))
            except json.JSONDecodeError:  # a traceback or a crash before logging was set up
                self.logs.append({"msg": line.decode(errors="replace").rstrip()})

    @property
    def exited(self) -> bool:
        """Whether the process has ended."""
        return self.process.returncode is not None

    def messages(self) -> list[str]:
        """Every log line's message."""
        return [str(entry.get("msg", "")) for entry in self.logs]

    def problems(self) -> list[dict[str, Any]]:
        """Log lines at error level or worse."""
        return [e for e in self.logs if e.get("level") in ("error", "critical")]

    def tail(self, lines: int = 30) -> str:
        """The last log lines, for assertion messages."""
        return "\n".join(json.dumps(entry) for entry in self.logs[-lines:])

    async def wait_until(
        self,
        condition: Callable[[], bool],
        what: str,
        timeout: float,  # noqa: ASYNC109 - each wait has its own deadline
    ) -> bool:
        """Poll `condition` until it holds (True) or `timeout` passes (False); fail if the
        process dies meanwhile."""
        deadline = time.monotonic() + timeout
        while not condition():
            if self.exited:
                await self._reader
                raise AssertionError(f"spt exited ({self.process.returncode}) while waiting "
                                     f"for {what}:\n{self.tail()}")  # fmt: skip
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    async def kill(self) -> None:
        """SIGKILL: no signal handler, no lease given back, no socket closed cleanly."""
        if not self.exited:
            self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        await self._reader

    async def stop(self, timeout: float = 30.0) -> int:  # noqa: ASYNC109 - a bounded wait
        """SIGTERM and wait for the exit status (killed, and failing, if it does not end)."""
        if not self.exited:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            await self.kill()
            raise AssertionError(f"spt did not stop within {timeout} s:\n{self.tail()}") from None
        await self._reader
        self.exit_code = code
        return code


def kill_leftovers() -> None:
    """SIGKILL every `spt run` this test process started that may still run (synchronous:
    the event loop may be gone by then)."""
    while SptRun.launched:
        run = SptRun.launched.pop()
        if run.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(run.process.pid, signal.SIGKILL)
