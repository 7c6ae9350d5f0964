"""Pure functions from domain objects to discord.Embed, within Discord's limits.

Any text that came from eBay or from a user (titles, sellers, watch names and queries) goes
through `plain`, which defuses mentions and markdown and enforces a length; links are
built only from https URLs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import discord
from discord.utils import format_dt

from app.render import slash_command, suggestion_text
from core.alerts.actions import AlertInfo
from core.alerts.card import (
    CONDITION_LABELS,
    FIELD_VALUE_MAX,
    code,
    footer_text,
    link,
    plain,
    safe_url,
)
from core.alerts.feedback import Precision, Suggestion
from core.alerts.preview import Preview
from core.browse import ListingDetail, ListingSummary
from core.guild_settings import GuildOverview
from core.pricing.baselines import Baseline
from core.pricing.scoring import ADJUSTERS
from core.pricing.wording import market_phrase
from core.settings import ScoringSettings
from core.status import StatusReport
from core.watches import Watch

PAGE_SIZE = 10
INFO = 0x3498DB
GOOD = 0x2ECC71
WARN = 0xF1C40F
MUTED = 0x95A5A6
BAD = 0xE74C3C
FOOTER = "spt"


def when(moment: datetime | None, style: str = "R") -> str:
    """A Discord timestamp (shown in each reader's time zone), or "never"."""
    return format_dt(moment, style) if moment is not None else "never"  # type: ignore[arg-type]


def money(amount: Decimal | float | None, currency: str) -> str:
    """`12.50 USD`, or "unknown"."""
    if amount is None:
        return "unknown"
    return f"{Decimal(str(amount)).quantize(Decimal('0.01'))} {currency}"


def chunks(lines: Sequence[str], size: int = PAGE_SIZE) -> list[list[str]]:
    """Lines grouped into pages that each fit an embed description."""
    pages: list[list[str]] = [[]]
    used = 0
    for line in lines:
        if len(pages[-1]) >= size or used + len(line) + 1 > 4000:
            pages.append([])
            used = 0
        pages[-1].append(line)
        used += len(line) + 1
    return pages


def paged(title: str, lines: Sequence[str], empty: str, color: int = INFO) -> list[discord.Embed]:
    """Embeds of at most PAGE_SIZE lines each, titled and numbered."""
    if not lines:
        return [discord.Embed(title=title, description=empty, color=color)]
    groups = chunks(lines)
    result = []
    for number, group in enumerate(groups, start=1):
        embed = discord.Embed(title=title, description="\n".join(group), color=color)
        embed.set_footer(text=f"{FOOTER} · page {number} of {len(groups)} · {len(lines)} in all")
        result.append(embed)
    return result


# ------------------------------------------------------------------ watches


def _state(watch: Watch, now: datetime) -> str:
    if not watch.enabled:
        return "⏸️ paused"
    if watch.muted_until is not None and watch.muted_until > now:
        return f"🔕 muted until {when(watch.muted_until, 'f')}"
    if watch.delivery_error:
        return "⚠️ alerts cannot be delivered"
    if watch.last_error:
        return "⚠️ last run failed"
    return "🟢 active"


def _price_range(watch: Watch) -> str:
    if watch.min_price is None and watch.max_price is None:
        return "any"
    low = money(watch.min_price, watch.currency) if watch.min_price is not None else "0"
    high = money(watch.max_price, watch.currency) if watch.max_price is not None else "no limit"
    return f"{low} to {high}"


def watch_line(watch: Watch, now: datetime) -> str:
    """One watch in a list."""
    return (
        f"**{plain(watch.name, 80)}** `#{watch.id}` · {watch.component_type.value} · "
        f"{watch.marketplace.value} · score ≥ {watch.threshold} · {_state(watch, now)}\n"
        f"  last run {when(watch.last_run_at)} · next {when(watch.next_run_at)}"
    )


def watch_pages(watches: Sequence[Watch], now: datetime) -> list[discord.Embed]:
    """The guild's watches, ten a page."""
    return paged(
        f"Watches ({len(watches)})",
        [watch_line(w, now) for w in watches],
        "No watches yet. Add one with `/watch add`.",
    )


def watch_detail(
    watch: Watch,
    now: datetime,
    title: str | None = None,
    notes: Sequence[str] = (),
    precision: Precision | None = None,
    suggestion: Suggestion | None = None,
) -> discord.Embed:
    """Every setting of one watch, its state and problems; with `precision`, what people
    said of its alerts, and any stricter setting worth trying."""
    embed = discord.Embed(
        title=title or plain(watch.name, 200),
        description=f"Searches eBay for `{code(watch.query, 300)}`",
        color=GOOD if watch.enabled and not watch.delivery_error else WARN,
    )
    conditions = ", ".join(CONDITION_LABELS[c.value] for c in watch.conditions)
    filters = "\n".join(f"`{code(f.describe(), 100)}`" for f in watch.filters)
    fields = [
        ("State", _state(watch, now), True),
        ("Type", watch.component_type.value, True),
        ("Marketplace", f"{watch.marketplace.value} ({watch.currency})", True),
        ("Unit price", _price_range(watch), True),
        ("Conditions", conditions or "any but for parts", True),
        ("Alerts at score", f"{watch.threshold} or more", True),
        ("Filters", filters or "none", False),
        ("Channel", f"<#{watch.channel_id}>" if watch.channel_id else "server default", True),
        ("Immature baselines", "alert anyway" if watch.cold_start_opt_in else "no alerts", True),
        ("Re-alert after", f"a {watch.realert_step_pct}% price drop", True),
        ("Searches", f"every {_duration(watch.poll_interval_seconds)}", True),
        ("Last run", when(watch.last_run_at), True),
        ("Next run", when(watch.next_run_at), True),
    ]
    for name, value, inline in fields:
        embed.add_field(name=name, value=value[:FIELD_VALUE_MAX], inline=inline)
    if watch.last_error:
        embed.add_field(name="Last run failed", value=plain(watch.last_error, 500), inline=False)
    if watch.delivery_error:
        embed.add_field(
            name="Alerts cannot be delivered",
            value=f"{plain(watch.delivery_error, 500)} ({when(watch.delivery_error_at)})",
            inline=False,
        )
    if precision is not None:
        embed.add_field(name="Precision from feedback", value=_precision(precision), inline=False)
    if suggestion is not None:
        command = f"`{code(slash_command(watch, suggestion), 300)}`"
        text = suggestion_text(suggestion, command, lambda part: plain(part, 400))
        embed.add_field(name="Suggestion", value=text[:FIELD_VALUE_MAX], inline=False)
    for note in notes:
        embed.add_field(name="Note", value=note[:FIELD_VALUE_MAX], inline=False)
    embed.set_footer(text=f"{FOOTER} · watch #{watch.id}")
    return embed


def _precision(precision: Precision) -> str:
    """The summary sentence, then the products most often marked not a deal."""
    text = precision.summary()
    if precision.by_product_key:
        keys = ", ".join(f"`{code(key or 'no product key', 100)}` ({count})"
                         for key, count in precision.by_product_key[:3])  # fmt: skip
        text += f"\nMost marked: {keys}"
    return text[:FIELD_VALUE_MAX]


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours != 1 else ''}"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def preview(result: Preview) -> discord.Embed:
    """What `/watch test` found: the listings that would alert, or why none would."""
    watch = result.watch
    alerting = result.alerting
    lines = []
    shown = alerting[:PAGE_SIZE] if alerting else result.items[:5]
    for item in shown:
        score = f"**{item.score:.0f}**" if item.score is not None else "—"
        cold = " · immature baseline" if item.cold_start and item.score is not None else ""
        title = link(item.title, item.url, 90)
        reason = "" if item.would_alert else f"\n  ↳ {plain(item.reason, 150)}"
        lines.append(f"{score} · {money(item.unit_price, item.currency)} · {title}{cold}{reason}")
    if alerting:
        summary = (f"{len(alerting)} of {result.searched} listings on the first page would "
                   "alert now:")  # fmt: skip
    elif result.items:
        summary = (f"None of {result.searched} listings on the first page would alert; "
                   "the best of them and why not:")  # fmt: skip
    else:
        summary = "eBay found nothing for this search."
    embed = discord.Embed(
        title=f"Test of {plain(watch.name, 200)}",
        description="\n".join([summary, *lines])[:4096],
        color=GOOD if alerting else MUTED,
    )
    embed.set_footer(text=f"{FOOTER} · nothing was stored or alerted · {result.total} results")
    return embed


