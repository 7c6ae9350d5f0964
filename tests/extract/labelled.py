"""Labelled title sets in the eval format, read through the rules extractor and scored.

Shared by the dev-set and real-set tests so both grade the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.extract.grading import grade
from core.extract.rules import extract_rules
from core.extract.schemas import Extraction
from core.models import Marketplace

DATA = Path(__file__).resolve().parent.parent / "data"
LLM_THRESHOLD = 0.8


@dataclass(frozen=True)
class Case:
    """One labelled title and what the rules made of it."""

    title: str
    expected: Mapping[str, Any]
    got: Extraction


@dataclass(frozen=True)
class Scores:
    """Accuracy figures over a labelled set."""

    type_accuracy: float
    field_accuracy: float
    low_confidence_share: float
    confident_accuracy: float


def score(cases: list[Case]) -> Scores:
    """Type and field accuracy, the share under the LLM threshold, and how often a
    confident result is entirely right."""
    types = fields = right_fields = low = confident = confident_right = 0
    for case in cases:
        graded = grade(case.expected, case.got)
        types += graded.type_ok
        fields += len(graded.fields)
        right_fields += sum(graded.fields.values())
        if case.got.confidence < LLM_THRESHOLD:
            low += 1
        else:
            confident += 1
            confident_right += graded.type_ok and not graded.misses
    return Scores(
        type_accuracy=types / len(cases),
        field_accuracy=right_fields / fields,
        low_confidence_share=low / len(cases),
        confident_accuracy=confident_right / max(confident, 1),
    )


def rows(path: Path) -> Iterator[dict[str, Any]]:
    """The JSON objects of a JSONL file, one a line."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            yield json.loads(line)


def cases(path: Path) -> Iterator[Case]:
    """Each labelled title of `path` with the rules extractor's reading of it."""
    for row in rows(path):
        got = extract_rules(row["title"], Marketplace(row["marketplace"]))
        yield Case(row["title"], row["expected"], got)
