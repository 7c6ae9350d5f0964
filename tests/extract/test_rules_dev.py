"""Rules extractor against labelled data: the dev titles and the sandbox catalog.

The dev set is the product target (type >= 0.97, field >= 0.93, at most 15% sent to the
LLM); the sandbox catalog is generated independently and checks the rules generalise.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from core.extract.grading import grade
from core.extract.rules import extract_rules
from core.extract.schemas import ATTRIBUTE_MODELS, Extraction
from core.marketplace.sandbox import build_catalog
from core.models import Marketplace

DEV_TITLES = Path(__file__).resolve().parent.parent / "data" / "titles-dev.jsonl"
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


def dev_cases() -> Iterator[Case]:
    for line in DEV_TITLES.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        got = extract_rules(row["title"], Marketplace(row["marketplace"]))
        yield Case(row["title"], row["expected"], got)


def sandbox_cases() -> Iterator[Case]:
    for listing in build_catalog(seed=1).listings:
        truth = listing.truth
        expected = {
            "component_type": truth.component_type.value,
            "attributes": {**truth.attributes, "quantity": truth.quantity},
        }
        yield Case(listing.title, expected, extract_rules(listing.title, listing.marketplace))


@pytest.fixture(scope="module")
def dev() -> list[Case]:
    return list(dev_cases())


@pytest.fixture(scope="module")
def sandbox() -> list[Case]:
    return list(sandbox_cases())


def test_dev_set_is_read_whole(dev: list[Case]) -> None:
    assert len(dev) == 239


def test_dev_targets(dev: list[Case]) -> None:
    scores = score(dev)
    assert scores.type_accuracy >= 0.97
    assert scores.field_accuracy >= 0.93
    assert scores.low_confidence_share <= 0.15
    assert scores.confident_accuracy >= 0.95


def test_sandbox_catalog_is_read_as_well(sandbox: list[Case]) -> None:
    scores = score(sandbox)
    assert scores.type_accuracy >= 0.97
    assert scores.field_accuracy >= 0.93
    assert scores.low_confidence_share <= 0.15


def test_every_result_validates_against_its_attribute_model(
    dev: list[Case], sandbox: list[Case]
) -> None:
    for case in [*dev, *sandbox]:
        model = ATTRIBUTE_MODELS[case.got.component_type]
        model.model_validate(case.got.attributes)
        assert all(value is not None for value in case.got.attributes.values()), case.title


def test_other_never_carries_attributes(dev: list[Case], sandbox: list[Case]) -> None:
    others = [case for case in [*dev, *sandbox] if case.got.component_type.value == "other"]
    assert others
    assert all(case.got.attributes == {} for case in others)
