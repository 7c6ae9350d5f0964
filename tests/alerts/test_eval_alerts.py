"""`spt eval-alerts` on the judged alerts: spt's real extraction, scoring and decision must
alert every real deal, keep >= 80% of its alerts real deals and alert on no noise."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from app.cli import cli
from core.alerts.evaluate import auc

DATA = Path(__file__).resolve().parent.parent / "data"
JUDGED = DATA / "alerts-judged.jsonl"
# Judged later by another person and never used to tune anything.
HOLDOUT = DATA / "alerts-judged-holdout.jsonl"
TYPES = ("ram", "drive", "cpu", "gpu", "server")


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["eval-alerts", *args])


@pytest.fixture(scope="module", params=[JUDGED, HOLDOUT], ids=["judged", "holdout"])
def report(request: pytest.FixtureRequest) -> dict[str, object]:
    result = run("--dataset", str(request.param), "--json")
    assert result.exit_code in (0, 1), result.output  # 1: a target missed, shown below
    data: dict[str, object] = json.loads(result.stdout)
    return data


@pytest.mark.parametrize(("path", "size", "per_type"), [(JUDGED, 150, 25), (HOLDOUT, 80, 14)])
def test_the_judged_sets_are_large_and_cover_every_type_and_label(
    path: Path, size: int, per_type: int
) -> None:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= size
    kinds = Counter(r["watch"]["type"] for r in rows)
    assert set(kinds) == set(TYPES)
    assert min(kinds.values()) >= per_type
    assert {r["label"] for r in rows} == {"deal", "fair", "noise"}
    assert all(r["reason"].strip() for r in rows)


def test_every_deal_alerts_and_no_noise_does(report: dict[str, object]) -> None:
    labels = report["labels"]
    assert isinstance(labels, dict)
    assert report["deals_alerted"] == labels["deal"], report["missed_deals"]
    assert report["noise_alerted"] == 0, report["false_alerts"]
    assert report["met"] is True


def test_at_least_80pct_of_alerts_are_real_deals(report: dict[str, object]) -> None:
    precision = report["precision"]
    assert isinstance(precision, float)
    assert precision >= 0.8, report["false_alerts"]
    auc_value = report["auc"]
    assert isinstance(auc_value, float)
    assert auc_value >= 0.9


def test_the_human_summary_names_the_targets() -> None:
    result = run("--dataset", str(JUDGED))
    assert result.exit_code == 0, result.output
    assert "deals alerted:" in result.stdout
    assert "ok   every deal alerted" in result.stdout
    assert "precision:" in result.stdout


def test_a_missed_target_exits_1_and_names_the_case(tmp_path: Path) -> None:
    # a fair price labelled a deal: spt (rightly) does not alert, so the target is missed
    line = next(ln for ln in JUDGED.read_text(encoding="utf-8").splitlines() if '"fair"' in ln)
    row = json.loads(line)
    row["label"] = "deal"
    wrong = tmp_path / "wrong.jsonl"
    wrong.write_text(json.dumps(row) + "\n", encoding="utf-8")
    result = run("--dataset", str(wrong))
    assert result.exit_code == 1
    assert "MISS every deal alerted" in result.stdout
    assert row["id"] in result.stdout


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"title": "x", "label": "great"}', "label must be one of deal, fair, noise"),
        ('{"title": "", "label": "deal"}', 'needs a non-empty "title"'),
        (
            '{"title": "x", "label": "deal", "price": "abc"}',
            "price must be a decimal number, got 'abc'",
        ),
        (
            '{"title": "x", "label": "deal", "price": "1", "baseline": {"sample_count": 30, '
            '"p10": "9", "p25": "8", "p50": "10", "p75": "11", "p90": "12"}}',
            "percentiles must not decrease",
        ),
        (
            '{"title": "x", "label": "deal", "price": "1", "baseline": {"sample_count": 30, '
            '"p10": "8", "p25": "9", "p50": "10", "p75": "11", "p90": "12"}, '
            '"watch": {"type": "ram", "query": "q", "filters": ["capacity_gb=lots"]}}',
            "watch: filters:",
        ),
    ],
)
def test_a_bad_line_is_refused_with_its_place(tmp_path: Path, line: str, message: str) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(line + "\n", encoding="utf-8")
    result = run("--dataset", str(bad))
    assert result.exit_code == 2
    assert f"{bad}:1:" in result.stderr
    assert message in result.stderr


def test_auc_counts_ties_as_half() -> None:
    assert auc([90, 80], [10, 20]) == 1.0
    assert auc([50], [50]) == 0.5
    assert auc([10], [90]) == 0.0
    assert auc([], [1]) is None
