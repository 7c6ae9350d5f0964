"""Rules extractor against real-world titles nobody here wrote (issue 12).

`titles-real.jsonl` holds listing titles quoted in other projects' test data, forum and
blog posts and store catalogues, labelled by hand per DOMAIN.md; every line names where
its wording came from. Systems (the type the rules read worst) are over-represented.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from core.extract.grading import grade
from core.extract.schemas import ATTRIBUTE_MODELS
from core.models import ComponentType
from tests.extract.labelled import DATA, Case, cases, rows, score

REAL_TITLES = DATA / "titles-real.jsonl"
_SYSTEMS = {ComponentType.SERVER, ComponentType.WORKSTATION, ComponentType.DESKTOP}
# A web address, or a file in a public repository as "owner/repo:path".
_SOURCE = re.compile(r"^(?:https?://\S+|[\w.-]+/[\w.-]+:\S+)$")


@pytest.fixture(scope="module")
def lines() -> list[dict[str, Any]]:
    return list(rows(REAL_TITLES))


@pytest.fixture(scope="module")
def real() -> list[Case]:
    return list(cases(REAL_TITLES))


def test_the_set_is_large_and_weighted_to_systems(lines: list[dict[str, Any]]) -> None:
    kinds = Counter(ComponentType(line["expected"]["component_type"]) for line in lines)
    assert len(lines) >= 300
    assert set(kinds) == set(ComponentType)
    assert sum(kinds[kind] for kind in _SYSTEMS) >= 60


def test_every_line_names_its_source(lines: list[dict[str, Any]]) -> None:
    for line in lines:
        source = line.get("source")
        assert isinstance(source, str), line["id"]
        assert source.strip(), line["id"]
        assert _SOURCE.match(source), (line["id"], source)


def test_ids_are_unique_and_well_formed(lines: list[dict[str, Any]]) -> None:
    ids = [line["id"] for line in lines]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"r\d{4}", value) for value in ids)


def test_labels_are_canonical(lines: list[dict[str, Any]]) -> None:
    for line in lines:
        expected = line["expected"]
        kind = ComponentType(expected["component_type"])
        attributes = {k: v for k, v in expected["attributes"].items() if k != "quantity"}
        ATTRIBUTE_MODELS[kind].model_validate(attributes)


def test_real_targets(real: list[Case]) -> None:
    scores = score(real)
    assert scores.type_accuracy >= 0.97
    assert scores.field_accuracy >= 0.95


@pytest.mark.parametrize("kind", sorted(_SYSTEMS))
def test_systems_are_read_as_systems(real: list[Case], kind: ComponentType) -> None:
    mine = [case for case in real if case.expected["component_type"] == kind.value]
    right = sum(grade(case.expected, case.got).type_ok for case in mine)
    assert right / len(mine) >= 0.95
