"""`spt eval-alerts`: spt's real extraction, scoring and alert decision over judged alerts.

A judged case is a listing as eBay showed it (title, condition, price, shipping, seller),
the market of its product (baseline percentiles and sample count), the watch as a user
would write it, and a person's label: `deal` (one a homelabber would drop everything
for), `fair` (the right product at an ordinary price, or an unproven market) or `noise`
(not the product, broken, doubtful or suspicious). The report counts deals alerted,
non-deals alerted, precision and the ROC AUC of the score as a deal detector; a case the
watch's gates refuse (type, filters, condition, red flags, maturity) ranks at 0.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from core.alerts.judge import Judgement, judge
from core.extract.evaluate import DatasetError, jsonl_rows
from core.extract.service import Extractor
from core.marketplace.listing import MarketListing
from core.models import Condition, Marketplace
from core.pricing.scoring import Market
from core.settings import Settings
from core.watches import InvalidWatchError, Watch, unsaved

LABELS = ("deal", "fair", "noise")
TARGET_PRECISION = 0.8
_PERCENTILES = ("p10", "p25", "p50", "p75", "p90")
# A stand-in picture: real listings all carry one, and the score reads only its presence.
_IMAGE = "https://i.ebayimg.com/images/g/judged/s-l1600.jpg"


@dataclass(frozen=True)
class JudgedCase:
    """One judged alert, ready to run."""

    id: str
    label: str
    reason: str
    listing: MarketListing
    market: Market
    watch: Watch


@dataclass(frozen=True)
class CaseResult:
    """What spt made of one judged case."""

    case: JudgedCase
    judgement: Judgement
    rank: float  # the score where the watch's gates let the listing through, else 0

    @property
    def alerted(self) -> bool:
        """Whether spt would alert."""
        return self.judgement.decision.alert


def _decimal(row: dict[str, Any], key: str, where: str, *, optional: bool = False) -> Any:
    value = row.get(key)
    if value is None and optional:
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise DatasetError(f"{where}: {key} must be a decimal number, got {value!r}") from None
    if not number.is_finite() or number < 0:
        raise DatasetError(f"{where}: {key} must be 0 or more, got {value!r}")
    return number


def _market(row: Any, where: str) -> Market:
    if not isinstance(row, dict):
        raise DatasetError(f'{where}: "baseline" must be an object')
    count = row.get("sample_count")
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise DatasetError(f"{where}: baseline.sample_count must be a whole number >= 0")
    values = [_decimal(row, p, f"{where}: baseline") for p in _PERCENTILES]
    if values != sorted(values):
        raise DatasetError(f"{where}: baseline percentiles must not decrease (p10 <= ... <= p90)")
    return Market(count, *values)


def _watch(row: Any, marketplace: Marketplace, settings: Settings, now: datetime, where: str
           ) -> Watch:  # fmt: skip
    if not isinstance(row, dict) or not isinstance(row.get("query"), str):
        raise DatasetError(f'{where}: "watch" must be an object with a "query"')
    fields = {
        "name": row["query"][:100] or "judged",
        "query": row["query"],
        "component_type": row.get("type"),
        "marketplace": marketplace,
        "filters": row.get("filters") or [],
        "conditions": row.get("conditions") or [],
        **{k: row[k] for k in ("max_price", "min_price", "threshold", "cold_start_opt_in")
           if row.get(k) is not None},
    }  # fmt: skip
    try:
        return unsaved(fields, settings, now)
    except InvalidWatchError as exc:
        raise DatasetError(f"{where}: watch: {exc}") from None


def _case(row: dict[str, Any], settings: Settings, now: datetime, where: str) -> JudgedCase:
    label = row.get("label")
    if label not in LABELS:
        raise DatasetError(f"{where}: label must be one of {', '.join(LABELS)}, got {label!r}")
    title = row.get("title")
    if not isinstance(title, str) or not title.strip():
        raise DatasetError(f'{where}: each line needs a non-empty "title"')
    try:
        marketplace = Marketplace(row.get("marketplace") or "EBAY_US")
        condition = Condition(row.get("condition") or "unknown")
    except ValueError as exc:
        raise DatasetError(f"{where}: {exc}") from None
    seller = row.get("seller") or {}
    if not isinstance(seller, dict):
        raise DatasetError(f'{where}: "seller" must be an object')
    option = str(row.get("buying_option") or "FIXED_PRICE").upper()
    listing = MarketListing(
        marketplace=marketplace,
        item_id=str(row.get("id") or where),
        title=title,
        price=_decimal(row, "price", where),
        currency=str(row.get("currency") or marketplace.currency),
        shipping=_decimal(row, "shipping", where, optional=True),
        image_url=_IMAGE,
        seller_feedback_score=seller.get("feedback_score"),
        seller_feedback_percent=_decimal(seller, "feedback_percent", where, optional=True),
        seller_top_rated=seller.get("top_rated"),
        condition=condition,
        buying_options=(option,),
    )
    return JudgedCase(
        id=str(row.get("id") or where),
        label=label,
        reason=str(row.get("reason") or ""),
        listing=listing,
        market=_market(row.get("baseline"), where),
        watch=_watch(row.get("watch"), marketplace, settings, now, where),
    )


def load_cases(path: Path, settings: Settings, now: datetime) -> list[JudgedCase]:
    """Read a JSONL file of judged alerts; a bad line raises DatasetError naming it."""
    cases: list[JudgedCase] = []
    for where, row in jsonl_rows(path):
        if not isinstance(row, dict):
            raise DatasetError(f"{where}: each line must be a JSON object")
        cases.append(_case(row, settings, now, where))
    if not cases:
        raise DatasetError(f"{path}: no cases")
    return cases


def auc(positives: Sequence[float], negatives: Sequence[float]) -> float | None:
    """ROC AUC: the chance a random positive ranks above a random negative (ties half)."""
    if not positives or not negatives:
        return None
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in positives for n in negatives)
    return round(wins / (len(positives) * len(negatives)), 4)


async def run_case(case: JudgedCase, extractor: Extractor, settings: Settings, now: datetime
                   ) -> CaseResult:  # fmt: skip
    """Extract, score and decide one case as the pipeline would."""
    listing = case.listing
    outcome = await extractor.extract(listing.title, listing.marketplace, listing.category_ids)
    found = judge(case.watch, listing, outcome, case.market, settings.scoring, now)
    gates = judge(case.watch.model_copy(update={"threshold": 0}), listing, outcome,
                  case.market, settings.scoring, now)  # fmt: skip
    passes = gates.decision.alert and found.score is not None
    return CaseResult(case, found, found.score.value if passes and found.score else 0.0)


def _row(result: CaseResult) -> dict[str, Any]:
    j = result.judgement
    return {
        "id": result.case.id,
        "label": result.case.label,
        "title": result.case.listing.title,
        "score": None if j.score is None else j.score.value,
        "price": (j.score.breakdown["price"]["position"] if j.score else None),
        "decision": j.decision.reason,
    }


def report(results: Sequence[CaseResult], dataset: str) -> dict[str, Any]:
    """Deals alerted, non-deals alerted, precision, recall and AUC, with the misses named."""
    labels = Counter(r.case.label for r in results)
    alerted = Counter(r.case.label for r in results if r.alerted)
    deals_alerted = alerted["deal"]
    non_deals = alerted["fair"] + alerted["noise"]
    total_alerts = deals_alerted + non_deals
    precision = round(deals_alerted / total_alerts, 4) if total_alerts else None
    recall = round(deals_alerted / labels["deal"], 4) if labels["deal"] else None
    targets = {
        "every_deal_alerted": deals_alerted == labels["deal"],
        "precision_at_least_0.8": precision is not None and precision >= TARGET_PRECISION,
        "no_noise_alerted": alerted["noise"] == 0,
    }
    deal_ranks = [r.rank for r in results if r.case.label == "deal"]
    other_ranks = [r.rank for r in results if r.case.label != "deal"]
    by_type: dict[str, dict[str, int]] = {}
    for r in results:
        kind = by_type.setdefault(
            r.case.watch.component_type.value,
            {"cases": 0, "deals": 0, "alerted": 0, "deals_alerted": 0},
        )
        kind["cases"] += 1
        kind["deals"] += r.case.label == "deal"
        kind["alerted"] += r.alerted
        kind["deals_alerted"] += r.alerted and r.case.label == "deal"  # fmt: skip
    return {
        "dataset": dataset,
        "cases": len(results),
        "labels": {label: labels[label] for label in LABELS},
        "deals_alerted": deals_alerted,
        "non_deals_alerted": non_deals,
        "fair_alerted": alerted["fair"],
        "noise_alerted": alerted["noise"],
        "alerts": total_alerts,
        "precision": precision,
        "recall": recall,
        "auc": auc(deal_ranks, other_ranks),
        "targets": targets,
        "met": all(targets.values()),
        "by_type": by_type,
        "missed_deals": [_row(r) for r in results if r.case.label == "deal" and not r.alerted],
        "false_alerts": [_row(r) for r in results if r.case.label != "deal" and r.alerted],
    }


async def evaluate_alerts(
    cases: Sequence[JudgedCase],
    extractor: Extractor,
    settings: Settings,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
    dataset: str = "",
) -> dict[str, Any]:
    """Run every case and report."""
    results = []
    for done, case in enumerate(cases, start=1):
        results.append(await run_case(case, extractor, settings, now))
        if progress is not None:
            progress(done, len(cases))
    return report(results, dataset)


def summary(result: dict[str, Any]) -> str:
    """The report for people."""
    lines = [
        f"{result['cases']} judged cases: "
        + ", ".join(f"{n} {k}" for k, n in result["labels"].items()),
        f"deals alerted: {result['deals_alerted']} of {result['labels']['deal']}",
        f"non-deals alerted: {result['non_deals_alerted']} "
        f"({result['fair_alerted']} fair, {result['noise_alerted']} noise)",
        f"precision: {_pct(result['precision'])}  recall: {_pct(result['recall'])}  "
        f"AUC: {result['auc'] if result['auc'] is not None else '-'}",
    ]  # fmt: skip
    for name, ok in result["targets"].items():
        lines.append(f"  {'ok  ' if ok else 'MISS'} {name.replace('_', ' ')}")
    for title, rows in (("missed deals", result["missed_deals"]),
                        ("alerts that are not deals", result["false_alerts"])):  # fmt: skip
        if rows:
            lines.append(f"{title}:")
            lines += [f"  {r['id']} [{r['label']}] {r['title'][:70]} -> {r['decision']}"
                      for r in rows]  # fmt: skip
    return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"
