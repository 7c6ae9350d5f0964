"""Plain-text and JSON renderings of core objects for the CLI."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from typing import Any

from core.alerts.feedback import Precision, Suggestion
from core.alerts.preview import Preview
from core.marketplace.client import effective_buying_options
from core.pricing.baselines import Baseline
from core.settings import ScoringSettings
from core.watches import Watch


def preview_text(result: Preview) -> str:
    """What `spt watch test` found: the listings that would alert now, or the best of them
    and why not (as `/watch test` says it in Discord)."""
    alerting = result.alerting
    if alerting:
        lines = [f"{len(alerting)} of {result.searched} listings on the first page would alert "
                 "now:"]  # fmt: skip
    elif result.items:
        lines = [f"none of {result.searched} listings on the first page would alert; the best "
                 "of them and why not:"]  # fmt: skip
    else:
        return "eBay found nothing for this search (nothing was stored or alerted)"
    for item in alerting or result.items[:5]:
        score = f"{item.score:5.1f}" if item.score is not None else "    -"
        cold = " (immature baseline)" if item.cold_start and item.score is not None else ""
        lines.append(f"{score}  {item.unit_price} {item.currency}  {item.title[:70]}{cold}")
        if item.url:
            lines.append(f"       {item.url}")
        if not item.would_alert:
            lines.append(f"       why not: {item.reason}")
    lines.append(f"({result.total} results on eBay; nothing was stored or alerted)")
    return "\n".join(lines)


def watch_dict(watch: Watch) -> dict[str, Any]:
    """A watch as JSON-ready data, filters in the syntax users type."""
    data = watch.model_dump(mode="json")
    data["filters"] = [f.describe() for f in watch.filters]
    data["currency"] = watch.currency
    return data


def watch_table(watches: list[Watch]) -> str:
    """One line per watch: id, state, type, marketplace, threshold, name, query."""
    if not watches:
        return "no watches"
    header = ("ID", "STATE", "TYPE", "MARKET", "THRESH", "NAME", "QUERY")
    rows = [
        (
            str(w.id),
            "active" if w.enabled else "paused",
            w.component_type.value,
            w.marketplace.value,
            str(w.threshold),
            w.name,
            w.query if len(w.query) <= 50 else w.query[:47] + "...",
        )
        for w in watches
    ]
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header) - 1)]
    lines = []
    for row in (header, *rows):
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]))
    return "\n".join(lines)


def slash_command(watch: Watch, suggestion: Suggestion) -> str:
    """The Discord command that applies a suggestion (spt never applies one itself)."""
    if suggestion.setting == "filter":
        return f"/watch filter watch:{watch.id} action:add filter:{suggestion.value}"
    return f"/watch edit watch:{watch.id} {suggestion.setting}:{suggestion.value}"


def cli_command(watch: Watch, suggestion: Suggestion) -> str:
    """The `spt` command that applies a suggestion (`--filter` adds to the watch's own)."""
    words = ["spt", "watch", "edit", str(watch.id)]
    if watch.guild_id is not None:
        words += ["--guild", str(watch.guild_id)]
    if suggestion.setting == "filter":
        words += ["--filter", suggestion.value]
    else:
        words += [f"--{suggestion.setting.replace('_', '-')}", suggestion.value]
    return shlex.join(words)


def suggestion_text(
    suggestion: Suggestion, command: str, escape: Callable[[str], str] = str
) -> str:
    """`raise the threshold from 80 to 85 (COMMAND), because 4 of 10 alerts were ...`;
    `escape` makes the words safe for the front end (the command is already)."""
    return f"{escape(suggestion.change)} ({command}), because {escape(suggestion.reason)}"


def feedback_dict(
    watch: Watch, precision: Precision, suggestion: Suggestion | None
) -> dict[str, Any]:
    """Precision from feedback and any suggestion, JSON-ready."""
    found = None
    if suggestion is not None:
        found = {**suggestion.as_dict(), "command": cli_command(watch, suggestion)}
    return {**precision.as_dict(), "summary": precision.summary(), "suggestion": found}


def watch_detail(
    watch: Watch, precision: Precision | None = None, suggestion: Suggestion | None = None
) -> str:
    """Every field of one watch, one per line; then its precision from feedback."""
    price = "any"
    if watch.min_price is not None or watch.max_price is not None:
        low = f"{watch.min_price}" if watch.min_price is not None else "0"
        high = f"{watch.max_price}" if watch.max_price is not None else "no limit"
        price = f"{low} to {high} {watch.currency}"
    seller = []
    if watch.min_seller_feedback is not None:
        seller.append(f"feedback >= {watch.min_seller_feedback}")
    if watch.min_seller_percent is not None:
        seller.append(f"positive >= {watch.min_seller_percent}%")
    if watch.top_rated_only:
        seller.append("top-rated only")
    fields = [
        ("id", watch.id),
        ("name", watch.name),
        ("state", "active" if watch.enabled else "paused"),
        ("scope", f"guild {watch.guild_id}" if watch.guild_id is not None else "local"),
        ("query", watch.query),
        ("type", watch.component_type.value),
        ("marketplace", f"{watch.marketplace.value} ({watch.currency})"),
        ("unit price", price),
        ("conditions", ", ".join(c.value for c in watch.conditions) or "any but for_parts"),
        (
            "buying options",
            ", ".join(effective_buying_options(watch.buying_options))
            + ("" if watch.buying_options else " (default)"),
        ),
        ("categories", ", ".join(watch.category_ids) or "any"),
        ("seller", ", ".join(seller) or "any"),
        ("filters", ", ".join(f.describe() for f in watch.filters) or "none"),
        ("threshold", watch.threshold),
        ("cold-start alerts", "yes" if watch.cold_start_opt_in else "no"),
        ("re-alert step", f"{watch.realert_step_pct}%"),
        ("poll interval", f"{watch.poll_interval_seconds}s"),
        ("channel", watch.channel_id if watch.channel_id is not None else "default"),
        ("next run", watch.next_run_at.isoformat(timespec="seconds")),
        ("last run", watch.last_run_at.isoformat(timespec="seconds")
                     if watch.last_run_at else "never"),
        ("last error", watch.last_error or "none"),
        ("delivery problem", watch.delivery_error or "none"),
        ("created", watch.created_at.isoformat(timespec="seconds")),
    ]  # fmt: skip
    if precision is not None:
        fields.append(("precision from feedback", precision.summary()))
        if precision.by_product_key:
            fields.append(("not a deal by product", ", ".join(
                f"{key or 'no product key'} {count}" for key, count in precision.by_product_key
            )))  # fmt: skip
    if suggestion is not None:
        fields.append(("suggestion", suggestion_text(suggestion, cli_command(watch, suggestion))))
    width = max(len(k) for k, _ in fields)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in fields)


