"""A running `spt demo` observed as production would be: its /metrics, a real Prometheus
scraping it with spt's alerting rules loaded, the dashboards' queries, and its JSON logs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.demo_process import Demo, fetch, free_port, running_demo, wait

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
SPT = Path(sys.executable).with_name("spt")
SECRETS = {"ANTHROPIC_API_KEY": "sk-ant-never-in-the-log", "OPENAI_API_KEY": "sk-open-never"}
# Every metric of the post-MVP plan, and the pipeline's.
PLAN = [
    "spt_external_service_up", "spt_ebay_requests_total", "spt_ebay_request_duration_seconds",
    "spt_llm_requests_total", "spt_llm_request_duration_seconds", "spt_discord_requests_total",
    "spt_discord_request_duration_seconds",
]  # fmt: skip
PIPELINE = [
    "spt_listings_ingested_total", "spt_extraction_queue_depth", "spt_extraction_jobs_parked",
    "spt_extractions_total", "spt_llm_tokens_total", "spt_listing_scores", "spt_baselines",
    "spt_alerts_total", "spt_ebay_quota_limit", "spt_ebay_quota_remaining",
    "spt_ebay_quota_reset_timestamp_seconds", "spt_job_last_success_timestamp_seconds",
    "spt_circuit_breaker_state",
]  # fmt: skip


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with running_demo(tmp_path_factory, SECRETS) as running:
        yield running


def test_the_demo_is_ready_and_shows_every_metric_of_the_plan_live(demo: Demo) -> None:
    assert fetch(f"{demo.url}/readyz") == (200, '{"status": "ready"}')
    assert fetch(f"{demo.url}/healthz")[0] == 200
    families = wait(lambda: (m := demo.metrics()) and _has_services(m) and m, "health checks")
    by_name = samples(families)
    for name in PLAN + PIPELINE:
        assert by_name.get(name), f"{name} has no values"
    up = {s.labels["service"]: s.value for s in families["spt_external_service_up"].samples}
    assert up == {"ebay": 1.0, "postgres": 1.0, "console": 1.0}  # no LLM: rules read titles
    llm = {s.labels["backend"]: s.value for s in families["spt_llm_backend"].samples}
    assert llm["none"] == 1.0
    assert sum(llm.values()) == 1.0

    def value(name: str, **labels: str) -> float:
        return float(sum(s.value for s in by_name.get(name, []) if s.name == name
                         and all(s.labels.get(k) == v for k, v in labels.items())))  # fmt: skip

    assert value("spt_ebay_requests_total", status="success") > 0
    assert value("spt_listings_ingested_total", kind="new") > 0
    assert value("spt_extractions_total", method="rules") > 0
    assert value("spt_listing_scores_count") > 0
    assert value("spt_baselines", state="warm") > 0
    assert value("spt_alerts_total", event="created") > 0
    assert value("spt_alerts_total", event="delivered") > 0
    assert value("spt_ebay_quota_limit") > 0


def samples(families: dict[str, Any]) -> dict[str, list[Any]]:
    """Samples by the names PromQL uses: a counter's `_total`, a histogram's own name and its
    `_bucket`, `_sum` and `_count`."""
    found: dict[str, list[Any]] = {}
    for family in families.values():
        for sample in family.samples:
            found.setdefault(sample.name, []).append(sample)
            found.setdefault(family.name, []).append(sample)
    return found


def _has_services(families: dict[str, Any]) -> bool:
    family = families.get("spt_external_service_up")
    return family is not None and {s.labels["service"] for s in family.samples} >= {
        "ebay", "postgres", "console"}  # fmt: skip


# ------------------------------------------------------------------ PromQL


_WORD = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
_NOT_METRICS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "and",
    "or", "unless", "le", "inf", "nan", "time", "rate", "increase", "sum", "histogram_quantile",
}  # fmt: skip


def metric_names(expr: str) -> set[str]:
    """Metric names an expression reads (label matchers, strings, functions and durations
    left out)."""
    text = re.sub(r'"[^"]*"', '""', expr)  # strings
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # range selectors
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    names = set()
    for match in _WORD.finditer(text):
        word = match.group(0)
        rest = text[match.end() :].lstrip()
        if rest.startswith("(") or word in _NOT_METRICS or word.startswith("$"):
            continue
        names.add(word)
    return names


def expressions() -> list[tuple[str, str]]:
    """(where, PromQL) of every dashboard target and alerting rule."""
    found = []
    for path in sorted((DEPLOY / "grafana" / "dashboards").glob("*.json")):
        for panel in json.loads(path.read_text(encoding="utf-8"))["panels"]:
            for target in panel.get("targets", []):
                if target.get("datasource", {}).get("type") == "prometheus":
                    found.append((f"{path.name}: {panel['title']}", target["expr"]))
    rules = yaml.safe_load((DEPLOY / "prometheus" / "rules" / "spt.rules.yml").read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            found.append((f"rule {rule['alert']}", rule["expr"]))
    return found


def exported(families: dict[str, Any]) -> set[str]:
    return set(samples(families))


def test_dashboards_and_rules_name_only_metrics_spt_exports(demo: Demo) -> None:
    found = expressions()
    assert len(found) >= 25  # every panel and rule, read
    names = exported(demo.metrics())
    for where, expr in found:
        unknown = metric_names(expr) - names
        assert not unknown, f"{where}: {expr} reads {unknown}, which spt does not export"
    assert metric_names('sum(rate(spt_x_total{a="b"}[5m])) / on() spt_y > 2') == {
        "spt_x_total", "spt_y"}  # fmt: skip


# ------------------------------------------------------------------ Prometheus


@dataclass
class Prometheus:
    url: str

    def query(self, expr: str) -> list[dict[str, Any]]:
        status, body = fetch(f"{self.url}/api/v1/query?{urllib.parse.urlencode({'query': expr})}")
        answer = json.loads(body)
        assert status == 200, (expr, body)
        assert answer["status"] == "success", (expr, body)
        result: list[dict[str, Any]] = answer["data"]["result"]
        return result


@pytest.fixture(scope="module")
def prometheus(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prometheus]:
    binary = "/usr/bin/prometheus" if Path("/usr/bin/prometheus").exists() else "prometheus"
    home = tmp_path_factory.mktemp("prometheus")
    config = home / "prometheus.yml"
    config.write_text(yaml.safe_dump({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(DEPLOY / "prometheus" / "rules" / "spt.rules.yml")],
        "scrape_configs": [{"job_name": "spt", "static_configs": [
            {"targets": [demo.url.removeprefix("http://")]}]}],
    }))  # fmt: skip
    port = free_port()
    process = subprocess.Popen(
        [binary, f"--config.file={config}", f"--storage.tsdb.path={home / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        server = Prometheus(f"http://127.0.0.1:{port}")
        wait(lambda: process.poll() is not None or fetch(f"{server.url}/-/ready")[0] == 200,
             "Prometheus to start", 60)  # fmt: skip
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        yield server
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_prometheus_scrapes_the_demo_and_sees_every_service(prometheus: Prometheus) -> None:
    def services() -> dict[str, str] | None:
        result = prometheus.query("spt_external_service_up")
        found = {r["metric"]["service"]: r["value"][1] for r in result}
        return found if {"ebay", "postgres", "console"} <= set(found) else None

    assert wait(services, "Prometheus to scrape spt", 60) == {
        "ebay": "1", "postgres": "1", "console": "1"}  # fmt: skip
    # The LLM's absence, as designed: no LLM series, and spt says rules read every title.
    assert (
        prometheus.query('spt_external_service_up{service=~"ollama|anthropic|openai_compat"}') == []
    )
    (none,) = prometheus.query('spt_llm_backend{backend="none"}')
    assert none["value"][1] == "1"
    (target,) = json.loads(fetch(f"{prometheus.url}/api/v1/targets")[1])["data"]["activeTargets"]
    assert target["health"] == "up"


def test_spts_alerting_rules_load_and_evaluate_in_prometheus(prometheus: Prometheus) -> None:
    def groups() -> list[dict[str, Any]] | None:
        rules = json.loads(fetch(f"{prometheus.url}/api/v1/rules")[1])["data"]["groups"]
        evaluated = [
            r for g in rules for r in g["rules"] if r.get("lastEvaluation", "").startswith("2")
        ]
        return rules if rules and len(evaluated) == 6 else None

    (group,) = wait(groups, "the rules to be evaluated", 60)
    assert {r["name"]: r["health"] for r in group["rules"]} == {
        "SptExternalServiceDown": "ok", "SptEbayErrorRateHigh": "ok",
        "SptLlmExtractionErrorRateHigh": "ok", "SptNoNewListings": "ok",
        "SptEbayQuotaNearlySpent": "ok", "SptAlertDeliveryFailing": "ok",
    }  # fmt: skip
    firing = [r["name"] for r in group["rules"] if r["state"] == "firing"]
    assert "SptExternalServiceDown" not in firing  # every service of the demo is up


def test_every_dashboard_query_runs_in_prometheus(prometheus: Prometheus) -> None:
    wait(lambda: prometheus.query("spt_ebay_requests_total"), "a scrape", 60)
    for where, expr in expressions():
        prometheus.query(expr.replace("$__rate_interval", "1m"))  # asserts it parsed and ran
        assert where


# ------------------------------------------------------------------ logs


def test_logs_are_json_lines_with_context_and_no_secret(demo: Demo) -> None:
    lines = list(demo.logs)
    assert len(lines) > 20
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    for entry in entries:
        assert {"ts", "level", "logger", "msg"} <= set(entry), entry
    assert any(e.get("watch_id") and e.get("job") == "ingest" for e in entries)
    assert any(e["logger"] == "app.sidecar" for e in entries)
    text = "\n".join(lines) + "\n".join(demo.stdout)
    for secret in SECRETS.values():
        assert secret not in text


BOUNDED_LABELS = {"service", "status", "backend", "direction", "method", "marketplace", "kind",
                  "event", "job", "state", "destination", "reason", "source", "le"}  # fmt: skip


def test_no_label_takes_unbounded_values(demo: Demo) -> None:
    for family in demo.metrics().values():
        if not family.name.startswith("spt_"):
            continue
        for sample in family.samples:
            assert set(sample.labels) <= BOUNDED_LABELS, (sample.name, sample.labels)
            for name, value in sample.labels.items():
                if name != "le":
                    assert not value.isdigit(), (sample.name, sample.labels)  # no ids
