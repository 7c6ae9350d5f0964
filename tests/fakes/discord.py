"""A fake Discord webhook on loopback: Execute Webhook (`POST /api/v10/webhooks/{id}/{token}`)
and Get Webhook with Token (`GET` on the same path), as discord.py's `Webhook` calls them.

(The bot's REST API and gateway are faked by `tests/fakes/discord_api.py`.)

discord.py's `Webhook.from_url` takes only real webhook URLs
(`https://discord.com/api/webhooks/{17-20 digit id}/{60+ character token}`) and sends
to `discord.http.Route.BASE`, so point `discord.api_base_url` at `base_url` and give spt
`url`. It checks payloads the way Discord does (at most 10 embeds, the embed limits),
refuses a request without a `DiscordBot (url, version)` User-Agent, answers `?wait=true`
with a message object, sends the rate-limit headers and `Via` (discord.py takes a 429
without it for a Cloudflare ban), and can be scripted to answer 429 (`retry_after` in the
body and `Retry-After`) or 5xx, or to hang, and can answer `delay` seconds after accepting
a post. It records every payload.
"""

from __future__ import annotations

import asyncio
import json
import re
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

WEBHOOK_ID = "1180000000000000777"
TOKEN = "Wk9" + "x" * 62 + "-_."  # Discord's tokens: 68 characters of [A-Za-z0-9._-]
# https://discord.com/developers/docs/reference#user-agent: "Clients using the HTTP API
# must provide a valid User Agent which specifies information about the client library
# and version in the following format: User-Agent: DiscordBot ($url, $versionNumber)".
# discord.py's own default lacks the comma; Discord accepts it, so the fake only insists
# on the "DiscordBot (" start and a closing parenthesis.
USER_AGENT = re.compile(r"^DiscordBot \([^()\s]+[ ,][^()]*\)")
VIA = {"Via": "1.1 google"}


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly `application/json`, no charset: discord.py parses a body as JSON only then.
    headers = {"Content-Type": "application/json", **(headers or {})}
    return web.Response(body=json.dumps(body).encode(), status=status, headers=headers)


class FakeDiscordWebhook:
    """Scriptable webhook endpoint; `payloads` holds every accepted message."""

    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []
        self.requests = 0
        self.user_agents: list[str] = []
        self._script: deque[tuple[int, float, bool]] = deque()
        self.remaining_zero_after_each = False
        # Seconds an accepted post waits before its answer: the message is stored (and in
        # `payloads`) but the sender has not heard so yet; a sender killed meanwhile posts
        # it again after a restart (webhooks take no idempotency key).
        self.delay = 0.0
        self.app = web.Application()
        path = "/api/v10/webhooks/{id}/{token}"
        self.app.router.add_post(path, self._post)
        self.app.router.add_get(path, self._get)
        self._runner: web.AppRunner | None = None
        self.url = f"https://discord.com/api/webhooks/{WEBHOOK_ID}/{TOKEN}"
        self.base_url = ""

    def fail_next(self, status: int, retry_after: float = 0.0, is_global: bool = False) -> None:
        """The next request answers `status` (429 carries `retry_after`, maybe global)."""
        self._script.append((status, retry_after, is_global))

    def hang_next(self, seconds: float) -> None:
        """The next request gets no answer for `seconds` (nothing is posted), then a 503."""
        self._script.append((0, seconds, False))

    async def start(self) -> str:
        """Listen on loopback; returns `base_url` (what `discord.api_base_url` should be)."""
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}/api/v10"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _refusal(self, request: web.Request) -> web.Response | None:
        agent = request.headers.get("User-Agent", "")
        self.user_agents.append(agent)
        if not USER_AGENT.match(agent):
            return _json(
                {"message": "User-Agent must be 'DiscordBot ($url, $versionNumber)'", "code": 0},
                status=400, headers=VIA,
            )  # fmt: skip
        if request.match_info["id"] != WEBHOOK_ID:
            return _json({"message": "Unknown Webhook", "code": 10015}, status=404,
                                     headers=VIA)  # fmt: skip
        if request.match_info["token"] != TOKEN:
            return _json(
                {"message": "Invalid Webhook Token", "code": 50027}, status=401, headers=VIA
            )
        return None

    async def _get(self, request: web.Request) -> web.Response:
        refused = self._refusal(request)
        if refused is not None:
            return refused
        return _json({"id": WEBHOOK_ID, "type": 1, "token": TOKEN, "name": "deals",
                                  "channel_id": "1180000000000000888", "avatar": None,
                                  "application_id": None}, headers=VIA)  # fmt: skip

    async def _post(self, request: web.Request) -> web.Response:
        self.requests += 1
        refused = self._refusal(request)
        if refused is not None:
            return refused
        if self._script:
            status, retry_after, is_global = self._script.popleft()
            if status == 0:
                await asyncio.sleep(retry_after)
                status = 503
            if status == 429:
                headers = {"Retry-After": str(retry_after), **VIA}
                if is_global:
                    headers["X-RateLimit-Global"] = "true"
                return _json(
                    {"message": "You are being rate limited.", "retry_after": retry_after,
                     "global": is_global},
                    status=429, headers=headers,
                )  # fmt: skip
            return _json({"message": "Internal Server Error"}, status=status,
                                     headers=VIA)  # fmt: skip
        body = await request.json()
        problem = _invalid(body)
        if problem:
            return _json(
                {"message": "Invalid Form Body", "errors": problem}, status=400, headers=VIA
            )
        self.payloads.append(body)
        if self.delay:
            await asyncio.sleep(self.delay)  # accepted, but slow to answer (see `delay`)
        headers = {"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "4",
                   "X-RateLimit-Reset-After": "0.05", **VIA}  # fmt: skip
        if self.remaining_zero_after_each:
            headers["X-RateLimit-Remaining"] = "0"
        # Discord reads query booleans as "true"/"True"/"1" (discord.py sends wait=1).
        wait = request.query.get("wait") in ("true", "True", "1")
        message = {"id": str(1180000000000001000 + len(self.payloads)), "type": 0,
                   "channel_id": "1180000000000000888", "content": "", "embeds": body["embeds"],
                   "attachments": [], "mentions": [], "mention_roles": [], "pinned": False,
                   "mention_everyone": False, "tts": False,
                   "timestamp": "2026-12-03T00:00:00+00:00",
                   "edited_timestamp": None, "flags": 0, "components": [],
                   "webhook_id": WEBHOOK_ID,
                   "author": {"id": WEBHOOK_ID, "username": "deals", "avatar": None,
                              "discriminator": "0000", "bot": True}}  # fmt: skip
        if not wait:
            return web.Response(status=204, headers=headers)
        return _json(message, headers=headers)


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
