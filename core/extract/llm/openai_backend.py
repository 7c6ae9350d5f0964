"""Any OpenAI-compatible server (OpenAI, vLLM, llama.cpp, LM Studio...) over the shared
aiohttp session: `/chat/completions` with a strict `json_schema` response format."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiohttp
from purgatory import AsyncCircuitBreakerFactory

from core.extract.llm.base import ChatBackend, Message, Reply
from core.extract.llm.policy import llm_policy, ping_policy
from core.extract.llm.prompt import repair_message, system_prompt, user_message
from core.extract.llm.strict_schema import strict_schema
from core.extract.schemas import llm_json_schema
from core.models import Marketplace
from core.resilience import BadResponseError, check_status, json_object
from core.settings import Settings

SERVICE = "openai_compat"
SCHEMA_NAME = "listing_attributes"
_HOW_TO_ANSWER = "Reply with only the JSON object the response format describes."


class OpenAiCompatBackend(ChatBackend):
    """Extraction with a server speaking OpenAI's Chat Completions API."""

    def __init__(
        self,
        settings: Callable[[], Settings],
        session: aiohttp.ClientSession,
        breakers: AsyncCircuitBreakerFactory,
    ) -> None:
        super().__init__(
            SERVICE,
            settings().llm.openai_model,
            settings,
            llm_policy(SERVICE, settings, breakers),
            ping_policy(SERVICE, settings, breakers),
        )
        self._session = session
        self._response_format = {
            "type": "json_schema",
            "json_schema": {
                "name": SCHEMA_NAME,
                "schema": strict_schema(llm_json_schema()),
                "strict": True,
            },
        }

    def _start(self, title: str, marketplace: Marketplace | None) -> list[Message]:
        return [
            {"role": "system", "content": system_prompt(_HOW_TO_ANSWER)},
            {"role": "user", "content": user_message(title, marketplace)},
        ]

    async def _ask(self, messages: list[Message]) -> Reply:
        body = {
            "model": self.model,
            "messages": messages,
            "temperature": 0,
            "response_format": self._response_format,
        }
        async with self._session.post(
            self._url("/chat/completions"), json=body, headers=self._headers()
        ) as response:
            text = await response.text()
            check_status(SERVICE, response.status, response.headers, text)
        return _reply(json_object(SERVICE, text, "chat completion"))

    def _repair(self, reply: Reply, reason: str) -> list[Message]:
        return [reply.turn, {"role": "user", "content": repair_message(reason)}]

    async def _ping(self) -> None:
        async with self._session.get(self._url("/models"), headers=self._headers()) as response:
            check_status(SERVICE, response.status, response.headers, await response.text())

    async def aclose(self) -> None:
        """Nothing to release: the aiohttp session belongs to the composition root."""

    def _url(self, path: str) -> str:
        return self._settings().llm.openai_base_url.rstrip("/") + path

    def _headers(self) -> dict[str, str]:
        key = self._settings().llm.openai_api_key
        return {"Authorization": f"Bearer {key.get_secret_value()}"} if key else {}


def _reply(data: dict[str, Any]) -> Reply:
    """The first choice's content and the usage counts of a chat completion."""
    choices = data.get("choices")
    first = choices[0] if isinstance(choices, list) and choices else None
    message = first.get("message") if isinstance(first, dict) else None
    if not isinstance(message, dict):
        raise BadResponseError(SERVICE, "chat completion has no choices[0].message")
    # A refusal (OpenAI's structured-output field) fails validation like any other prose.
    said = next(
        (v for v in (message.get("content"), message.get("refusal")) if isinstance(v, str) and v),
        None,
    )
    usage = data.get("usage")
    counts: dict[str, Any] = usage if isinstance(usage, dict) else {}
    return Reply(
        answer=said,
        tokens_in=_count(counts.get("prompt_tokens")),
        tokens_out=_count(counts.get("completion_tokens")),
        turn={"role": "assistant", "content": said or "(no answer)"},
    )


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