# ------------------------------------------------------------------ listings


def listing_line(item: ListingSummary) -> str:
    """One listing in a list: score, unit price, linked title, spt id."""
    score = f"**{item.score:.0f}**" if item.score is not None else "—"
    cold = " ·  immature" if item.cold_start else ""
    unit = money(item.unit_price, item.currency) if item.unit_price is not None else "?"
    title = link(item.title, item.url, 100)
    return f"{score} · {unit} · {title} · `{item.listing_id}`{cold}"


def listing_pages(title: str, items: Sequence[ListingSummary], empty: str) -> list[discord.Embed]:
    """Listings ten a page (the number after each is its id for `/listing show`)."""
    return paged(title, [listing_line(i) for i in items], empty)


def listing_detail(detail: ListingDetail, chart: str | None) -> discord.Embed:
    """A listing: price, attributes, extraction, score breakdown, baseline, price history."""
    s = detail.summary
    embed = discord.Embed(
        title=plain(s.title, 256) or "(untitled listing)",
        color=GOOD if (s.score or 0) >= 80 else INFO,
    )
    if url := safe_url(s.url):
        embed.url = url
    price = money(s.price, s.currency)
    price += f" + {money(s.shipping, s.currency)} shipping" if s.shipping else ""
    embed.add_field(name="Price", value=price, inline=True)
    unit = money(s.unit_price, s.currency) + (
        f" ({detail.quantity} units)" if detail.quantity > 1 else "")  # fmt: skip
    embed.add_field(name="Unit price", value=unit, inline=True)
    embed.add_field(name="Condition", value=CONDITION_LABELS.get(s.condition, s.condition))
    embed.add_field(name="Product", value=f"`{code(s.product_key or 'none', 100)}`")
    attributes = ", ".join(
        f"{plain(str(k), 30)} {plain(str(v), 40)}" for k, v in sorted(detail.attributes.items())
    )
    embed.add_field(
        name=f"Attributes ({detail.component_type or 'not extracted'})",
        value=attributes[:1000] or "none stated", inline=False,
    )  # fmt: skip
    if detail.method is not None:
        how = detail.method if detail.method == "rules" else f"{detail.backend} {detail.model}"
        confidence = f"{detail.confidence:.2f}" if detail.confidence is not None else "?"
        low = " (low)" if detail.low_confidence else ""
        embed.add_field(name="Read by", value=plain(f"{how}, confidence {confidence}{low}", 200))
    seller = plain(detail.seller_username or "unknown", 60)
    if detail.seller_feedback_score is not None:
        seller += f" · {detail.seller_feedback_score:,}"
    if detail.seller_feedback_percent is not None:
        seller += f" · {detail.seller_feedback_percent}%"
    embed.add_field(name="Seller", value=seller)
    embed.add_field(name="Score", value=score_breakdown(s.score, detail.breakdown), inline=False)
    embed.add_field(
        name="Market", value=baseline_summary(detail.baseline, s.unit_price), inline=False
    )
    seen = f"first {when(detail.first_seen_at)}, last {when(s.last_seen_at)}"
    if not s.active:
        seen += " · no longer listed"
    embed.add_field(name="Seen", value=seen, inline=False)
    if detail.found_by:
        names = ", ".join(plain(n, 60) for n in detail.found_by[:10])
        embed.add_field(name="Found by", value=names[:1000], inline=False)
    if thumbnail := safe_url(s.image_url):
        embed.set_thumbnail(url=thumbnail)
    if chart is not None:
        embed.set_image(url=f"attachment://{chart}")
    embed.set_footer(text=f"{FOOTER} · listing {s.listing_id} · {s.marketplace}")
    return embed


