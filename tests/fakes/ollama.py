"""A fake Ollama server on loopback: `/api/chat` (non-streaming) and `/api/tags`.

Scripted like every LLM fake (see `tests.fakes.openai`): `fake.script(text("..."),
status(503), ...)`, then the title heuristic. Errors use Ollama's body, `{"error": "..."}`;
an unknown model is a 404 as on a server that has not pulled it.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.fakes.llm import BODY, Recorded, ScriptedLlmServer, reply_text, title_in
from tests.fakes.llm import tokens as count_tokens

CHAT_PATH = "/api/chat"
TAGS_PATH = "/api/tags"
_CREATED_AT = "2026-01-01T00:00:00.000000Z"


class FakeOllama(ScriptedLlmServer):
    """Ollama's chat and model-list endpoints with the models in `models` pulled."""

    def __init__(self, models: tuple[str, ...] = ("qwen2.5:7b-instruct",)) -> None:
        super().__init__()
        self.models = models
        self.app.router.add_post(CHAT_PATH, self._chat)
        self.app.router.add_get(TAGS_PATH, self._tags)

    @property
    def chats(self) -> list[Recorded]:
        """The chat requests received."""
        return self.chat_requests(CHAT_PATH)

    async def _chat(self, request: web.Request) -> web.Response:
        body = request[BODY]
        problem = _invalid_chat(body)
        if problem is not None:
            return web.json_response({"error": problem}, status=400)
        if body["model"] not in self.models:
            message = f'model "{body["model"]}" not found, try pulling it first'
            return web.json_response({"error": message}, status=404)
        behaviour = self.next_behaviour()
        if behaviour.kind == "status":
            headers = {"Retry-After": behaviour.retry_after} if behaviour.retry_after else {}
            return web.json_response(
                {"error": behaviour.message}, status=behaviour.status, headers=headers
            )
        if behaviour.kind == "stall":
            await self.pause(behaviour.seconds)
        prompt = next((m["content"] for m in body["messages"] if m["role"] == "user"), "")
        content = reply_text(behaviour, title_in(str(prompt)))
        usage = (count_tokens(body["messages"]), count_tokens(content))
        self.usage.append(usage)
        return web.json_response(
            {
                "model": body["model"],
                "created_at": _CREATED_AT,
                "message": {"role": "assistant", "content": content},
                "done_reason": "stop",
                "done": True,
                "total_duration": 1_200_000,
                "load_duration": 100_000,
                "prompt_eval_count": usage[0],
                "prompt_eval_duration": 400_000,
                "eval_count": usage[1],
                "eval_duration": 700_000,
            }
        )

    async def _tags(self, request: web.Request) -> web.Response:
        models = [
            {
                "name": name,
                "model": name,
                "modified_at": _CREATED_AT,
                "size": 4_683_087_332,
                "digest": "sha256:" + "0" * 64,
                "details": {
                    "format": "gguf",
                    "family": "qwen2",
                    "parameter_size": "7.6B",
                    "quantization_level": "Q4_K_M",
                },
            }
            for name in self.models
        ]
        return web.json_response({"models": models})


def _invalid_chat(body: Any) -> str | None:
    if not isinstance(body, dict) or not body.get("model"):
        return "model is required"
    if body.get("stream", True) is not False:
        return "this fake answers only non-streaming requests (stream: false)"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages are required"
    for message in messages:
        if not isinstance(message, dict) or message.get("role") not in (
            "system", "user", "assistant", "tool"
        ):  # fmt: skip
            return "invalid message role"
    fmt = body.get("format")
    if fmt is not None and fmt != "json" and not isinstance(fmt, dict):
        return 'invalid format: expected "json" or a JSON schema'
    return None
