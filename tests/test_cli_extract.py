"""`spt extract`, `spt eval` and `spt reextract` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from app.cli import cli

DEV = Path(__file__).resolve().parent / "data" / "titles-dev.jsonl"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_extract_prints_one_json_object_per_title() -> None:
    result = invoke(
        "extract", "--backend", "rules",
        "Samsung 32GB DDR4-2666 PC4-21300 ECC Registered RDIMM",
        "Mellanox ConnectX-4 Lx 25GbE Dual Port SFP28 PCIe NIC",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    ram, nic = (json.loads(line) for line in result.stdout.splitlines())
    assert ram["component_type"] == "ram"
    assert ram["attributes"]["speed_mhz"] == 2666
    assert ram["product_key"] == "ram:ddr4:rdimm:ecc_reg:32gb:2666"
    assert ram["method"] == "rules"
    assert set(ram) >= {"title", "attributes", "condition", "quantity", "confidence"}
    assert nic["product_key"] == "nic:25gbe:2p:sfp28"


def test_extract_reads_jsonl_and_keeps_ids(tmp_path: Path) -> None:
    data = tmp_path / "t.jsonl"
    data.write_text(
        '{"id": "a1", "title": "Intel Xeon Gold 6130 16 Core 2.1GHz", "marketplace": "EBAY_US"}\n'
        '\n{"id": "a2", "title": "Dell R630 rails"}\n',
        encoding="utf-8",
    )
    result = invoke("extract", "--backend", "rules", "--jsonl", str(data))
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(x["id"], x["component_type"]) for x in lines] == [("a1", "cpu"), ("a2", "other")]
    assert lines[1]["product_key"] is None


def test_extract_needs_input() -> None:
    result = CliRunner().invoke(cli, ["extract"])
    assert result.exit_code == 2
    assert "give one or more TITLEs or --jsonl PATH" in result.stderr


def test_eval_on_the_dev_titles_meets_the_rules_targets() -> None:
    result = invoke("eval", "--dataset", str(DEV), "--backend", "rules", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["n"] == 239
    assert report["type_accuracy"] >= 0.97
    assert report["field_accuracy"] >= 0.93
    assert report["llm_calls_per_listing"] == 0
    assert set(report) >= {"per_type", "titles_per_second", "latency_ms", "worst_misses"}
    assert set(report["per_type"]) == {
        "ram", "drive", "server", "cpu", "nic", "gpu", "workstation", "desktop", "other",
    }  # fmt: skip


def test_eval_human_summary() -> None:
    result = invoke("eval", "--dataset", str(DEV), "--backend", "rules")
    assert result.stdout.startswith("239 titles, backend rules")
    assert "type accuracy" in result.stdout
    assert "per type:" in result.stdout


def test_eval_bad_dataset_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "title": "x", "expected": {"component_type": "ram"}}\n{oops\n')
    result = CliRunner().invoke(cli, ["eval", "--dataset", str(bad)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {bad}:2: not valid JSON")
    wrong = tmp_path / "wrong.jsonl"
    wrong.write_text('{"title": "x", "expected": {"component_type": "toaster"}}\n')
    result = CliRunner().invoke(cli, ["eval", "--dataset", str(wrong)])
    assert "unknown component_type 'toaster'" in result.stderr


def test_reextract_requeues(database_url: str) -> None:
    result = invoke("--database-url", database_url, "reextract", "--type", "ram")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "queued 0 listing(s) for extraction"
    bad = CliRunner().invoke(
        cli, ["--database-url", database_url, "reextract", "--type", "toaster"]
    )
    assert bad.exit_code == 2
    assert "unknown type 'toaster'" in bad.stderr