def score_breakdown(score: float | None, breakdown: dict[str, Any]) -> str:
    """`**91**/100 · price 88 (46% under the median, ...)`, then what the other factors
    added or took, and any red flags."""
    if score is None:
        return "not scored (no product key or no baseline yet)"
    parts = []
    price = breakdown.get("price")
    if isinstance(price, dict) and "factor" in price:
        where = f" ({plain(str(price['position']), 100)})" if price.get("position") else ""
        parts.append(f"price {float(price['factor']):.0f}{where}")
    moved = [
        f"{name} {float(item['points']):+.1f}"
        for name in ADJUSTERS
        if isinstance(item := breakdown.get(name), dict) and "points" in item
    ]
    if moved:
        parts.append("adjusted by " + ", ".join(moved))
    text = f"**{score:.0f}**/100 · " + " · ".join(parts)
    flags = [f for f in breakdown.get("flags") or () if isinstance(f, dict)]
    if flags:
        named = ", ".join(plain(str(f.get("phrase") or f.get("code")), 40) for f in flags[:3])
        text += f"\nred flags: {named} (never alerts)"
    return text


def baseline_summary(baseline: Baseline | None, unit: Decimal | None) -> str:
    """Where the price sits against the usual price and how many prices that rests on,
    then the spread."""
    if baseline is None or baseline.p50 is None:
        return "no baseline for this product yet"
    b = baseline
    words = market_phrase(unit, b.p50, b.sample_count, b.currency, b.sold_count)
    return f"{words} · P10 {money(b.p10, b.currency)}, P90 {money(b.p90, b.currency)}"


