"""Rules extractor against labelled data: the dev titles and the sandbox catalog.

The dev set is the product target (every type and field right, at most 15% sent to the
LLM); the sandbox catalog is generated independently and checks the rules generalise.
Real-world titles nobody here wrote are in `test_rules_real.py`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.extract.rules import extract_rules
from core.extract.schemas import ATTRIBUTE_MODELS
from sandbox import build_catalog
from tests.extract.labelled import DATA, Case, cases, score

DEV_TITLES = DATA / "titles-dev.jsonl"


def dev_cases() -> Iterator[Case]:
    return cases(DEV_TITLES)


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
    assert scores.type_accuracy == 1.0
    assert scores.field_accuracy == 1.0
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
