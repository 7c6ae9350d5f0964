"""`spt extract`, `spt eval`, `spt eval-alerts` and `spt reextract`: reading titles into
attributes, and measuring how well that works."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from app.cli.base import (
    EXIT_CONFIG,
    EXIT_FAILURE,
    CliState,
    fail,
    json_flag,
    pass_state,
    run_command,
)
from app.render import dumps, eval_summary
from app.services import extractor_session, open_services
from core.alerts.evaluate import evaluate_alerts, load_cases
from core.alerts.evaluate import summary as alerts_summary
from core.config_reload import SettingsHolder
from core.extract.evaluate import DatasetError, Example, evaluate, load_examples, outcome_json
from core.extract.llm import llm_configured
from core.models import ComponentType, choices

BACKENDS = ("rules", "auto", "ollama", "anthropic", "openai_compat")
backend_option = click.option(
    "--backend",
    type=click.Choice(BACKENDS),
    help="Extraction mode (default: extract.backend): rules, auto (rules, LLM when unsure) "
    "or one LLM backend for every title.",
)
model_option = click.option("--model", help="Model for the LLM backend (overrides llm.*_model).")


def _extract_holder(state: CliState, backend: str | None, model: str | None) -> SettingsHolder:
    holder = state.holder()
    overrides: dict[str, Any] = {}
    if backend:
        overrides["extract"] = {"backend": backend}
    if model:
        llm = (
            holder.current.llm.backend
            if (backend or holder.current.extract.backend) in ("auto", "rules")
            else (backend or holder.current.extract.backend)
        )
        overrides["llm"] = {f"{'openai' if llm == 'openai_compat' else llm}_model": model}
    if overrides:
        holder.pin(overrides)
    mode = holder.current.extract.backend
    if mode not in ("rules", "auto") and not llm_configured(holder.current, mode):
        hint = "set ANTHROPIC_API_KEY" if mode == "anthropic" else "see [llm] in config.toml"
        fail(f"the {mode} backend is not configured: {hint}", EXIT_CONFIG)
    return holder


@click.command()
@click.argument("titles", nargs=-1)
@click.option("--jsonl", type=click.Path(path_type=Path, dir_okay=False),
              help="Read titles from JSONL lines in the eval format instead.")  # fmt: skip
@backend_option
@model_option
@pass_state
def extract(
    state: CliState, titles: tuple[str, ...], jsonl: Path | None, backend: str | None,
    model: str | None,
) -> None:  # fmt: skip
    """Read titles into attributes: one JSON object per line, as production would store it."""
    if not titles and jsonl is None:
        raise click.UsageError("give one or more TITLEs or --jsonl PATH")
    holder = _extract_holder(state, backend, model)
    try:
        examples = (
            load_examples(jsonl, labelled=False)
            if jsonl is not None
            else [Example("", t, None, None) for t in titles]
        )
    except DatasetError as exc:
        fail(str(exc), EXIT_CONFIG)

    async def go() -> None:
        async with extractor_session(holder) as extractor:
            for example in examples:
                outcome = await extractor.extract(example.title, example.marketplace)
                click.echo(dumps(outcome_json(example.id or None, example.title, outcome)))

    run_command(go())


def _progress(quiet: bool) -> Callable[[int, int], None]:
    """`done/total` on a terminal's stderr every 25 items, for long evaluations."""

    def show(done: int, total: int) -> None:
        if not quiet and sys.stderr.isatty() and (done % 25 == 0 or done == total):
            click.echo(f"\r{done}/{total}", err=True, nl=done == total)

    return show


@click.command("eval")
@click.option("--dataset", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="JSONL of labelled titles (id, title, marketplace, expected).")  # fmt: skip
@backend_option
@model_option
@json_flag
@pass_state
def eval_command(
    state: CliState, dataset: Path, backend: str | None, model: str | None, as_json: bool
) -> None:
    """Grade an extraction setup on labelled titles: accuracy, LLM calls, speed, misses."""
    holder = _extract_holder(state, backend, model)
    try:
        examples = load_examples(dataset)
    except DatasetError as exc:
        fail(str(exc), EXIT_CONFIG)

    progress = _progress(quiet=as_json)

    async def go() -> dict[str, Any]:
        async with extractor_session(holder) as extractor:
            return await evaluate(extractor, examples, progress)

    report = run_command(go())
    if as_json:
        click.echo(json.dumps(report))
        return
    click.echo(eval_summary(report))


@click.command("eval-alerts")
@click.option(
    "--dataset",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="JSONL of judged alerts (listing, baseline, watch, label deal|fair|noise).",
)
@click.option(
    "--backend",
    type=click.Choice(["rules", "auto", "ollama", "anthropic", "openai_compat"]),
    default="rules",
    show_default=True,
    help="Extraction mode: rules alone measures the decision, not an LLM's answers.",
)
@json_flag
@pass_state
def eval_alerts_command(state: CliState, dataset: Path, backend: str, as_json: bool) -> None:
    """Run extraction, scoring and the alert decision over judged alerts: deals alerted,
    non-deals alerted, precision and AUC. Exits 1 when a target is missed."""
    holder = _extract_holder(state, backend, None)
    now = datetime.now(UTC)
    try:
        cases = load_cases(dataset, holder.current, now)
    except DatasetError as exc:
        fail(str(exc), EXIT_CONFIG)

    progress = _progress(quiet=as_json)

    async def go() -> dict[str, Any]:
        async with extractor_session(holder) as extractor:
            return await evaluate_alerts(cases, extractor, holder.current, now, progress,
                                         str(dataset))  # fmt: skip

    result = run_command(go())
    click.echo(json.dumps(result) if as_json else alerts_summary(result))
    if not result["met"]:
        sys.exit(EXIT_FAILURE)


@click.command()
@click.option("--type", "component_type", help="Only listings extracted as this type.")
@click.option("--low-confidence", is_flag=True, help="Only low-confidence extractions.")
@pass_state
def reextract(state: CliState, component_type: str | None, low_confidence: bool) -> None:
    """Queue listings for extraction again (e.g. after a better model or rules)."""
    if component_type is not None and component_type not in {t.value for t in ComponentType}:
        click.echo(
            f"error: unknown type {component_type!r}; choose one of {choices(ComponentType)}",
            err=True,
        )
        sys.exit(EXIT_CONFIG)
    holder = state.holder()

    async def go() -> int:
        async with open_services(holder) as services:
            return await services.requeue(component_type, low_confidence)

    queued = run_command(go())
    click.echo(f"queued {queued} listing(s) for extraction")
