"""Checks an LLM's answer against `LlmAnswer`, plus one rule the schema cannot say.

The rule: `manufacturer` and `model` are identifiers, not text. A value passes when it is
ASCII letters and digits with `- . _ + /`, at most three space-separated words (so
"PowerEdge R740xd" or "Hewlett Packard Enterprise" still pass, for normalisation to
canonicalise), is not a placeholder such as "N/A", and has no instruction word ("ignore",
"previous", "instructions", "prompt", ...). Anything else is refused like a schema error:
it gets the repair retry and then fails, so free text never reaches a field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from core.extract.schemas import LlmAnswer

IDENTIFIER_FIELDS = ("manufacturer", "model")
_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+/-]*(?: [A-Za-z0-9._+/-]+){0,2}")
_INSTRUCTION_WORDS = re.compile(
    r"\b(ignore|ignoring|disregard|instructions?|previous|prompt|assistant|reply|respond)\b",
    re.IGNORECASE,
)
_PLACEHOLDERS = {"n/a", "na", "none", "null", "unknown", "unspecified", "not stated"}
_MAX_ERRORS = 5
_MAX_QUOTED = 40


class InvalidAnswerError(Exception):
    """The answer is not a valid `LlmAnswer`; `reason` says why, fit to quote to the model."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_answer(raw: str | Mapping[str, Any] | None) -> LlmAnswer:
    """Validate JSON text (or an already decoded object) into an `LlmAnswer`."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise InvalidAnswerError("the reply held no answer")
    # Decoded objects go back through JSON so both paths validate in the same (JSON) mode.
    text = raw if isinstance(raw, str) else json.dumps(raw)
    try:
        answer = LlmAnswer.model_validate_json(text)
    except ValidationError as exc:
        raise InvalidAnswerError(describe(exc)) from None
    problems = [p for name in IDENTIFIER_FIELDS if (p := identifier_problem(answer, name))]
    if problems:
        raise InvalidAnswerError("; ".join(problems))
    return answer


def identifier_problem(answer: LlmAnswer, name: str) -> str | None:
    """Why the identifier field `name` is not acceptable, or None when it is (or is null)."""
    value: str | None = getattr(answer, name)
    if value is None:
        return None
    quoted = _quote(value)
    if value.strip().lower() in _PLACEHOLDERS:
        return f"{name}: {quoted} is a placeholder; use null when the title does not say"
    if not _IDENTIFIER.fullmatch(value) or _INSTRUCTION_WORDS.search(value):
        return (
            f"{name}: {quoted} is not an identifier (letters, digits, - . _ + /, "
            "at most three words)"
        )
    return None


def describe(error: ValidationError) -> str:
    """A short, model-readable summary of a pydantic error."""
    parts = []
    for item in error.errors(include_url=False)[:_MAX_ERRORS]:
        if item["type"] == "json_invalid":
            parts.append(f"not valid JSON ({item['msg'].removeprefix('Invalid JSON: ')})")
            continue
        where = ".".join(str(p) for p in item["loc"]) or "answer"
        got = "" if item["type"] == "missing" else f" (got {_quote(item['input'])})"
        parts.append(f"{where}: {item['msg']}{got}")
    extra = error.error_count() - _MAX_ERRORS
    if extra > 0:
        parts.append(f"and {extra} more")
    return "; ".join(parts)


def _quote(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= _MAX_QUOTED else text[: _MAX_QUOTED - 3] + "..."
