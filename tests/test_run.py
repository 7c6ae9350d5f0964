"""`spt run` as a process: starts, migrates, hot-reloads its config file, stops on SIGTERM."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

SPT = Path(sys.executable).with_name("spt")


class Process:
    """A running `spt` whose JSON log lines are collected from stderr."""

    def __init__(self, args: list[str]) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SPT_")}
        env["SPT_LOGGING__FORMAT"] = "json"
        self.proc = subprocess.Popen(
            [str(SPT), *args], env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
        )
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            try:
                self.lines.put(json.loads(line))
            except json.JSONDecodeError:
                self.lines.put({"msg": line.rstrip()})

    def wait_for(self, text: str, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                entry = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            self.seen.append(entry)
            if text in entry.get("msg", ""):
                return entry
        raise AssertionError(f"never logged {text!r}; saw {[e.get('msg') for e in self.seen]}")


def test_run_hot_reloads_and_stops_cleanly(empty_database_url: str, tmp_path: Path) -> None:
    config = tmp_path / "spt.toml"
    config.write_text('[logging]\nlevel = "INFO"\n[sidecar]\nport = 0\n', encoding="utf-8")
    spt = Process(["--config", str(config), "--database-url", empty_database_url, "run"])
    try:
        spt.wait_for("applied migration 001_initial")
        started = spt.wait_for("spt running headless")
        assert started["level"] == "info"
        spt.wait_for("watching")

        # The watcher may still be arming itself after logging "watching": save until seen.
        for _attempt in range(10):
            tmp = config.with_name(".spt.toml.tmp")
            tmp.write_text('[logging]\nlevel = "DEBUG"\n[sidecar]\nport = 9500\n', encoding="utf-8")
            os.replace(tmp, config)
            try:
                restart = spt.wait_for("needs a restart", timeout=2)
                break
            except AssertionError:
                continue
        else:
            raise AssertionError("the config edit was never noticed")
        assert "sidecar.port" in restart["msg"]
        reloaded = spt.wait_for("config reloaded")
        assert "logging.level 'INFO' -> 'DEBUG'" in reloaded["msg"]

        config.write_text("[logging\n", encoding="utf-8")
        rejected = spt.wait_for("config reload rejected")
        assert rejected["level"] == "error"

        spt.proc.send_signal(signal.SIGTERM)
        assert spt.proc.wait(timeout=30) == 0
        spt.wait_for("shutting down")
    finally:
        if spt.proc.poll() is None:
            spt.proc.kill()
