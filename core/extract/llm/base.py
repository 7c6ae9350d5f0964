"""What every LLM backend is, and the extraction loop they share.

One listing is one conversation: the system prompt and the delimited title, then the
answer is validated. An invalid answer gets exactly one repair turn that quotes the
validation error back; a second invalid answer is an `ExtractionFailedError`. Service
failures are not caught here: they leave as `core.resilience` errors so the caller can
re-queue the job.
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from core.extract.llm.policy import record_tokens
from core.extract.llm.validation import InvalidAnswerError, parse_answer
from core.extract.schemas import Extraction
from core.models import Marketplace
from core.resilience import ServiceError, ServicePolicy
from core.settings import Settings

log = logging.getLogger(__name__)

Message = dict[str, Any]
PING_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class LlmResult:
    """A validated extraction and what it cost."""

    extraction: Extraction
    tokens_in: int | None
    tokens_out: int | None
    duration_seconds: float
    attempts: int  # 1, or 2 after a repair retry


class ExtractionFailedError(Exception):
    """The model's answer stayed invalid after the repair retry; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LlmBackend(Protocol):
    """An LLM that reads one title into an `Extraction`."""

    name: str  # "ollama" | "anthropic" | "openai_compat": also the metrics and service label
    model: str

    async def extract(self, title: str, marketplace: Marketplace | None = None) -> LlmResult:
        """Extract one title; raises ExtractionFailedError or a core.resilience ServiceError."""
        ...

    async def ping(self) -> bool:
        """Whether the service answers a cheap request now; never raises."""
        ...

    async def model_available(self) -> bool | None:
        """Whether the server has `model` (None: it cannot say); never raises."""
        ...


@dataclass(frozen=True)
class Reply:
    """One model reply: its answer (JSON text or decoded object) and the native turn."""

    answer: str | Mapping[str, Any] | None
    tokens_in: int | None
    tokens_out: int | None
    turn: Message  # the assistant message as this backend's API spells it


class ChatBackend(ABC):
    """The shared extraction loop; subclasses speak one API's wire format."""

    def __init__(
        self,
        name: str,
        model: str,
        settings: Callable[[], Settings],
        policy: ServicePolicy,
        ping_policy: ServicePolicy,
    ) -> None:
        self.name = name
        self.model = model
        self._settings = settings
        self._policy = policy
        self._ping_policy = ping_policy
        # Whether the last ping was answered (None: never pinged): an unreachable LLM is
        # reported once, with the way to run without one, not at every health check.
        self._answered: bool | None = None

    async def extract(self, title: str, marketplace: Marketplace | None = None) -> LlmResult:
        """Ask once, repair once if the answer is invalid, return the validated extraction."""
        started = time.perf_counter()
        messages = self._start(title, marketplace)
        first = await self._call(messages)
        replies = [first]
        try:
            answer = parse_answer(first.answer)
        except InvalidAnswerError as invalid:
            log.info("%s answer invalid (%s); asking for a repair", self.name, invalid.reason)
            second = await self._call([*messages, *self._repair(first, invalid.reason)])
            replies.append(second)
            try:
                answer = parse_answer(second.answer)
            except InvalidAnswerError as still:
                raise ExtractionFailedError(
                    f"{self.name} answer invalid after a repair retry: {still.reason}"
                ) from None
        return LlmResult(
            extraction=answer.to_extraction(),
            tokens_in=_total(r.tokens_in for r in replies),
            tokens_out=_total(r.tokens_out for r in replies),
            duration_seconds=time.perf_counter() - started,
            attempts=len(replies),
        )

    async def ping(self) -> bool:
        """One quick attempt through the backend's breaker; False on any failure."""
        limit = min(self._settings().llm.timeout_seconds, PING_TIMEOUT_SECONDS)
        try:
            await self._ping_policy.call(self._ping, attempt_timeout=limit)
        except ServiceError as exc:
            self._unanswered(str(exc))
            return False
        except Exception as exc:  # a health check must answer, whatever the library did
            log.debug("%s ping failed unexpectedly", self.name, exc_info=True)
            self._unanswered(f"{type(exc).__name__}: {exc}")
            return False
        if self._answered is False:
            log.info("%s answers again", self.name)
        self._answered = True
        return True

    async def model_available(self) -> bool | None:
        """Whether the server has `model`; None where the API cannot say cheaply."""
        return None

    def _unanswered(self, problem: str) -> None:
        if self._answered is not False:
            log.warning(
                "%s is not reachable (%s); titles the rules are unsure of keep the rules' "
                "answer until it is. To run without an LLM, set extract.backend = \"rules\" "
                "(SPT_EXTRACT__BACKEND=rules)", self.name, problem,
            )  # fmt: skip
        else:
            log.debug("%s still not reachable: %s", self.name, problem)
        self._answered = False

    @abstractmethod
    async def aclose(self) -> None:
        """Release the backend's own HTTP client, if it has one."""

    async def _call(self, messages: list[Message]) -> Reply:
        timeout = self._settings().llm.timeout_seconds
        reply = await self._policy.call(lambda: self._ask(messages), attempt_timeout=timeout)
        record_tokens(self.name, reply.tokens_in, reply.tokens_out)
        return reply

    @abstractmethod
    def _start(self, title: str, marketplace: Marketplace | None) -> list[Message]:
        """The opening messages of the conversation for this title."""

    @abstractmethod
    async def _ask(self, messages: list[Message]) -> Reply:
        """One HTTP attempt; failures leave as core.resilience ServiceErrors."""

    @abstractmethod
    def _repair(self, reply: Reply, reason: str) -> list[Message]:
        """The turns that follow an invalid reply: the reply itself, then the error."""

    @abstractmethod
    async def _ping(self) -> None:
        """One cheap request; raises a ServiceError when the service does not answer."""


def _total(counts: Iterable[int | None]) -> int | None:
    known = [c for c in counts if c is not None]
    return sum(known) if known else None
