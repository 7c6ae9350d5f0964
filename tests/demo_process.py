"""A real `spt demo` process for end-to-end tests: started, watched and stopped."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

SPT = Path(sys.executable).with_name("spt")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def fetch(url: str, timeout: float = 5) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def wait(condition: Any, what: str, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = condition()
        except OSError:
            result = None
        if result:
            return result
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Demo:
    """A `spt demo` process and what it said."""

    process: subprocess.Popen[str]
    url: str
    logs: list[str] = field(default_factory=list)
    stdout: list[str] = field(default_factory=list)

    def collect(self) -> None:
        assert self.process.stderr is not None
        assert self.process.stdout is not None
        threading.Thread(target=self._drain, args=(self.process.stderr, self.logs),
                         daemon=True).start()  # fmt: skip
        threading.Thread(target=self._drain, args=(self.process.stdout, self.stdout),
                         daemon=True).start()  # fmt: skip

    @staticmethod
    def _drain(stream: Any, into: list[str]) -> None:
        for line in stream:
            into.append(line.rstrip("\n"))

    def metrics(self) -> dict[str, Any]:
        status, body = fetch(f"{self.url}/metrics")
        assert status == 200
        return {family.name: family for family in text_string_to_metric_families(body)}


@contextlib.contextmanager
def running_demo(
    tmp_path_factory: pytest.TempPathFactory, env_extra: Mapping[str, str]
) -> Iterator[Demo]:
    """`spt demo` on a free side-server port with JSON logs, after its first pass."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPT_")}
    env.update({"SPT_LOGGING__FORMAT": "json",
                "SPT_DATABASE__DATA_DIR": str(tmp_path_factory.mktemp("demo") / "pg"),
                "SPT_SCHEDULE__HEALTH_CHECK_SECONDS": "5"})  # fmt: skip
    env.update(env_extra)  # a test's own settings win
    process = subprocess.Popen(
        [str(SPT), "--sidecar-port", str(port), "demo"], env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path_factory.mktemp("cwd"),
    )  # fmt: skip
    running = Demo(process, f"http://127.0.0.1:{port}")
    running.collect()
    try:
        wait(lambda: any("the pipeline keeps running" in line for line in running.stdout)
             or process.poll() is not None, "the demo's first pass", 240)  # fmt: skip
        assert process.poll() is None, "\n".join(running.logs[-20:])
        yield running
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
