"""A fake Anthropic API on loopback: `/v1/messages` (non-streaming) and `/v1/models`.

Scripted like every LLM fake (see `tests.fakes.openai`). An answer comes back as the
forced tool's `tool_use` block; `text(...)` answers with a text block instead, the
closest a real model gets to "not JSON". Requests are checked as API version 2026-10-21
(the one SDK 2.x sends) checks them: an API key, `max_tokens`, no sampling parameters,
the forced tool defined, and every `tool_use` answered by a `tool_result` right after.
Errors use the API's body, `{"type": "error", "error": {"type", "message"}}`.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.fakes.llm import (
    BODY,
    Recorded,
    ScriptedLlmServer,
    guess_answer,
    title_in,
    tokens,
)

MESSAGES_PATH = "/v1/messages"
MODELS_PATH = "/v1/models"
SAMPLING = ("temperature", "top_p", "top_k")
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}


class FakeAnthropic(ScriptedLlmServer):
    """The Messages and Models endpoints for one API key and the models in `models`."""

    def __init__(
        self, api_key: str = "sk-ant-test", models: tuple[str, ...] = ("claude-haiku-4-5",)
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.models = models
        self.app.router.add_post(MESSAGES_PATH, self._messages)
        self.app.router.add_get(MODELS_PATH, self._models)

    @property
    def chats(self) -> list[Recorded]:
        """The Messages requests received."""
        return self.chat_requests(MESSAGES_PATH)

    async def _messages(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return _error(401, "invalid x-api-key")
        body = request[BODY]
        problem = _invalid_request(body, request.headers.get("anthropic-version"))
        if problem is not None:
            return _error(400, problem)
        if body["model"] not in self.models:
            return _error(404, f"model: {body['model']}")
        behaviour = self.next_behaviour()
        if behaviour.kind == "status":
            return _error(behaviour.status, behaviour.message, behaviour.retry_after)
        if behaviour.kind == "stall":
            await self.pause(behaviour.seconds)
        if behaviour.kind == "text":
            content: list[dict[str, Any]] = [{"type": "text", "text": behaviour.text}]
            stop_reason = "end_turn"
        else:
            value = behaviour.answer if behaviour.kind == "answer" else self._guess(body)
            tool = body.get("tool_choice", {}).get("name") or body["tools"][0]["name"]
            block_id = f"toolu_{len(self.requests):024d}"
            content = [{"type": "tool_use", "id": block_id, "name": tool, "input": value}]
            stop_reason = "tool_use"
        usage = (tokens([body.get("system"), body["messages"], body.get("tools")]), tokens(content))
        self.usage.append(usage)
        return web.json_response(
            {
                "id": f"msg_{len(self.requests):024d}",
                "type": "message",
                "role": "assistant",
                "model": body["model"],
                "content": content,
                "stop_reason": stop_reason,
                "stop_sequence": None,
                "usage": {
                    "input_tokens": usage[0],
                    "output_tokens": usage[1],
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0,
                },
            },
            headers={"request-id": f"req_{len(self.requests):024d}"},
        )

    async def _models(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return _error(401, "invalid x-api-key")
        data = [
            {"type": "model", "id": m, "display_name": m, "created_at": "2025-10-15T00:00:00Z"}
            for m in self.models
        ]
        return web.json_response(
            {"data": data, "has_more": False, "first_id": data[0]["id"], "last_id": data[-1]["id"]}
        )

    def _authorised(self, request: web.Request) -> bool:
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        return self.api_key in (request.headers.get("x-api-key"), bearer)

    @staticmethod
    def _guess(body: dict[str, Any]) -> dict[str, Any]:
        first = body["messages"][0]["content"]
        if isinstance(first, list):
            first = " ".join(b.get("text", "") for b in first if isinstance(b, dict))
        return guess_answer(title_in(str(first)))


def _invalid_request(body: Any, version: str | None) -> str | None:
    """The API's 400 message for a malformed Messages request, or None."""
    if version is None:
        return "anthropic-version: header is required"
    if not isinstance(body, dict):
        return "request body must be a JSON object"
    if not isinstance(body.get("max_tokens"), int):
        return "max_tokens: Field required"
    if version >= "2026-10-21":
        for name in SAMPLING:
            if name in body:
                return f"{name}: Extra inputs are not permitted"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    if messages[0].get("role") != "user" or messages[-1].get("role") != "user":
        return "messages: the first and the last message must have role `user`"
    return _tool_problem(body) or _pairing_problem(messages)


def _tool_problem(body: dict[str, Any]) -> str | None:
    names = [t.get("name") for t in body.get("tools", [])]
    for tool in body.get("tools", []):
        if tool.get("input_schema", {}).get("type") != "object":
            return f"tools.{names.index(tool['name'])}.input_schema.type: must be 'object'"
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") == "tool" and choice["name"] not in names:
        return f"tool_choice.name: Tool '{choice['name']}' not found in tools"
    return None


def _pairing_problem(messages: list[dict[str, Any]]) -> str | None:
    """Every tool_use must be answered by tool_result blocks in the very next message."""
    for index, message in enumerate(messages):
        content = message.get("content")
        blocks = content if isinstance(content, list) else []
        if not content:
            return f"messages.{index}: all messages must have non-empty content"
        if message.get("role") != "assistant":
            continue
        used = {b["id"] for b in blocks if b.get("type") == "tool_use"}
        if not used:
            continue
        following = messages[index + 1].get("content") if index + 1 < len(messages) else None
        answered = {
            b.get("tool_use_id")
            for b in (following if isinstance(following, list) else [])
            if b.get("type") == "tool_result"
        }
        if used - answered:
            return (
                f"messages.{index + 1}: `tool_use` ids were found without `tool_result` blocks "
                f"immediately after: {', '.join(sorted(used - answered))}. Each `tool_use` "
                "block must have a corresponding `tool_result` block in the next message."
            )
    return None


def _error(status: int, message: str, retry_after: str | None = None) -> web.Response:
    kind = _ERROR_TYPES.get(status, "api_error")
    headers = {"request-id": "req_error"}
    if retry_after:
        headers["retry-after"] = retry_after
    return web.json_response(
        {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_error"},
        status=status,
        headers=headers,
    )
