"""A fake ntfy server on loopback, as Apprise's `ntfy://` plugin publishes to it.

ntfy's publish API (https://docs.ntfy.sh/publish/): `POST /` with a JSON object naming
the `topic` (Apprise's way; https://docs.ntfy.sh/publish/#publish-as-json), or `POST`/`PUT
/{topic}` with the message as the body and `X-Title` and friends as headers. A stored
message is answered `200` with ntfy's message object; an error with ntfy's error object
(`{"code": 50001, "http": 500, "error": ...}`). With `token` set, a request without
`Authorization: Bearer <token>` is refused 401 as ntfy's access control does. It can be
scripted to answer an error or to hang (then 503, nothing stored) for the next request,
or for every request to one topic. It records every stored message with its headers.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Published:
    """One message ntfy stored."""

    topic: str
    title: str
    message: str
    headers: dict[str, str] = field(default_factory=dict)


def _error(status: int, text: str) -> web.Response:
    body = {"code": status * 100 + 1, "http": status, "error": text,
            "link": "https://docs.ntfy.sh/publish/"}  # fmt: skip
    return web.json_response(body, status=status)


class FakeNtfy:
    """Scriptable ntfy server; `messages` holds every stored message."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token
        self.messages: list[Published] = []
        self.requests = 0
        self._script: deque[tuple[int, float]] = deque()
        self.failing_topics: dict[str, int] = {}
        self.app = web.Application()
        self.app.router.add_post("/", self._publish_json)
        self.app.router.add_route("POST", "/{topic}", self._publish_topic)
        self.app.router.add_route("PUT", "/{topic}", self._publish_topic)
        self._runner: web.AppRunner | None = None
        self.port = 0

    def url(self, topic: str, query: str = "") -> str:
        """The Apprise URL of a topic on this server (`ntfy://` is plain HTTP)."""
        auth = f"{self.token}@" if self.token else ""
        return f"ntfy://{auth}127.0.0.1:{self.port}/{topic}" + (f"?{query}" if query else "")

    def fail_next(self, status: int) -> None:
        """The next request is answered `status`, nothing stored."""
        self._script.append((status, 0.0))

    def hang_next(self, seconds: float) -> None:
        """The next request gets no answer for `seconds`, then a 503; nothing is stored."""
        self._script.append((503, seconds))

    def on(self, topic: str) -> list[Published]:
        return [m for m in self.messages if m.topic == topic]

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _publish_json(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            data = json.loads(raw)
        except ValueError:
            return _error(400, "invalid request: request body must be message JSON")
        if not isinstance(data, dict) or not isinstance(data.get("topic"), str):
            return _error(400, "invalid request: topic invalid")
        return await self._store(request, data["topic"], str(data.get("title", "")),
                                 str(data.get("message", "")))  # fmt: skip

    async def _publish_topic(self, request: web.Request) -> web.Response:
        body = (await request.read()).decode()
        title = request.headers.get("X-Title") or request.headers.get("Title") or ""
        return await self._store(request, request.match_info["topic"], title, body)

    async def _store(
        self, request: web.Request, topic: str, title: str, message: str
    ) -> web.Response:
        self.requests += 1
        if self.token is not None:
            given = request.headers.get("Authorization", "")
            if given != f"Bearer {self.token}":
                return _error(401, "unauthorized")
        if self._script:
            status, hang = self._script.popleft()
            if hang:
                await asyncio.sleep(hang)
            return _error(status, "scripted failure")
        if topic in self.failing_topics:
            return _error(self.failing_topics[topic], "scripted failure for this topic")
        self.messages.append(Published(topic, title, message, dict(request.headers)))
        answer: dict[str, Any] = {"id": f"m{len(self.messages)}", "time": int(time.time()),
                                  "expires": int(time.time()) + 43200, "event": "message",
                                  "topic": topic, "title": title, "message": message}  # fmt: skip
        return web.json_response(answer)