# ------------------------------------------------------------------ baselines


def baseline_detail(
    baseline: Baseline, scoring: ScoringSettings, chart: str | None, others: Sequence[str] = ()
) -> discord.Embed:
    """Percentiles, sample counts, maturity, what was left out and the distribution chart."""
    b = baseline
    immature = b.maturity(scoring.cold_start_min_samples, scoring.alert_min_samples)
    embed = discord.Embed(
        title=f"Market for {plain(b.product_key, 200)} ({b.currency})",
        description=f"⚠️ {immature[0].upper()}{immature[1:]}." if immature else None,
        color=WARN if immature else INFO,
    )
    for name in ("p10", "p25", "p50", "p75", "p90", "mean"):
        value = getattr(b, name)
        embed.add_field(name=name.upper() if name != "mean" else "Mean",
                        value=money(value, b.currency))  # fmt: skip
    embed.add_field(name="Samples", value=f"{b.sample_count} ({b.sold_count} sold)")
    embed.add_field(name="Window", value=f"{b.window_days} days")
    embed.add_field(name="Left out", value="\n".join(b.left_out()) or "nothing", inline=False)
    embed.add_field(name="Computed", value=when(b.computed_at))
    if others:
        embed.add_field(name="Also in", value=", ".join(others), inline=False)
    if chart is not None:
        embed.set_image(url=f"attachment://{chart}")
    embed.set_footer(text=f"{FOOTER} · unit prices, (price + shipping) / quantity")
    return embed


# ------------------------------------------------------------------ alerts


_ALERT_STATE = {
    "pending": "⏳", "queued": "⏳", "delivered": "✅", "failed": "❌", "dismissed": "🗑️",
    "muted": "🔕", "capped": "🚫",
}  # fmt: skip