def dumps(data: Any) -> str:
    """Compact, stable JSON for machine-readable output."""
    return json.dumps(data, default=str, sort_keys=True)


def eval_summary(report: dict[str, Any]) -> str:
    """`spt eval` for people: headline figures, per type, then the worst misses."""
    lines = [
        f"{report['n']} titles, backend {report['backend']}",
        f"type accuracy   {report['type_accuracy']:.3f}",
        f"field accuracy  {report['field_accuracy']:.3f} ({report['fields_graded']} fields)",
        f"LLM calls       {report['llm_calls_per_listing']:.3f} per listing",
        f"speed           {report['titles_per_second']:.0f} titles/s, latency p50 "
        f"{report['latency_ms']['p50']:.2f} ms, p95 {report['latency_ms']['p95']:.2f} ms",
        "",
        "per type:",
    ]
    for kind, figures in report["per_type"].items():
        lines.append(
            f"  {kind:<12} n={figures['n']:<4} type {figures['type_accuracy']:.3f}  "
            f"fields {figures['field_accuracy']:.3f}"
        )
    if report["worst_misses"]:
        lines += ["", "worst misses:"]
        for miss in report["worst_misses"]:
            wrong = ", ".join(
                f"{name}: {v['got']!r} (want {v['expected']!r})"
                for name, v in miss["wrong_fields"].items()
            )
            kind = (
                f"type {miss['got_type']} (want {miss['expected_type']})"
                if miss["got_type"] != miss["expected_type"]
                else wrong
            )
            lines.append(f"  {miss['id']}: {miss['title'][:70]}\n      {kind}")
    return "\n".join(lines)


def baseline_table(baselines: list[Baseline], min_samples: int) -> str:
    """One line per baseline: key, currency, samples, P10/P50/P90."""
    if not baselines:
        return "no baselines"
    header = ("PRODUCT KEY", "CUR", "SAMPLES", "P10", "P50", "P90", "")
    rows = [
        (b.product_key, b.currency, str(b.sample_count), str(b.p10), str(b.p50), str(b.p90),
         "cold" if b.is_cold(min_samples) else "")
        for b in baselines
    ]  # fmt: skip
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    )


def baseline_detail(
    found: list[tuple[Baseline, list[dict[str, Any]]]], scoring: ScoringSettings
) -> str:
    """Percentiles per currency, what was left out, then the daily P50 history."""
    lines: list[str] = []
    for baseline, history in found:
        b = baseline
        lines.append(f"{b.product_key} ({b.currency})")
        maturity = b.maturity(scoring.cold_start_min_samples, scoring.alert_min_samples)
        lines.append(f"  samples  {b.sample_count} ({b.sold_count} sold); {maturity or 'mature'}")
        lines.append(f"  left out  {'; '.join(b.left_out()) or 'nothing'}")
        lines.append(
            f"  P10 {b.p10}  P25 {b.p25}  P50 {b.p50}  P75 {b.p75}  P90 {b.p90}  mean {b.mean}"
        )
        lines.append(
            f"  window {b.window_days} days, computed {b.computed_at.isoformat(timespec='seconds')}"
        )
        if history:
            trend = ", ".join(f"{h['day']}: {h['p50']}" for h in history)
            lines.append(f"  daily P50: {trend}")
    return "\n".join(lines)
