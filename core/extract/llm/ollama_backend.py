"""Ollama through its official client: `/api/chat` with the answer's JSON Schema as `format`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import ollama
from purgatory import AsyncCircuitBreakerFactory
from pydantic import ValidationError

from core.extract.llm.base import ChatBackend, Message, Reply
from core.extract.llm.policy import llm_policy, ping_policy
from core.extract.llm.prompt import repair_message, system_prompt, user_message
from core.extract.schemas import llm_json_schema
from core.models import Marketplace
from core.resilience import (
    BadResponseError,
    PermanentError,
    RetryableError,
    ServiceError,
    check_status,
)
from core.settings import Settings

SERVICE = "ollama"
_HOW_TO_ANSWER = "Reply with only the JSON object the response format describes."


class OllamaBackend(ChatBackend):
    """Extraction with a local or remote Ollama server."""

    def __init__(
        self, settings: Callable[[], Settings], breakers: AsyncCircuitBreakerFactory
    ) -> None:
        llm = settings().llm
        super().__init__(
            SERVICE,
            llm.ollama_model,
            settings,
            llm_policy(SERVICE, settings, breakers),
            ping_policy(SERVICE, settings, breakers),
        )
        self._schema = llm_json_schema()
        self._client = ollama.AsyncClient(
            host=llm.ollama_url,
            timeout=llm.timeout_seconds,
            # ollama.ResponseError drops the headers, and with them Retry-After.
            event_hooks={"response": [_raise_for_status]},
        )

    def _start(self, title: str, marketplace: Marketplace | None) -> list[Message]:
        return [
            {"role": "system", "content": system_prompt(_HOW_TO_ANSWER)},
            {"role": "user", "content": user_message(title, marketplace)},
        ]

    async def _ask(self, messages: list[Message]) -> Reply:
        async with _service_errors():
            response = await self._client.chat(
                model=self.model,
                messages=messages,
                format=self._schema,
                options={"temperature": 0},
                stream=False,
            )
        content = response.message.content
        return Reply(
            answer=content,
            tokens_in=response.prompt_eval_count,
            tokens_out=response.eval_count,
            turn={"role": "assistant", "content": content or ""},
        )

    def _repair(self, reply: Reply, reason: str) -> list[Message]:
        return [reply.turn, {"role": "user", "content": repair_message(reason)}]

    async def _ping(self) -> None:
        async with _service_errors():
            await self._client.list()

    async def model_available(self) -> bool | None:
        """Whether `ollama pull` fetched the model (`qwen2.5:7b` and `qwen2.5:7b:latest`
        name one; a bare name means its `latest` tag)."""
        try:
            async with _service_errors():
                listed = await self._client.list()
        except ServiceError:
            return None
        wanted = self.model if ":" in self.model else f"{self.model}:latest"
        return any(m.model in (self.model, wanted) for m in listed.models)

    async def aclose(self) -> None:
        """Close the client's connection pool."""
        await self._client.close()  # type: ignore[no-untyped-call]  # untyped in ollama 0.6


async def _raise_for_status(response: httpx.Response) -> None:
    """Classify an error status with its headers, before the client discards them."""
    if response.status_code < 400:
        return
    await response.aread()
    check_status(SERVICE, response.status_code, response.headers, response.text)


@asynccontextmanager
async def _service_errors() -> AsyncIterator[None]:
    """Translate the client's exceptions into core.resilience errors."""
    try:
        yield
    except ollama.ResponseError as exc:
        check_status(SERVICE, exc.status_code, {}, str(exc.error))
        raise PermanentError(SERVICE, str(exc), exc.status_code) from exc
    except ollama.RequestError as exc:
        raise PermanentError(SERVICE, f"request refused by the client: {exc}") from exc
    except httpx.TimeoutException as exc:
        raise RetryableError(SERVICE, f"timed out ({type(exc).__name__})") from exc
    except (ConnectionError, httpx.TransportError) as exc:
        # The client turns httpx.ConnectError into the builtin ConnectionError.
        raise RetryableError(SERVICE, f"connection failed: {exc}") from exc
    except (ValidationError, ValueError) as exc:
        raise BadResponseError(SERVICE, f"unreadable response ({exc})") from exc
