"""Builds the configured LLM backend from resources the composition root owns."""

from __future__ import annotations

from collections.abc import Callable

import aiohttp
from purgatory import AsyncCircuitBreakerFactory

from core.extract.llm.base import ChatBackend, LlmBackend
from core.settings import Settings

BACKENDS = ("ollama", "anthropic", "openai_compat")


def llm_configured(settings: Settings, name: str) -> bool:
    """Whether `name` has what it needs to be called: an API key for anthropic, a URL else."""
    llm = settings.llm
    if name == "anthropic":
        return llm.anthropic_api_key is not None and bool(llm.anthropic_api_key.get_secret_value())
    if name == "ollama":
        return bool(llm.ollama_url)
    if name == "openai_compat":
        # Local OpenAI-compatible servers (vLLM, llama.cpp) need no key.
        return bool(llm.openai_base_url)
    return False


def build_backend(
    name: str,
    settings: Callable[[], Settings],
    session: aiohttp.ClientSession,
    breakers: AsyncCircuitBreakerFactory,
) -> LlmBackend:
    """The backend called `name`, its policy named after it. Raises ValueError when `name`
    is unknown or not configured (check `llm_configured` first).

    URLs, keys and models are read once here (changing them needs a restart); the timeout
    and the resilience settings are read through `settings()` on every call.
    """
    if name not in BACKENDS:
        raise ValueError(f"unknown LLM backend {name!r}; expected one of {', '.join(BACKENDS)}")
    if not llm_configured(settings(), name):
        raise ValueError(f"LLM backend {name!r} is not configured")
    # Each client library loads only when its backend is used (anthropic's alone takes a
    # second), so `spt` commands that never call an LLM start fast.
    if name == "ollama":
        from core.extract.llm.ollama_backend import OllamaBackend

        return OllamaBackend(settings, breakers)
    if name == "anthropic":
        from core.extract.llm.anthropic_backend import AnthropicBackend

        return AnthropicBackend(settings, breakers)
    from core.extract.llm.openai_backend import OpenAiCompatBackend

    return OpenAiCompatBackend(settings, session, breakers)


async def close_backend(backend: LlmBackend) -> None:
    """Release what a backend built by `build_backend` holds (its own HTTP client)."""
    if isinstance(backend, ChatBackend):
        await backend.aclose()
