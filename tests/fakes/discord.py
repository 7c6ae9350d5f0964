"""A fake Discord webhook endpoint on loopback (`POST /api/webhooks/{id}/{token}`).

(The bot's REST API and gateway are faked by `tests/fakes/discord_api.py`.)

It checks payloads the way Discord does (at most 10 embeds, the embed limits), answers
`?wait=true` with a message object, sends the rate-limit headers, and can be scripted to
answer 429 (`retry_after` in the body and `Retry-After`) or 5xx, or to hang. It records every
payload.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from typing import Any

from aiohttp import web

from core.alerts.card import (
    DESCRIPTION_MAX,
    EMBED_TOTAL_MAX,
    EMBEDS_PER_MESSAGE,
    FIELD_VALUE_MAX,
    TITLE_MAX,
    embed_size,
)

WEBHOOK_ID, TOKEN = "1234567890", "secret-webhook-token"


class FakeDiscordWebhook:
    """Scriptable webhook endpoint; `payloads` holds every accepted message."""

    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []
        self.requests = 0
        self._script: deque[tuple[int, float, bool]] = deque()
        self.remaining_zero_after_each = False
        self.app = web.Application()
        self.app.router.add_post("/api/webhooks/{id}/{token}", self._post)
        self._runner: web.AppRunner | None = None
        self.url = ""

    def fail_next(self, status: int, retry_after: float = 0.0, is_global: bool = False) -> None:
        """The next request answers `status` (429 carries `retry_after`, maybe global)."""
        self._script.append((status, retry_after, is_global))

    def hang_next(self, seconds: float) -> None:
        """The next request gets no answer for `seconds` (nothing is posted), then a 503."""
        self._script.append((0, seconds, False))

    async def start(self) -> str:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/api/webhooks/{WEBHOOK_ID}/{TOKEN}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _post(self, request: web.Request) -> web.Response:
        self.requests += 1
        if request.match_info["token"] != TOKEN:
            return web.json_response(
                {"message": "Invalid Webhook Token", "code": 50027}, status=401
            )
        if self._script:
            status, retry_after, is_global = self._script.popleft()
            if status == 0:
                await asyncio.sleep(retry_after)
                status = 503
            if status == 429:
                headers = {"Retry-After": str(retry_after)}
                if is_global:
                    headers["X-RateLimit-Global"] = "true"
                return web.json_response(
                    {"message": "You are being rate limited.", "retry_after": retry_after,
                     "global": is_global},
                    status=429, headers=headers,
                )  # fmt: skip
            return web.json_response({"message": "Internal Server Error"}, status=status)
        body = await request.json()
        problem = _invalid(body)
        if problem:
            return web.json_response(
                {"message": "Invalid Form Body", "errors": problem}, status=400
            )
        self.payloads.append(body)
        headers = {"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "4",
                   "X-RateLimit-Reset-After": "0.05"}  # fmt: skip
        if self.remaining_zero_after_each:
            headers["X-RateLimit-Remaining"] = "0"
        wait = request.query.get("wait") == "true"
        message = {"id": str(1000 + len(self.payloads)), "embeds": body["embeds"]}
        return web.json_response(message if wait else None, headers=headers,
                                 status=200 if wait else 204)  # fmt: skip


def _invalid(body: Any) -> str | None:
    embeds = body.get("embeds") if isinstance(body, dict) else None
    if not isinstance(embeds, list) or not embeds or len(embeds) > EMBEDS_PER_MESSAGE:
        return "embeds: 1 to 10 required"
    total = 0
    for item in embeds:
        if (
            len(item.get("title", "")) > TITLE_MAX
            or len(item.get("description", "")) > DESCRIPTION_MAX
        ):
            return "embed title or description too long"
        if any(len(f["value"]) > FIELD_VALUE_MAX for f in item.get("fields", [])):
            return "field value too long"
        total += embed_size(item)
    if total > EMBED_TOTAL_MAX:
        return "embeds exceed 6000 characters"
    json.dumps(body)
    return None


BOT_TOKEN = "fake-bot-token"  # the bot token every fake Discord accepts