def alert_line(row: dict[str, Any]) -> str:
    """One alert of `/alerts recent`."""
    state = _ALERT_STATE.get(row["status"], "•")
    title = link(row["title"], row.get("url"), 80)
    extra = " · not a deal" if row.get("feedback") == "not_a_deal" else ""
    attempts = row.get("attempts") or 0
    reason = row.get("suppressed_reason")
    held = f"\n  not posted: {plain(reason, 160)}" if reason else ""
    return (
        f"{state} **{float(row['score']):.0f}** · {money(row['unit_price'], row['currency'])} · "
        f"{title}\n  {plain(row['watch_name'], 60)} · {row['status']} · {attempts} attempt(s) · "
        f"{when(row['created_at'])}{extra}{held}"
    )


def alert_pages(rows: Sequence[dict[str, Any]]) -> list[discord.Embed]:
    """The guild's recent alerts, ten a page."""
    return paged(f"Recent alerts ({len(rows)})", [alert_line(r) for r in rows],
                 "No alerts yet: spt posts one when a watch finds a deal.")  # fmt: skip


def dismissed(info: AlertInfo, user: discord.abc.User) -> discord.Embed:
    """What a dismissed alert's message turns into."""
    embed = discord.Embed(
        title=plain(info.title, 256) or "(untitled listing)",
        description=f"Dismissed by {user.mention} · {money(info.unit_price, info.currency)} · "
        f"score {float(info.score):.0f}",
        color=MUTED,
    )
    if url := safe_url(info.url):
        embed.url = url
    name = footer_text(info.watch_name, 100)
    embed.set_footer(text=f"{FOOTER} · {name} · alert {info.alert_id}")
    return embed


def digest_dismissed(
    original: discord.Embed | None, count: int, user: discord.abc.User
) -> discord.Embed:
    """A digest after "Dismiss all"."""
    title = original.title if original is not None and original.title else "Deals"
    return discord.Embed(
        title=title, description=f"{count} alert(s) dismissed by {user.mention}", color=MUTED
    )


def feedback_noted(info: AlertInfo) -> discord.Embed:
    """The thank-you for "Not a deal"."""
    return discord.Embed(
        description=f"Noted: alert {info.alert_id} ({plain(info.title, 80)}) is not a deal. "
        "spt keeps this to tune scores and thresholds.",
        color=INFO,
    )


def watch_muted(info: AlertInfo, held: int) -> discord.Embed:
    """The answer to "Mute watch 24h"."""
    held_text = f"; {held} alert(s) not yet sent were held back" if held else ""
    return discord.Embed(
        description=f"🔕 **{plain(info.watch_name, 100)}** is muted until "
        f"{when(info.muted_until, 'f')}{held_text}. `/watch resume` lifts it sooner.",
        color=MUTED,
    )


# ------------------------------------------------------------------ server settings


def guild_settings_fields(
    overview: GuildOverview, operator_roles: Sequence[int] = ()
) -> list[tuple[str, str]]:
    """A guild's `/config` settings as (name, value) pairs: roles and channels as mentions
    (which never ping: the bot sends every message with allowed_mentions none)."""
    s = overview.settings
    roles = ", ".join(f"<@&{r}>" for r in s.manager_role_ids) or "none of its own"
    if operator_roles:
        roles += " · set by spt's operator: " + ", ".join(f"<@&{r}>" for r in operator_roles)
    roles += " · and anyone with Manage Server"
    channel = (
        f"<#{s.default_channel_id}>" if s.default_channel_id
        else "none (watches without a channel use the operator's default channel, if set)"
    )  # fmt: skip
    quiet = s.quiet_hours_text()
    if overview.quiet_now:
        quiet += " · 🌙 quiet now: alerts wait in the queue until it ends"
    cap = f"{s.daily_cap} alert(s) per channel a day" if s.daily_cap else "none"
    cap += f" · {overview.held_today} held back today ({overview.today.isoformat()})"
    return [
        ("Manager roles", roles),
        ("Default alert channel", channel),
        ("Quiet hours", quiet),
        ("Daily cap", cap),
        ("Time zone", f"{s.zone_name} (quiet hours and the cap's days)"),
    ]


