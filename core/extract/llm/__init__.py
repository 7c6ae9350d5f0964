"""LLM extraction backends: Ollama, Anthropic and OpenAI-compatible servers.

Each reads one title into an `Extraction` through the shared `core.resilience` policy,
validating the answer against `LlmAnswer` with one repair retry. The rest of spt uses
only what this package exports.
"""

from core.extract.llm.base import ChatBackend, ExtractionFailedError, LlmBackend, LlmResult
from core.extract.llm.factory import BACKENDS, build_backend, close_backend, llm_configured

__all__ = [
    "BACKENDS",
    "ChatBackend",
    "ExtractionFailedError",
    "LlmBackend",
    "LlmResult",
    "build_backend",
    "close_backend",
    "llm_configured",
]
