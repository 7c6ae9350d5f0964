"""The one extraction path: rules first, an LLM only when unsure (or when asked for).

The queue worker, `spt extract` and `spt eval` all call `Extractor.extract`, so what the
eval measures is what production does.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import aiohttp
from purgatory import AsyncCircuitBreakerFactory

from core.extract.llm import (
    ExtractionFailedError,
    LlmBackend,
    build_backend,
    close_backend,
    llm_configured,
)
from core.extract.normalise import key_for, normalise
from core.extract.rules import extract_rules
from core.extract.schemas import Extraction
from core.models import Marketplace
from core.observability.metrics import EXTRACTIONS
from core.resilience import PermanentError, ServiceError
from core.settings import Settings

log = logging.getLogger(__name__)

RULES = "rules"
AUTO = "auto"
_BY_RULES = EXTRACTIONS.labels("rules")
_BY_LLM = EXTRACTIONS.labels("llm")


@dataclass(frozen=True)
class Outcome:
    """A normalised extraction with its product key and how it was made."""

    extraction: Extraction
    product_key: str | None
    method: str  # "rules" or "llm"
    backend: str | None = None
    model: str | None = None
    low_confidence: bool = False
    llm_pending: bool = False  # the LLM was needed but unreachable: try again when it is back
    llm_calls: int = 0
    tokens_in: int | None = None
    tokens_out: int | None = None
    seconds: float = 0.0
    note: str | None = None


def _finish(extraction: Extraction, **fields: object) -> Outcome:
    clean = normalise(extraction)
    return Outcome(clean, key_for(clean), **fields)  # type: ignore[arg-type]


class Extractor:
    """Reads titles according to `extract.backend` (rules, one LLM, or auto)."""

    def __init__(
        self,
        settings: Callable[[], Settings],
        session: aiohttp.ClientSession | None = None,
        breakers: AsyncCircuitBreakerFactory | None = None,
    ) -> None:
        self._settings = settings
        self._session = session
        self._breakers = breakers
        self._backends: dict[str, LlmBackend] = {}

    def mode(self) -> str:
        """The configured mode: rules, auto, or an LLM backend's name."""
        return self._settings().extract.backend

    def llm_name(self) -> str | None:
        """The LLM this mode may ask, if one is configured."""
        settings = self._settings()
        name = settings.llm.backend if self.mode() in (AUTO, RULES) else self.mode()
        if self.mode() == RULES or not llm_configured(settings, name):
            return None
        return name

    def backend(self, name: str) -> LlmBackend:
        """The LLM backend by name, built on first use over the shared session."""
        if name not in self._backends:
            if self._session is None or self._breakers is None:
                raise RuntimeError("LLM backends need an HTTP session and breakers")
            self._backends[name] = build_backend(
                name, self._settings, self._session, self._breakers
            )
        return self._backends[name]

    async def close(self) -> None:
        """Close the LLM clients this extractor opened."""
        backends, self._backends = self._backends, {}
        for backend in backends.values():
            await close_backend(backend)

    async def llm_reachable(self) -> bool:
        """Whether the LLM this mode asks answers a ping now."""
        name = self.llm_name()
        return name is not None and await self.backend(name).ping()

    async def extract(
        self,
        title: str,
        marketplace: Marketplace | None = None,
        category_ids: Sequence[str] = (),
        item_specifics: Mapping[str, str] | None = None,
    ) -> Outcome:
        """Extract one title. LLM-only modes raise ServiceError/ExtractionFailedError;
        auto falls back to the rules result, flagged low-confidence."""
        started = time.perf_counter()
        mode = self.mode()
        threshold = self._settings().extract.confidence_threshold
        if mode != RULES and mode != AUTO:
            return await self._llm(mode, title, marketplace, started)
        rules = extract_rules(title, marketplace, category_ids, item_specifics)
        confident = rules.confidence >= threshold
        if mode == RULES or confident:
            _BY_RULES.inc()
            return _finish(rules, method=RULES, low_confidence=not confident,
                           seconds=time.perf_counter() - started)  # fmt: skip
        name = self.llm_name()
        if name is None:
            _BY_RULES.inc()
            return _finish(rules, method=RULES, low_confidence=True,
                           seconds=time.perf_counter() - started,
                           note="below the confidence threshold; no LLM configured")  # fmt: skip
        try:
            return await self._llm(name, title, marketplace, started)
        except ServiceError as exc:
            _BY_RULES.inc()
            return _finish(rules, method=RULES, low_confidence=True, llm_pending=True,
                           llm_calls=1, seconds=time.perf_counter() - started,
                           note=f"LLM unreachable, kept the rules result: {exc}")  # fmt: skip
        except ExtractionFailedError as exc:
            _BY_RULES.inc()
            note = f"LLM answer invalid, kept the rules result: {exc.reason}"
            return _finish(rules, method=RULES, low_confidence=True, llm_calls=2,
                           seconds=time.perf_counter() - started, note=note)  # fmt: skip

    async def _llm(
        self, name: str, title: str, marketplace: Marketplace | None, started: float
    ) -> Outcome:
        if not llm_configured(self._settings(), name):
            raise PermanentError(name, f"{name} is not configured: see [llm] in config.toml")
        backend = self.backend(name)
        result = await backend.extract(title, marketplace)
        _BY_LLM.inc()
        threshold = self._settings().extract.confidence_threshold
        return _finish(
            result.extraction,
            method="llm",
            backend=backend.name,
            model=backend.model,
            low_confidence=result.extraction.confidence < threshold,
            llm_calls=result.attempts,
            tokens_in=result.tokens_in,
            tokens_out=result.tokens_out,
            seconds=time.perf_counter() - started,
        )
