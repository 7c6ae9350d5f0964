"""Anthropic through its official SDK: one forced tool call whose input is the answer.

The SDK's own retries are off (`max_retries=0`): `core.resilience` does retries, so the
breaker and the metrics see every attempt. No temperature is sent: SDK 2.x speaks API
version 2026-10-21, which removed the sampling parameters (the API answers 400 to any of
them, even 1.0); the forced tool call and its schema are what keep the answer stable.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, cast

import anthropic
from anthropic.types import MessageParam, ToolParam
from purgatory import AsyncCircuitBreakerFactory

from core.extract.llm.base import ChatBackend, Message, Reply
from core.extract.llm.policy import llm_policy, ping_policy
from core.extract.llm.prompt import TOOL_NAME, repair_message, system_prompt, user_message
from core.extract.schemas import llm_json_schema
from core.models import Marketplace
from core.resilience import BadResponseError, PermanentError, RetryableError, check_status
from core.settings import Settings

SERVICE = "anthropic"
DEFAULT_BASE_URL = "https://api.anthropic.com"
MAX_TOKENS = 1024  # an answer is a few hundred tokens; this only bounds a runaway reply
_HOW_TO_ANSWER = f"Answer by calling the {TOOL_NAME} tool once."


class AnthropicBackend(ChatBackend):
    """Extraction with Claude (a Haiku model by default) over the Messages API."""

    def __init__(
        self, settings: Callable[[], Settings], breakers: AsyncCircuitBreakerFactory
    ) -> None:
        llm = settings().llm
        if llm.anthropic_api_key is None:
            raise ValueError("llm.anthropic_api_key is not set")
        super().__init__(
            SERVICE,
            llm.anthropic_model,
            settings,
            llm_policy(SERVICE, settings, breakers),
            ping_policy(SERVICE, settings, breakers),
        )
        self._tool = cast(
            "ToolParam",
            {
                "name": TOOL_NAME,
                "description": "Record the attributes read from the listing title.",
                "input_schema": llm_json_schema(),
            },
        )
        # An explicit base URL keeps spt's settings the only source (the SDK would
        # otherwise read ANTHROPIC_BASE_URL).
        self._client = anthropic.AsyncAnthropic(
            api_key=llm.anthropic_api_key.get_secret_value(),
            base_url=llm.anthropic_base_url or DEFAULT_BASE_URL,
            max_retries=0,
            timeout=llm.timeout_seconds,
        )
        self._system = system_prompt(_HOW_TO_ANSWER)

    def _start(self, title: str, marketplace: Marketplace | None) -> list[Message]:
        return [{"role": "user", "content": user_message(title, marketplace)}]

    async def _ask(self, messages: list[Message]) -> Reply:
        async with _service_errors():
            response = await self._client.messages.create(
                model=self.model,
                max_tokens=MAX_TOKENS,
                system=self._system,
                messages=cast("list[MessageParam]", messages),
                tools=[self._tool],
                tool_choice={"type": "tool", "name": TOOL_NAME, "disable_parallel_tool_use": True},
            )
        answer: str | dict[str, Any] | None = None
        blocks: list[dict[str, Any]] = []
        texts: list[str] = []
        for block in response.content:
            if block.type == "tool_use":
                blocks.append(
                    {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
                )
                if block.name == TOOL_NAME and answer is None:
                    answer = block.input
            elif block.type == "text" and block.text:
                blocks.append({"type": "text", "text": block.text})
                texts.append(block.text)
        if answer is None and texts:
            answer = "\n".join(texts)  # not a tool call: validation refuses it, repair asks again
        if not blocks:  # the API refuses an empty assistant turn in the repair conversation
            blocks.append({"type": "text", "text": "(no answer)"})
        return Reply(
            answer=answer,
            tokens_in=response.usage.input_tokens,
            tokens_out=response.usage.output_tokens,
            turn={"role": "assistant", "content": blocks},
        )

    def _repair(self, reply: Reply, reason: str) -> list[Message]:
        text = repair_message(reason)
        # Every tool_use must be answered by a tool_result in the next user turn.
        results = [
            {"type": "tool_result", "tool_use_id": block["id"], "is_error": True, "content": text}
            for block in reply.turn["content"]
            if block["type"] == "tool_use"
        ]
        return [reply.turn, {"role": "user", "content": results or text}]

    async def _ping(self) -> None:
        async with _service_errors():
            await self._client.models.list(limit=1)

    async def aclose(self) -> None:
        """Close the SDK's connection pool."""
        await self._client.close()


@asynccontextmanager
async def _service_errors() -> AsyncIterator[None]:
    """Translate SDK exceptions into core.resilience errors."""
    try:
        yield
    except anthropic.APITimeoutError as exc:
        raise RetryableError(SERVICE, "timed out") from exc
    except anthropic.APIConnectionError as exc:
        raise RetryableError(SERVICE, f"connection failed: {exc.message}") from exc
    except anthropic.APIStatusError as exc:
        # 429 (with retry-after), 408 and 5xx (529 overloaded too) retry; other 4xx do not.
        detail = exc.api_message or exc.message
        check_status(SERVICE, exc.status_code, exc.response.headers, detail)
        raise PermanentError(SERVICE, detail, exc.status_code) from exc
    except anthropic.AnthropicError as exc:
        raise BadResponseError(SERVICE, f"unreadable response ({exc})") from exc
