"""The scripting every LLM fake shares (`tests.fakes.ollama`, `.anthropic`, `.openai`).

Every LLM fake answers chat
requests from a queue of canned behaviours, then falls back to `guess()`: a tiny keyword
heuristic that reads the title out of the `<title>` block and answers something plausible.
Each fake records every request it got (path, headers, JSON body) for tests to inspect,
and rejects malformed requests the way the real API does.

    fake.script(text("not json"), answer({...}), status(503), rate_limited(0.2), stall(5))
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections import deque
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import web

Kind = Literal["guess", "answer", "text", "status", "stall"]


@dataclass(frozen=True)
class Behaviour:
    """What a fake does with one chat request."""

    kind: Kind
    answer: dict[str, Any] | None = None  # for "answer"
    text: str = ""  # for "text"
    status: int = 200  # for "status"
    message: str = ""  # the error message for "status"
    retry_after: str | None = None  # Retry-After header for "status"
    seconds: float = 0.0  # for "stall"


def guess() -> Behaviour:
    """Answer from the title with the keyword heuristic (the default)."""
    return Behaviour("guess")


def answer(value: dict[str, Any]) -> Behaviour:
    """Answer with exactly this object (schema-valid or not)."""
    return Behaviour("answer", answer=value)


def text(value: str) -> Behaviour:
    """Answer with this raw text instead of a JSON object (or tool call)."""
    return Behaviour("text", text=value)


def status(code: int, message: str = "injected failure") -> Behaviour:
    """Fail with this HTTP status and the API's error body."""
    return Behaviour("status", status=code, message=message)


def rate_limited(retry_after: float) -> Behaviour:
    """Fail with 429 and `Retry-After: <seconds>`."""
    return Behaviour("status", status=429, message="rate limited", retry_after=f"{retry_after:g}")


def stall(seconds: float) -> Behaviour:
    """Wait `seconds` (or until the fake stops), then answer with the guess."""
    return Behaviour("stall", seconds=seconds)


@dataclass(frozen=True)
class Recorded:
    """One request a fake received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


BODY: web.RequestKey[Any] = web.RequestKey("body", object)  # the parsed JSON, for handlers
_TITLE = re.compile(r"<title>\n(.*?)\n</title>", re.DOTALL)


def title_in(prompt: str) -> str | None:
    """The title inside the user message's delimited block, if there is one."""
    found = _TITLE.search(prompt)
    return found.group(1) if found else None


def guess_answer(title: str | None) -> dict[str, Any]:
    """A plausible, schema-valid answer from a few keywords; `other` when nothing matches."""
    t = (title or "").lower()
    out: dict[str, Any] = {"component_type": "other", "confidence": 0.6, "quantity": 1}
    gb = re.search(r"(\d+)\s*gb\b", t)
    if ddr := re.search(r"\bddr([345])\b", t):
        out |= {"component_type": "ram", "generation": f"DDR{ddr.group(1)}"}
        out |= {"ecc": "ecc" in t, "registered": bool(re.search(r"\b(rdimm|lrdimm|reg)", t))}
        if gb:
            out["capacity_gb"] = int(gb.group(1))
    elif re.search(r"\b(ssd|hdd|nvme)\b", t):
        out |= {"component_type": "drive", "media": "HDD" if "hdd" in t else "SSD"}
        out["interface"] = next((i for i in ("SAS", "SATA", "NVMe") if i.lower() in t), None)
        if tb := re.search(r"(\d+(?:\.\d+)?)\s*tb\b", t):
            out["capacity_gb"] = int(float(tb.group(1)) * 1000)
        elif gb:
            out["capacity_gb"] = int(gb.group(1))
    elif cpu := re.search(r"\b(xeon|epyc)\b", t):
        family = cpu.group(1)
        out |= {"component_type": "cpu", "family": family}
        out["manufacturer"] = "intel" if family == "xeon" else "amd"
    elif server := re.search(r"\b(poweredge|proliant)\s+(\w+)", t):
        out |= {"component_type": "server", "model": server.group(2)}
        out["manufacturer"] = "dell" if server.group(1) == "poweredge" else "hpe"
    if "for parts" in t:
        out["condition"] = "for_parts"
    return out


def reply_text(behaviour: Behaviour, title: str | None) -> str:
    """The assistant text for an answering behaviour: JSON, or the scripted raw text."""
    if behaviour.kind == "answer":
        return json.dumps(behaviour.answer)
    if behaviour.kind == "text":
        return behaviour.text
    return json.dumps(guess_answer(title))


def tokens(value: Any) -> int:
    """A deterministic stand-in for a token count: about four characters a token."""
    return max(1, len(json.dumps(value)) // 4)


class ScriptedLlmServer:
    """The lifecycle, request log and behaviour queue of an LLM fake."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.usage: list[tuple[int, int]] = []  # (input, output) per answered chat request
        self.base_url = ""
        self._script: deque[Behaviour] = deque()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.app = web.Application(middlewares=[self._record])

    def script(self, *behaviours: Behaviour) -> None:
        """Queue behaviours for the next chat requests, in order."""
        self._script.extend(behaviours)

    def next_behaviour(self) -> Behaviour:
        """The next queued behaviour, or the guess once the queue is empty."""
        return self._script.popleft() if self._script else guess()

    def chat_requests(self, path: str) -> list[Recorded]:
        """The recorded requests to `path`."""
        return [r for r in self.requests if r.path == path]

    async def pause(self, seconds: float) -> None:
        """Sleep for a stall, cut short when the fake stops."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

    async def start(self) -> str:
        """Listen on 127.0.0.1 on a free port; returns the base URL."""
        # A stalled handler is cancelled as soon as the client hangs up, as a real server's is.
        runner = web.AppRunner(self.app, access_log=None, handler_cancellation=True)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        self._runner = runner
        host, port = runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        return self.base_url

    async def stop(self) -> None:
        """Release stalled handlers and stop listening; safe to call twice."""
        self._closing.set()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        self.requests.append(Recorded(request.method, request.path, dict(request.headers), body))
        request[BODY] = body
        response: web.StreamResponse = await handler(request)
        return response


# --- the OpenAI-compatible fake --------------------------------------------------------------
