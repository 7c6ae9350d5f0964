"""deploy/: the alerting rules under promtool, and the stack's files agreeing with each other."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
RULES = DEPLOY / "prometheus" / "rules" / "spt.rules.yml"
RULE_TESTS = DEPLOY / "prometheus" / "tests" / "spt.rules.test.yml"


def promtool(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("promtool")
    assert binary is not None, "promtool is missing: `make test` installs it (scripts/test-tools)"
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=120,
                          check=False, cwd=cwd)  # fmt: skip


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_the_rules_pass_promtool_check() -> None:
    result = promtool("check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 6 rules found" in result.stdout


def test_every_alert_fires_and_stays_quiet_in_promtool_unit_tests() -> None:
    result = promtool("test", "rules", RULE_TESTS.name, cwd=RULE_TESTS.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    alerts = {r["alert"] for g in load(RULES)["groups"] for r in g["rules"]}
    assert alerts == {
        "SptExternalServiceDown", "SptEbayErrorRateHigh", "SptLlmExtractionErrorRateHigh",
        "SptNoNewListings", "SptEbayQuotaNearlySpent", "SptAlertDeliveryFailing",
    }  # fmt: skip
    fires: set[str] = set()
    quiet: set[str] = set()
    for case in load(RULE_TESTS)["tests"]:
        for check in case["alert_rule_test"]:
            (fires if check["exp_alerts"] else quiet).add(check["alertname"])
    assert fires == alerts
    assert quiet == alerts
    for group in load(RULES)["groups"]:
        for rule in group["rules"]:
            assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
            assert rule["annotations"]["summary"], rule["alert"]


def test_a_broken_rule_fails_its_unit_test(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "tests").mkdir()
    broken = RULES.read_text(encoding="utf-8").replace("> 0.10", "> 0.90")
    (tmp_path / "rules" / "spt.rules.yml").write_text(broken, encoding="utf-8")
    shutil.copy(RULE_TESTS, tmp_path / "tests" / RULE_TESTS.name)
    result = promtool("test", "rules", RULE_TESTS.name, cwd=tmp_path / "tests")
    assert result.returncode != 0
    assert "SptEbayErrorRateHigh" in result.stdout + result.stderr


def test_the_prometheus_config_is_valid_and_loads_the_rules() -> None:
    result = promtool("check", "config", str(DEPLOY / "prometheus" / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    config = load(DEPLOY / "prometheus" / "prometheus.yml")
    assert config["rule_files"] == ["/etc/prometheus/rules/*.yml"]
    (job,) = config["scrape_configs"]
    assert job["static_configs"][0]["targets"] == ["spt:9321"]


def test_the_compose_stack_wires_every_part_together() -> None:
    compose = load(DEPLOY / "docker-compose.yml")
    services = compose["services"]
    assert set(services) == {"spt", "postgres", "ollama", "prometheus", "grafana", "loki",
                             "alloy"}  # fmt: skip
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (DEPLOY / source).exists(), f"{name} mounts missing {source}"
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"
        image = service.get("image", "")
        assert name == "spt" or (":" in image and not image.endswith(":latest")), image
    spt = services["spt"]
    assert spt["environment"]["SPT_SIDECAR__HOST"] == "0.0.0.0"
    assert spt["environment"]["SPT_LOGGING__FORMAT"] == "json"
    assert "/readyz" in " ".join(spt["healthcheck"]["test"])
    assert "./prometheus/rules:/etc/prometheus/rules:ro" in services["prometheus"]["volumes"]


def test_grafana_provisioning_matches_the_dashboards() -> None:
    sources = load(DEPLOY / "grafana" / "provisioning" / "datasources" / "datasources.yml")
    uids = {s["uid"]: s["type"] for s in sources["datasources"]}
    assert uids == {"prometheus": "prometheus", "loki": "loki"}
    (provider,) = load(DEPLOY / "grafana" / "provisioning" / "dashboards" / "dashboards.yml")[
        "providers"]  # fmt: skip
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "spt.json").read_text())
    titles = {p["title"] for p in dashboard["panels"]}
    # The plan's five views, plus quota and queue panels.
    assert {"External service status", "eBay API success rate", "eBay API latency",
            "LLM extraction success rate", "LLM extraction latency (p95)",
            "Ingestion throughput (listings/min)", "Alert volume", "eBay daily call budget",
            "Extraction queue"} <= titles  # fmt: skip
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            assert target["datasource"]["uid"] in uids, panel["title"]


def test_alloy_ships_the_json_logs_to_the_composes_loki() -> None:
    config = (DEPLOY / "alloy" / "config.alloy").read_text(encoding="utf-8")
    assert 'url = "http://loki:3100/loki/api/v1/push"' in config
    assert "stage.json" in config
    assert 'regex         = "spt"' in config
    # Unbounded ids stay out of the labels (they go to structured metadata).
    labels = config.split("stage.labels {")[1].split("}")[0]
    assert "watch_id" not in labels
    assert "level" in labels
