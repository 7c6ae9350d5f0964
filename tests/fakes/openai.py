"""A fake OpenAI-compatible server on loopback (`/v1/chat/completions`, `/v1/models`)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.fakes.llm import (
    BODY,
    Recorded,
    ScriptedLlmServer,
    reply_text,
    title_in,
    tokens,
)

CHAT_PATH = "/v1/chat/completions"
MODELS_PATH = "/v1/models"


class FakeOpenAi(ScriptedLlmServer):
    """`/v1/chat/completions` and `/v1/models` as OpenAI serves them.

    With `api_key` set, requests need `Authorization: Bearer <key>`. A `json_schema`
    response format with `strict: true` must be strict-compatible (every property
    required, `additionalProperties: false`), as OpenAI checks before answering.
    """

    def __init__(self, model: str = "gpt-4o-mini", api_key: str | None = None) -> None:
        super().__init__()
        self.model = model
        self.api_key = api_key
        self.app.router.add_post(CHAT_PATH, self._chat)
        self.app.router.add_get(MODELS_PATH, self._models)

    @property
    def chats(self) -> list[Recorded]:
        """The chat completion requests received."""
        return self.chat_requests(CHAT_PATH)

    async def _chat(self, request: web.Request) -> web.Response:
        if (refused := self._unauthorised(request)) is not None:
            return refused
        body = request[BODY]
        problem = _invalid_chat(body)
        if problem is not None:
            return _error(400, problem, "invalid_request_error")
        behaviour = self.next_behaviour()
        if behaviour.kind == "status":
            return _error(behaviour.status, behaviour.message, _error_type(behaviour.status),
                          behaviour.retry_after)  # fmt: skip
        if behaviour.kind == "stall":
            await self.pause(behaviour.seconds)
        prompt = next((m["content"] for m in body["messages"] if m["role"] == "user"), "")
        content = reply_text(behaviour, title_in(str(prompt)))
        usage = (tokens(body["messages"]), tokens(content))
        self.usage.append(usage)
        return web.json_response(
            {
                "id": f"chatcmpl-{len(self.requests)}",
                "object": "chat.completion",
                "created": 1767225600,
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content, "refusal": None},
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": usage[0],
                    "completion_tokens": usage[1],
                    "total_tokens": sum(usage),
                },
            }
        )

    async def _models(self, request: web.Request) -> web.Response:
        if (refused := self._unauthorised(request)) is not None:
            return refused
        model = {"id": self.model, "object": "model", "created": 1767225600, "owned_by": "fake"}
        return web.json_response({"object": "list", "data": [model]})

    def _unauthorised(self, request: web.Request) -> web.Response | None:
        if self.api_key is None or request.headers.get("Authorization") == f"Bearer {self.api_key}":
            return None
        return _error(401, "Incorrect API key provided.", "invalid_request_error",
                      code="invalid_api_key")  # fmt: skip


def _invalid_chat(body: Any) -> str | None:
    if not isinstance(body, dict) or not isinstance(body.get("model"), str):
        return "you must provide a model parameter"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "'messages' must contain at least one message"
    for message in messages:
        if not isinstance(message, dict) or message.get("role") not in (
            "system", "user", "assistant", "developer"
        ):  # fmt: skip
            return "Invalid value for 'messages': each needs a valid 'role'"
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        spec = fmt.get("json_schema") or {}
        if spec.get("strict"):
            missing = _strict_problem(spec.get("schema"), ())
            if missing:
                return f"Invalid schema for response_format '{spec.get('name')}': {missing}"
    return None


def _strict_problem(schema: Any, where: tuple[str, ...]) -> str | None:
    """What strict mode refuses in `schema`: objects must require every key, allow no more."""
    if isinstance(schema, list):
        return next((p for s in schema if (p := _strict_problem(s, where))), None)
    if not isinstance(schema, dict):
        return None
    if schema.get("type") == "object":
        properties = schema.get("properties", {})
        if schema.get("additionalProperties") is not False:
            return f"In context={where}, 'additionalProperties' is required to be false"
        missing = [k for k in properties if k not in (schema.get("required") or [])]
        if missing:
            return (
                f"In context={where}, 'required' is required to be supplied and to be an "
                f"array including every key in properties. Missing '{missing[0]}'."
            )
    children: list[tuple[Any, tuple[str, ...]]] = []
    for key, value in schema.items():
        if key == "properties":
            children += [(sub, (*where, key, name)) for name, sub in value.items()]
        else:
            children.append((value, (*where, key)))
    return next((p for child, at in children if (p := _strict_problem(child, at))), None)


def _error_type(code: int) -> str:
    if code == 429:
        return "rate_limit_exceeded"
    return "server_error" if code >= 500 else "invalid_request_error"


def _error(
    http_status: int,
    message: str,
    kind: str,
    retry_after: str | None = None,
    code: str | None = None,
) -> web.Response:
    """OpenAI's error body: `{"error": {"message", "type", "param", "code"}}`."""
    headers = {"Retry-After": retry_after} if retry_after else {}
    error = {"message": message, "type": kind, "param": None, "code": code}
    return web.json_response({"error": error}, status=http_status, headers=headers)
