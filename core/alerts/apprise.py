"""Apprise delivery: alerts as notifications to ntfy, Gotify, email and the rest.

`alerts.apprise_urls` lists Apprise URLs (https://appriseit.com/services/); each is a
target of its own, with its own circuit breaker. Every outbox message goes to every
target; a target that accepted it is recorded on the message (a fingerprint of its URL,
`outbox.accepted_targets`), so a retry after another target failed goes only to the
targets still without it. A message is delivered once every target accepted it, and
retried later (up to `alerts.max_delivery_attempts`) otherwise. Apprise cannot look a
notification up, so a sender that dies after a target accepted one but before recording
it sends it there again: at-least-once.

Each notification is written in what its target renders (`resolve_format`): plain text
for most (ntfy, Gotify, mail), Markdown or HTML where the target renders that (ntfy with
`?format=markdown`, Telegram), with the alert's link as a link. Listing text is made
inert first (`inert`): one line, so a title cannot fake a line of its own; mentions
(@everyone, @room, <!channel>, <@id>) and bare links defused; and the characters that
format Markdown swapped for look-alikes, so it formats nothing even where a target reads
plain text as Markdown (Discord through Apprise); HTML escapes the rest.

Apprise's own log lines can name a target's topic, address or user, which for ntfy is
the secret, so they are kept out of spt's log; spt logs and records each failure by the
target's key (`alerts.apprise_urls[0]`) and service name instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import html
import logging
import re
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from core.alerts.card import CONDITION_LABELS, AlertCard, safe_url
from core.alerts.discord_sender import RETRY_DELAY_SECONDS, OutboxSender
from core.clock import Clock
from core.db import alerts as repo
from core.db.pool import Pool
from core.observability.metrics import ALERTS
from core.pricing.wording import amount
from core.resilience import RetryableError, ServiceError, ServicePolicy, breaker_factory
from core.settings import Settings

if TYPE_CHECKING:
    import apprise

log = logging.getLogger(__name__)

SERVICE = "apprise"
# The longest body spt writes to any target, whatever more a target takes: a digest of
# ~25 lines still reads on a phone; Apprise passes a longer body on as it is.
BODY_MAX = 4000
TITLE_MAX = 200
SERVICES_URL = "https://appriseit.com/services/"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]{0,31})://")
# @everyone, @here, @room, @channel, <@123>, <#123>, <!channel>: a zero-width space after
# the @ or < keeps the text and stops every service's mention syntax.
_MENTION = re.compile(r"([@<])(?=[!#&@]?\w)")
_BARE_LINK = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*):(?=//)")
# Apprise's plugins end a failure's log line with `error=<HTTP status>`; ntfy's own error
# codes (40301) start with the status.
_HTTP_STATUS = re.compile(r"error=([1-5]\d\d)\d*\b")


def _apprise_logger_quiet() -> None:
    """Keep Apprise's log lines (which can name a target's secrets) out of spt's log;
    Apprise still captures them for each call's result. The same for urllib3's debug
    lines under it (requests' connections), whose paths hold some services' tokens."""
    logger = logging.getLogger("apprise")
    if logger.propagate:
        logger.addHandler(logging.NullHandler())
        logger.propagate = False
    logging.getLogger("urllib3").setLevel(logging.WARNING)


def url_problem(url: str) -> str | None:
    """Why Apprise cannot load this URL, in words naming no part of it but its scheme;
    None when it loads."""
    import apprise

    _apprise_logger_quiet()
    scheme = _SCHEME.match(url.strip())
    if scheme is None:
        return "an Apprise URL, scheme://... (e.g. ntfys://ntfy.example.org/deals)"
    name = scheme.group(1).lower()
    plugins = apprise.NotificationManager()  # type: ignore[no-untyped-call]  # a singleton
    if name not in plugins:
        return f"an Apprise URL; {name}:// is not a service Apprise knows ({SERVICES_URL})"
    if apprise.Apprise.instantiate(url.strip(), asset=_asset()) is None:
        help_url = getattr(plugins[name], "setup_url", None) or SERVICES_URL
        return f"an Apprise URL that loads; this {name}:// URL does not (its form: {help_url})"
    return None


def _asset() -> apprise.AppriseAsset:
    import apprise

    return apprise.AppriseAsset(
        app_id="spt", app_desc="spt deal alerts", app_url="https://github.com/spt-dev/spt"
    )


def fingerprint(url: str) -> str:
    """What the outbox records for a target that accepted a message: never the URL."""
    return hashlib.sha256(url.strip().encode()).hexdigest()[:16]


# ------------------------------------------------------------------ rendering

# Characters that format text in Markdown (and Discord, Slack and Matrix): in listing text
# they become look-alikes, so the text reads the same and formats nothing, whatever a
# target makes of it. (The same swap as inside an alert embed's link text.)
_LOOK_ALIKES = str.maketrans({"[": "(", "]": ")", "*": "\u2217", "_": " ", "~": "\u223c",
                              "`": "\u02cb", "|": "\u00a6", "\\": "\u29f5"})  # fmt: skip


def inert(text: str, limit: int) -> str:
    """Untrusted text for a notification: one line, no control or direction characters,
    mentions and bare links defused, formatting characters swapped for look-alikes,
    within `limit` characters."""
    one_line = " ".join(str(text).split())
    printable = "".join(c for c in one_line if unicodedata.category(c) not in ("Cc", "Cf"))
    defused = _BARE_LINK.sub("\\1:\u200b", _MENTION.sub("\\1\u200b", printable))
    flat = " ".join(defused.translate(_LOOK_ALIKES).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class Line:
    """A line of a notification: spt's own words (listing text in them already inert),
    then maybe a link."""

    text: str
    link: str | None = None

    def plain(self) -> str:
        return " ".join(p for p in (self.text, self.link) if p)

    def markdown(self) -> str:
        # <url> is an autolink in every CommonMark renderer; the text holds nothing to escape.
        return " ".join(p for p in (self.text, f"<{self.link}>" if self.link else "") if p)

    def html(self) -> str:
        text = html.escape(self.text)
        if self.link is None:
            return text
        link = html.escape(self.link)
        return " ".join(p for p in (text, f'<a href="{link}">{link}</a>') if p)


@dataclass(frozen=True)
class Notification:
    """One Apprise notification: a plain title and its lines."""

    title: str
    lines: tuple[Line, ...]

    def body(self, format_name: str) -> str:
        """The body as `text`, `markdown` or `html` (what the target renders)."""
        if format_name == "markdown":
            return "  \n".join(line.markdown() for line in self.lines)  # hard line breaks
        if format_name == "html":
            return "<br/>\n".join(line.html() for line in self.lines)
        return "\n".join(line.plain() for line in self.lines)


def _unit(card: AlertCard) -> str:
    # Numbers and a char(3) currency from spt's own columns; made inert anyway.
    try:
        return amount(card.unit_price, inert(card.currency, 3))
    except ArithmeticError:
        return f"{inert(card.unit_price, 20)} {inert(card.currency, 3)}"


def alert_notification(card: AlertCard, title_max: int = TITLE_MAX) -> Notification:
    """One alert: the listing's title; its unit price, market, score, condition, watch
    and link, a line each."""
    units = f" ({card.quantity} units)" if card.quantity > 1 else ""
    condition = CONDITION_LABELS.get(card.condition, inert(card.condition, 40))
    again = f" · price dropped, alert #{card.sequence}" if card.sequence > 1 else ""
    lines = [
        Line(f"{_unit(card)} per unit{units}"),
        Line(card.market()),
        Line(f"Score {card.score:.0f}/100 · {condition}"),
        Line(f"Watch: {inert(card.watch_name, 100)}{again}"),
    ]
    if card.cold_start:
        lines.append(Line(f"Baseline immature: only {card.baseline_samples} price(s) known "
                          "for this product"))  # fmt: skip
    if link := safe_url(card.link_url()):
        lines.append(Line("", link))
    title = inert(card.title, max(20, min(title_max or TITLE_MAX, TITLE_MAX)))
    return Notification(title or "(untitled listing)", tuple(lines))


def digest_notification(cards: Sequence[AlertCard], body_max: int = BODY_MAX) -> Notification:
    """A burst as one notification: a line per alert, best first, as many as fit in
    `body_max` characters (as plain text), then how many more there are."""
    best = sorted(cards, key=lambda c: c.score, reverse=True)
    lines = []
    for card in best:
        cold = " · immature baseline" if card.cold_start else ""
        parts = [f"{card.score:.0f}", _unit(card), inert(card.title, 100) or "(untitled)"]
        lines.append(Line(" · ".join(parts) + cold, safe_url(card.link_url())))
    budget = max(200, min(body_max, BODY_MAX))
    shown = _fitting(lines, budget)
    if shown < len(lines):
        shown = _fitting(lines, budget - len(f"\n… and {len(lines)} more"))
    hidden = len(lines) - shown
    kept = lines[:shown] + ([Line(f"… and {hidden} more")] if hidden else [])
    return Notification(f"{len(best)} new deals", tuple(kept))


def _fitting(lines: list[Line], budget: int) -> int:
    used = -1
    for count, line in enumerate(lines):
        used += len(line.plain()) + 1
        if used > budget:
            return count
    return len(lines)


# ------------------------------------------------------------------ sending


@dataclass
class Target:
    """One configured Apprise URL, loaded once, with its own breaker."""

    key: str  # alerts.apprise_urls[0]: how logs and errors name it
    service: str  # Apprise's name for the service, e.g. ntfy
    fingerprint: str
    notifier: apprise.Apprise
    policy: ServicePolicy
    title_max: int
    body_max: int
    # What the target renders (`text`, `markdown` or `html`): spt writes that itself, so
    # its links stay links, instead of plain text Apprise would escape link and all.
    format_name: str

    def label(self) -> str:
        return f"{self.key} ({self.service})"


def _load(index: int, url: str, settings: Callable[[], Settings]) -> Target | None:
    import apprise

    _apprise_logger_quiet()
    notifier = apprise.Apprise(asset=_asset())
    key = f"alerts.apprise_urls[{index}]"
    if not notifier.add(url.strip()) or len(notifier) != 1:
        # Settings validation loads every URL first; a plugin that stopped loading since
        # is named and left out (its messages wait for it, they are never marked sent).
        log.error("%s: Apprise cannot load this URL; its alerts wait", key)
        return None
    plugin = notifier[0]
    title_max = int(getattr(plugin, "title_maxlen", TITLE_MAX) or 0)
    body_max = int(getattr(plugin, "body_maxlen", BODY_MAX) or BODY_MAX)
    # Each target has a breaker of its own (one per factory), so a dead ntfy server never
    # holds back the mail; they share the `apprise` service's metrics.
    policy = ServicePolicy(SERVICE, lambda: settings().resilience, breaker_factory())
    # Plain text where the target takes it; else what it renders instead (ntfy with
    # ?format=markdown, Telegram's HTML, mail with ?format=html).
    rendered = plugin.resolve_format(apprise.NotifyFormat.TEXT)
    return Target(key, str(plugin.service_name), fingerprint(url), notifier, policy,
                  title_max, body_max, str(rendered.value))  # fmt: skip


def _why(result: apprise.AppriseResult, timeout: float) -> str:
    """A failed call's reason without Apprise's own words, which can name the target."""
    import apprise

    if result.status == apprise.AppriseResultStatus.TIMEOUT:
        return f"no answer within {timeout:g}s"
    connection = False
    for entry in result.logs():
        if status := _HTTP_STATUS.search(entry.message):
            return f"HTTP {status.group(1)}"
        connection = connection or "connection error" in entry.message.lower()
    return "connection failed" if connection else "not accepted"


class AppriseDelivery(OutboxSender):
    """Delivers the `apprise` outbox to every URL of `alerts.apprise_urls`."""

    def __init__(
        self, pool: Pool, settings: Callable[[], Settings], clock: Clock, worker: str
    ) -> None:
        super().__init__(pool, settings, clock, worker)
        self._urls: tuple[str, ...] = ()
        self._targets: list[Target] = []

    def targets(self) -> list[Target]:
        """The configured targets, loaded again when the URLs change (their throttles and
        breakers last as long as the URL does)."""
        urls = tuple(u.get_secret_value() for u in self._settings().alerts.apprise_urls)
        if urls != self._urls:
            loaded = (_load(i, url, self._settings) for i, url in enumerate(urls))
            self._targets = [t for t in loaded if t is not None]
            self._urls = urls
        return self._targets

    async def deliver_pending(self, limit: int = 100) -> int:
        """Send every ready Apprise alert to every target; returns how many alerts every
        target now has."""
        targets = self.targets()
        if not targets or len(targets) < len(self._urls):
            return 0  # a target that cannot load would never get them: they wait
        live = await self._claim("apprise", limit)
        if not live:
            return 0
        settings = self._settings()
        window = timedelta(seconds=settings.alerts.digest_window_seconds)
        async with self._pool.acquire() as conn:
            recent = await repo.delivered_since(conn, "apprise", self._clock() - window)
        # A burst: more than the threshold due now, or arriving within the window.
        digest = recent + len(live) > settings.alerts.digest_threshold
        if digest:
            ALERTS.labels("digested").inc(len(live))
        accepted = {r["outbox_id"]: set(r.get("accepted_targets") or ()) for r in live}
        errors: dict[int, list[str]] = {r["outbox_id"]: [] for r in live}
        started = time.perf_counter()
        renewer = asyncio.create_task(self._hold([r["outbox_id"] for r in live]),
                                      name="outbox-lease")  # fmt: skip
        try:
            for target in targets:
                todo = [r for r in live if target.fingerprint not in accepted[r["outbox_id"]]]
                for members, note in self._messages(target, todo, digest):
                    ids = [r["outbox_id"] for r in members]
                    error = await self._notify(target, note)
                    if error is not None:
                        for outbox_id in ids:
                            errors[outbox_id].append(error)
                        continue
                    async with self._pool.acquire() as conn:
                        await repo.accept_target(conn, ids, self._worker, target.fingerprint)
                    for outbox_id in ids:
                        accepted[outbox_id].add(target.fingerprint)
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
        delivered = await self._settle(live, targets, accepted, errors, started)
        ALERTS.labels("delivered").inc(delivered)
        ALERTS.labels("failed").inc(len(live) - delivered)
        return delivered

    def _messages(
        self, target: Target, rows: list[dict[str, Any]], digest: bool
    ) -> Iterator[tuple[list[dict[str, Any]], Notification]]:
        """What this target is sent: one notification per alert, or one digest."""
        if not rows:
            return
        cards = [AlertCard.from_row(r) for r in rows]
        if digest:
            yield rows, digest_notification(cards, target.body_max)
            return
        for row, card in zip(rows, cards, strict=True):
            yield [row], alert_notification(card, target.title_max)

    async def _notify(self, target: Target, note: Notification) -> str | None:
        """One notification to one target through its policy; the error, or None when the
        target accepted it."""
        import apprise

        timeout = self._settings().alerts.apprise_timeout_seconds

        async def attempt() -> None:
            result = await target.notifier.async_notify(
                body=note.body(target.format_name), title=note.title,
                body_format=apprise.NotifyFormat(target.format_name), timeout=timeout,
            )  # fmt: skip
            if not result:
                raise RetryableError(SERVICE, f"{target.label()}: {_why(result, timeout)}")

        try:
            # Apprise gives no status to tell a refusal from an outage: every failure is
            # retried later (the outbox's back-off), none here.
            await target.policy.call(attempt, attempt_timeout=timeout + 1.0, max_tries=1)
        except ServiceError as exc:
            message = str(exc)
            if target.label() not in message:
                message = f"{SERVICE}: {target.label()}: {message.removeprefix(SERVICE + ': ')}"
            log.warning("apprise notification failed: %s", message)
            return message
        return None

    async def _settle(
        self,
        live: list[dict[str, Any]],
        targets: list[Target],
        accepted: dict[int, set[str]],
        errors: dict[int, list[str]],
        started: float,
    ) -> int:
        """Delivered: every target has it; otherwise back to the outbox for the rest."""
        settings = self._settings()
        now = self._clock()
        wanted = {t.fingerprint for t in targets}
        delivered = 0
        took = int((time.perf_counter() - started) * 1000)
        # One transaction: a digest's alerts are recorded together or not at all.
        async with self._pool.acquire() as conn, conn.transaction():
            for row in live:
                outbox_id = row["outbox_id"]
                if wanted <= accepted[outbox_id]:
                    await repo.record_attempt(conn, outbox_id, self._worker, "delivered", now,
                                              duration_ms=took)  # fmt: skip
                    delivered += 1
                    continue
                got = len(wanted & accepted[outbox_id])
                reason = "; ".join(errors[outbox_id]) or "not sent"
                if got:
                    reason = f"{got} of {len(wanted)} targets have it; {reason}"
                await repo.retry_later(conn, outbox_id, self._worker, "retryable", reason, now,
                                       settings.alerts.max_delivery_attempts,
                                       RETRY_DELAY_SECONDS)  # fmt: skip
        return delivered