def guild_settings(
    overview: GuildOverview,
    operator_roles: Sequence[int] = (),
    title: str = "Server settings",
    notes: Sequence[str] = (),
) -> discord.Embed:
    """`/config show` and the answer to every `/config` change."""
    embed = discord.Embed(title=title, color=INFO)
    for name, value in guild_settings_fields(overview, operator_roles):
        embed.add_field(name=name, value=value[:FIELD_VALUE_MAX], inline=False)
    for note in notes:
        embed.add_field(name="Note", value=note[:FIELD_VALUE_MAX], inline=False)
    embed.set_footer(text=f"{FOOTER} · managers change these with /config")
    return embed


# ------------------------------------------------------------------ status


def ingesting(report: StatusReport) -> bool:
    """Whether some process searches eBay and the budget allows it."""
    if report.ingestion:
        return report.ingestion.startswith("running")
    return not report.ingestion_paused


def status(report: StatusReport, now: datetime) -> discord.Embed:
    """External services, eBay quota, queue, watches, problems and loops."""
    down = [s for s in report.services if not s.up]
    embed = discord.Embed(title="spt status", color=BAD if down or not ingesting(report) else GOOD)
    services = "\n".join(
        f"{'🟢' if s.up else '🔴'} **{s.service}** "
        + (f"up ({s.seconds * 1000:.0f} ms)" if s.up else f"down: {plain(s.detail or '', 200)}")
        + f" · checked {when(s.checked_at)}"
        for s in report.services
    )
    embed.add_field(name="Services", value=services or "none checked yet", inline=False)
    q = report.quota
    quota = (f"{q.used:,} of {q.limit:,} calls used, {q.remaining:,} left · resets "
             f"{when(q.reset_at)}")  # fmt: skip
    if not ingesting(report):
        quota += f"\n⏸️ ingestion {report.ingestion or 'paused until the reset'}"
    if report.stretch > 1:
        quota += f"\nintervals stretched x{report.stretch:.2f} to fit the budget"
    embed.add_field(name="eBay quota", value=quota, inline=False)
    insights = report.insights
    if insights.access is not None and insights.access.enabled:
        # eBay's error_description is text from outside: made inert like any other.
        embed.add_field(
            name="Marketplace Insights",
            value=("⚠️ " if insights.unavailable else "") + plain(insights.summary(), 1000),
            inline=False,
        )
    if report.delivery:
        embed.add_field(name="Alert delivery", value=report.delivery, inline=False)
    queue = report.queue
    embed.add_field(
        name="Extraction queue",
        value=f"{queue['pending']} waiting · {queue['running']} running · {queue['parked']} parked",
        inline=False,
    )
    w = report.watches
    embed.add_field(
        name="Watches",
        value=f"{w['enabled']} of {w['total']} active · {w['due']} due · {w['muted']} muted\n"
        f"last run {when(w['last_run'])} · next {when(w['next_due'])}",
        inline=False,
    )
    if report.guild is not None:
        lines = [f"**{name}**: {value}" for name, value in guild_settings_fields(report.guild)]
        embed.add_field(name="Server settings", value="\n".join(lines)[:FIELD_VALUE_MAX],
                        inline=False)  # fmt: skip
    if report.problems:
        lines = []
        for p in report.problems[:10]:
            what = p.delivery_error or p.run_error or ""
            label = "alerts undeliverable" if p.delivery_error else "last run failed"
            lines.append(f"⚠️ **{plain(p.name, 60)}** `#{p.watch_id}`: {label}: "
                         f"{plain(what, 160)}")  # fmt: skip
        embed.add_field(name="Problems", value="\n".join(lines)[:FIELD_VALUE_MAX], inline=False)
    loops = " · ".join(f"{job} {when(at)}" for job, at in report.last_success.items())
    embed.add_field(name="Last success", value=loops, inline=False)
    embed.set_footer(text=f"{FOOTER} · {now:%Y-%m-%d %H:%M} UTC")
    return embed
