"""`spt eval`: grade an extraction setup on labelled titles (JSONL, the eval format)."""

from __future__ import annotations

import json
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.extract.grading import Grade, grade
from core.extract.service import Extractor, Outcome
from core.models import ComponentType, Marketplace


class DatasetError(ValueError):
    """A dataset line that cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class Example:
    """One labelled title."""

    id: str
    title: str
    marketplace: Marketplace | None
    expected: dict[str, Any] | None


def jsonl_rows(path: Path) -> Iterator[tuple[str, Any]]:
    """(`file:line`, parsed value) for each non-blank line of a JSONL dataset."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DatasetError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            yield where, json.loads(line)
        except ValueError as exc:
            raise DatasetError(f"{where}: not valid JSON ({exc})") from None


def load_examples(path: Path, *, labelled: bool = True) -> list[Example]:
    """Read JSONL lines `{"id", "title", "marketplace", "expected": {...}}`."""
    examples: list[Example] = []
    for where, row in jsonl_rows(path):
        number = int(where.rsplit(":", 1)[1])
        if not isinstance(row, dict) or not isinstance(row.get("title"), str) or not row["title"]:
            raise DatasetError(f'{where}: each line needs a non-empty "title"')
        market = row.get("marketplace")
        try:
            marketplace = Marketplace(market) if market else None
        except ValueError:
            raise DatasetError(f"{where}: unknown marketplace {market!r}") from None
        expected = row.get("expected")
        if labelled:
            if not isinstance(expected, dict):
                raise DatasetError(f'{where}: "expected" must be an object')
            try:
                ComponentType(str(expected.get("component_type")))
            except ValueError:
                raise DatasetError(
                    f"{where}: unknown component_type {expected.get('component_type')!r}"
                ) from None
            if not isinstance(expected.get("attributes", {}), dict):
                raise DatasetError(f'{where}: "expected.attributes" must be an object')
        examples.append(Example(str(row.get("id", number)), row["title"], marketplace, expected))
    if not examples:
        raise DatasetError(f"{path}: no examples")
    return examples


def _share(hits: int, total: int) -> float:
    return round(hits / total, 4) if total else 0.0


def _percentile(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


async def evaluate(
    extractor: Extractor,
    examples: list[Example],
    progress: Callable[[int, int], None] | None = None,
    worst: int = 10,
) -> dict[str, Any]:
    """Run every example through the extractor and grade it."""
    graded: list[tuple[Example, Outcome, Grade]] = []
    started = time.perf_counter()
    for index, example in enumerate(examples, start=1):
        outcome = await extractor.extract(example.title, example.marketplace)
        assert example.expected is not None
        graded.append((example, outcome, grade(example.expected, outcome.extraction)))
        if progress is not None:
            progress(index, len(examples))
    elapsed = time.perf_counter() - started
    per_type: dict[str, list[Grade]] = defaultdict(list)
    for example, _outcome, result in graded:
        assert example.expected is not None
        per_type[example.expected["component_type"]].append(result)
    fields = [ok for _e, _o, g in graded for ok in g.fields.values()]
    latencies = [o.seconds * 1000 for _e, o, _g in graded]
    busy = sum(o.seconds for _e, o, _g in graded)
    misses = sorted(
        (item for item in graded if not item[2].type_ok or item[2].misses),
        key=lambda item: (item[2].type_ok, -len(item[2].misses)),
    )
    return {
        "n": len(graded),
        "backend": extractor.mode(),
        "type_accuracy": _share(sum(g.type_ok for _e, _o, g in graded), len(graded)),
        "field_accuracy": _share(sum(fields), len(fields)),
        "fields_graded": len(fields),
        "per_type": {
            kind: {
                "n": len(results),
                "type_accuracy": _share(sum(r.type_ok for r in results), len(results)),
                "field_accuracy": _share(
                    sum(ok for r in results for ok in r.fields.values()),
                    sum(len(r.fields) for r in results),
                ),
            }
            for kind, results in sorted(per_type.items())
        },
        "llm_calls_per_listing": _share(sum(o.llm_calls for _e, o, _g in graded), len(graded)),
        "low_confidence_share": _share(sum(o.low_confidence for _e, o, _g in graded), len(graded)),
        # Extraction time only (what production spends per title); wall time adds grading.
        "titles_per_second": round(len(graded) / busy, 1) if busy > 0 else 0.0,
        "wall_seconds": round(elapsed, 3),
        "latency_ms": {
            "p50": round(_percentile(latencies, 50), 3),
            "p95": round(_percentile(latencies, 95), 3),
        },
        "worst_misses": [
            {
                "id": example.id,
                "title": example.title,
                "expected_type": (example.expected or {}).get("component_type"),
                "got_type": outcome.extraction.component_type.value,
                "wrong_fields": {
                    name: {
                        "expected": (example.expected or {}).get("attributes", {}).get(name)
                        if name != "condition"
                        else (example.expected or {}).get("condition"),
                        "got": outcome.extraction.quantity
                        if name == "quantity"
                        else outcome.extraction.condition.value
                        if name == "condition"
                        else outcome.extraction.attributes.get(name),
                    }
                    for name in result.misses
                },
            }
            for example, outcome, result in misses[:worst]
        ],
    }


def outcome_json(example_id: str | None, title: str, outcome: Outcome) -> dict[str, Any]:
    """One `spt extract` output line."""
    e = outcome.extraction
    line: dict[str, Any] = {} if example_id is None else {"id": example_id}
    line.update(
        {
            "title": title,
            "component_type": e.component_type.value,
            "attributes": e.attributes,
            "condition": e.condition.value,
            "quantity": e.quantity,
            "confidence": round(e.confidence, 4),
            "method": outcome.method,
            "product_key": outcome.product_key,
        }
    )
    if outcome.backend:
        line["backend"], line["model"] = outcome.backend, outcome.model
    if outcome.note:
        line["note"] = outcome.note
    return line
