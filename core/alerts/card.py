"""The neutral alert card, and its rendering into a Discord embed that is always valid.

Listing text is untrusted: it is stripped of mentions and markdown before it reaches an
embed, and every Discord embed limit is enforced here, before anything is sent. The bot
renders its channel messages with the same function.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from core.marketplace.urls import item_url
from core.pricing.wording import market_phrase

# Discord's embed limits (https://discord.com/developers/docs/resources/message#embed-limits).
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000
EMBEDS_PER_MESSAGE = 10
# Inline markdown (emphasis, code, spoilers, link brackets) is escaped anywhere; block
# markers (headings, lists, quotes) only matter at the start of a line, and the text is
# always one line. Parentheses and colons are harmless once brackets are escaped.
_INLINE = re.compile(r"([\\*_~`|\[\]])")
_BLOCK_START = re.compile(r"^([#>+-])")
_NUMBERED = re.compile(r"^(\d+)\.(?=\s)")
_MENTION = re.compile(r"@(everyone|here|[!&]?\d+)|<[@#][!&]?\d+>", re.IGNORECASE)
# Bare URLs turn into links in descriptions and fields; a zero-width space stops that.
_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*):(?=//)")
_URL_OK = re.compile(r"^https://[^\s<>]+$")
# Backslash escapes show literally inside a masked link's text, so there the few
# characters that could format or end the text are swapped for look-alikes instead.
_LINK_TEXT = str.maketrans({"[": "(", "]": ")", "*": "\u2217", "_": " ", "~": "\u223c",
                            "`": "\u02cb", "|": "\u00a6", "\\": "\u29f5"})  # fmt: skip


def _inert(text: str) -> str:
    one_line = " ".join(str(text).split())
    defused = _MENTION.sub(
        lambda m: m.group(0).replace("@", "@\u200b").replace("<", "<\u200b"), one_line
    )
    return _SCHEME.sub("\\1:\u200b", defused)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip("\\") + "…"


def plain(text: str, limit: int) -> str:
    """Untrusted text made inert: one line, no mentions or bare links, markdown escaped,
    within `limit`."""
    escaped = _INLINE.sub(r"\\\1", _inert(text))
    escaped = _NUMBERED.sub(r"\1\\.", _BLOCK_START.sub(r"\\\1", escaped))
    return _cut(escaped, limit)


def footer_text(text: str, limit: int) -> str:
    """Untrusted text for an embed footer, which Discord shows as plain text (no markdown,
    so escapes would show literally): one line, no mentions or bare links, within `limit`."""
    return _cut(_inert(text), limit)


def link_text(text: str, limit: int) -> str:
    """Untrusted text for inside `[...](url)`: inert without backslashes, within `limit`."""
    return _cut(_inert(text).translate(_LINK_TEXT).strip(), limit)


def code(text: str, limit: int) -> str:
    """Untrusted text for inside a `code span`: one line, no backticks, within `limit`.

    Markdown escapes would show literally inside a code span, and mentions do not render
    there, so only the backtick that could end the span early is replaced.
    """
    one_line = " ".join(str(text).split()).replace("`", "\u02cb")
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


CONDITION_LABELS = {
    "new": "New",
    "like_new": "Like new",
    "used_working": "Used, working",
    "for_parts": "For parts",
    "unknown": "Not stated",
}
# custom_id prefixes of the alert buttons; the bot's persistent DynamicItems match them.
ALERT_ACTION_PREFIX = "spt:alert"
ALERT_ACTIONS = ("dismiss", "mute", "notdeal")
DIGEST_DISMISS_ID = "spt:digest:dismiss"


def alert_custom_id(action: str, alert_id: int) -> str:
    """The custom_id of an alert button: `spt:alert:{action}:{alert_id}`."""
    if action not in ALERT_ACTIONS:
        raise ValueError(f"unknown alert action {action!r}")
    return f"{ALERT_ACTION_PREFIX}:{action}:{alert_id}"


@dataclass(frozen=True)
class AlertCard:
    """What an alert says, independent of where it is shown."""

    watch_name: str
    title: str
    url: str | None
    score: float
    unit_price: str
    currency: str
    marketplace: str
    condition: str
    seller: str | None
    price_position: str
    product_key: str | None
    cold_start: bool
    sequence: int
    alert_id: int | None = None
    price: str | None = None
    shipping: str | None = None
    quantity: int = 1
    image_url: str | None = None
    seller_feedback_score: int | None = None
    seller_feedback_percent: str | None = None
    seller_top_rated: bool | None = None
    baseline_p50: str | None = None
    baseline_samples: int = 0
    baseline_sold: int = 0
    price_factor: float | None = None
    # (factor, points it added or took) beside the price, as stored in the breakdown.
    adjustments: tuple[tuple[str, float], ...] = ()
    legacy_item_id: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AlertCard:
        """From an outbox row joined with its alert, listing, score and baseline."""
        breakdown = row.get("breakdown") or {}
        price = breakdown.get("price")
        adjustments = tuple(
            (name, float(item["points"]))
            for name, item in breakdown.items()
            if isinstance(item, dict) and "points" in item
        )
        return cls(
            watch_name=str(row["watch_name"]),
            title=str(row["title"]),
            url=row.get("url"),
            score=float(row["score"]),
            unit_price=str(row["unit_price"]),
            currency=str(row["currency"]),
            marketplace=str(row["marketplace"]),
            condition=str(row.get("condition") or "unknown"),
            seller=row.get("seller_username"),
            price_position=str(breakdown.get("price", {}).get("position", "unknown")),
            product_key=row.get("product_key"),
            cold_start=bool(row["cold_start"]),
            sequence=int(row["sequence"]),
            alert_id=row.get("alert_id"),
            price=_text(row.get("price")),
            shipping=_text(row.get("shipping")),
            quantity=int(row.get("quantity") or 1),
            image_url=row.get("image_url"),
            seller_feedback_score=row.get("seller_feedback_score"),
            seller_feedback_percent=_text(row.get("seller_feedback_percent")),
            seller_top_rated=row.get("seller_top_rated"),
            baseline_p50=_text(row.get("baseline_p50")),
            baseline_samples=int(row.get("baseline_samples") or 0),
            baseline_sold=int(row.get("baseline_sold") or 0),
            price_factor=float(price["factor"]) if isinstance(price, dict) else None,
            adjustments=adjustments,
            legacy_item_id=row.get("legacy_item_id"),
        )

    def link_url(self) -> str | None:
        """Where the alert links: `https://www.ebay.com/itm/{legacyItemId}` on the listing's
        marketplace domain. eBay's `itemWebUrl` carries ~400 characters of tracking, which
        would crowd a digest's 4,096-character description; it is the fallback (trimmed)."""
        return item_url(self.marketplace, self.legacy_item_id, self.url)

    def market(self) -> str:
        """The discount against the median and the sample count, in words."""
        return market_phrase(self.unit_price, self.baseline_p50, self.baseline_samples,
                             self.currency, self.baseline_sold)  # fmt: skip

    def top_adjustments(self, count: int = 2) -> list[tuple[str, float]]:
        """The factors besides price that moved the score most, largest first."""
        moved = [a for a in self.adjustments if abs(a[1]) >= 0.05]
        return sorted(moved, key=lambda a: abs(a[1]), reverse=True)[:count]


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _value(text: str, limit: int) -> str:
    # Discord rejects empty field values; whitespace-only text becomes empty in `plain`.
    return plain(text, limit) or "unknown"


def _ours(text: str, limit: int) -> str:
    """A line spt composed from numbers and fixed words (already-inert parts included):
    escaping it again would only show backslashes."""
    line = " ".join(text.split())
    return (line if len(line) <= limit else line[: limit - 1] + "…") or "unknown"


def safe_url(url: str | None) -> str | None:
    """The URL if it is a plain https link (anything else never reaches a message)."""
    return url if url and _URL_OK.match(url) and len(url) <= 512 else None


def link(text: str, url: str | None, limit: int, empty: str = "(untitled listing)") -> str:
    """`[text](url)` for untrusted text and an https URL; the inert text alone otherwise."""
    safe = safe_url(url)
    if safe is None:
        return plain(text, limit) or empty
    # Parentheses would end the markdown link early; percent-encoding keeps the URL.
    target = safe.replace("(", "%28").replace(")", "%29")
    return f"[{link_text(text, limit) or empty}]({target})"


def _money(amount: str, currency: str) -> str:
    # Both come from numeric and char(3) columns; made inert anyway (eBay sent the currency).
    return f"{plain(amount, 40)} {plain(currency, 10)}"


def _price_line(card: AlertCard) -> str:
    if card.price is None:
        return _money(card.unit_price, card.currency)
    if card.shipping is None:
        return f"{_money(card.price, card.currency)}, shipping not stated"
    if float(card.shipping) == 0:
        return f"{_money(card.price, card.currency)}, free shipping"
    return f"{_money(card.price, card.currency)} + {plain(card.shipping, 40)} shipping"


def _seller_line(card: AlertCard) -> str:
    parts = [plain(card.seller or "", 100) or "unknown"]
    if card.seller_feedback_score is not None:
        parts.append(f"{card.seller_feedback_score:,} feedback")
    if card.seller_feedback_percent is not None:
        parts.append(f"{card.seller_feedback_percent}% positive")
    if card.seller_top_rated:
        parts.append("top rated")
    return " · ".join(parts)


def _score_line(card: AlertCard) -> str:
    head = f"**{card.score:.0f}**/100"
    parts = []
    if card.price_factor is not None:
        parts.append(f"price {card.price_factor:.0f}")
    parts += [f"{name} {points:+.1f}" for name, points in card.top_adjustments()]
    return " · ".join([head, *parts])


def embed(card: AlertCard) -> dict[str, Any]:
    """A Discord embed (JSON) for one alert, within every limit."""
    title = plain(card.title, TITLE_MAX)
    unit = _money(card.unit_price, card.currency)
    if card.quantity > 1:
        unit += f" ({card.quantity} units)"
    fields = [
        {"name": "Price", "value": _ours(_price_line(card), 200), "inline": True},
        {"name": "Unit price", "value": _ours(unit, 200), "inline": True},
        {"name": "Market", "value": _ours(card.market(), 200), "inline": False},
        {"name": "Score", "value": _score_line(card)[:FIELD_VALUE_MAX], "inline": False},
        {"name": "Condition",
         "value": _value(CONDITION_LABELS.get(card.condition, card.condition), 100),
         "inline": True},
        {"name": "Seller", "value": _ours(_seller_line(card), 300), "inline": True},
        {"name": "Product", "value": _value(card.product_key or "", 200), "inline": True},
    ]  # fmt: skip
    if card.cold_start:
        fields.append({
            "name": "Baseline immature",
            "value": f"only {card.baseline_samples} price(s) known for this product so far: "
                     "too few to call this a deal with confidence",
            "inline": False,
        })  # fmt: skip
    again = f" (price dropped, alert #{card.sequence})" if card.sequence > 1 else ""
    footer = f"{card.marketplace} · spt" + (f" · alert {card.alert_id}" if card.alert_id else "")
    result: dict[str, Any] = {
        "title": title or "(untitled listing)",
        "description": plain(f"Watch: {card.watch_name}", 300) + again,
        "fields": fields[:FIELDS_MAX],
        "footer": {"text": footer_text(footer, FOOTER_MAX)},
        "color": 0x95A5A6 if card.cold_start else 0x2ECC71 if card.score >= 90 else 0xF1C40F,
    }
    if url := safe_url(card.link_url()):
        result["url"] = url
    if thumbnail := safe_url(card.image_url):
        result["thumbnail"] = {"url": thumbnail}
    return result


def alert_components(card: AlertCard) -> list[dict[str, Any]]:
    """The buttons under one alert: Dismiss, Mute watch 24h, Not a deal, and the eBay link."""
    if card.alert_id is None:
        return []
    buttons: list[dict[str, Any]] = [
        {"type": 2, "style": 2, "label": "Dismiss",
         "custom_id": alert_custom_id("dismiss", card.alert_id)},
        {"type": 2, "style": 2, "label": "Mute watch 24h",
         "custom_id": alert_custom_id("mute", card.alert_id)},
        {"type": 2, "style": 4, "label": "Not a deal",
         "custom_id": alert_custom_id("notdeal", card.alert_id)},
    ]  # fmt: skip
    if url := safe_url(card.link_url()):
        buttons.append({"type": 2, "style": 5, "label": "View on eBay", "url": url})
    return [{"type": 1, "components": buttons}]


def digest_components() -> list[dict[str, Any]]:
    """The button under a digest: dismiss every alert it lists."""
    button = {"type": 2, "style": 2, "label": "Dismiss all", "custom_id": DIGEST_DISMISS_ID}
    return [{"type": 1, "components": [button]}]


def digest_embed(
    cards: list[AlertCard], destination_total: int, ref: str | None = None
) -> dict[str, Any]:
    """One embed summarising a burst of alerts (best first), within the limits.

    It lists as many alerts as fit in the description (4,096 characters) and in the
    embed's 6,000-character total, then says how many more there are. `ref` goes in the
    footer, so the message can be found again.
    """
    best = sorted(cards, key=lambda c: c.score, reverse=True)
    title = plain(f"{destination_total} new deals", TITLE_MAX)
    named = f"spt digest · {ref}" if ref else "spt digest"
    footer = footer_text(f"{named} · {_watches(best)}", FOOTER_MAX)
    budget = min(DESCRIPTION_MAX, EMBED_TOTAL_MAX - len(title) - len(footer))
    lines = [_digest_line(card) for card in best]
    shown = _fitting(lines, budget)
    if shown < len(lines):  # room for the "… and N more" line too
        shown = _fitting(lines, budget - len(f"\n… and {len(lines)} more"))
    hidden = len(lines) - shown
    description = "\n".join(lines[:shown]) + (f"\n… and {hidden} more" if hidden else "")
    return {
        "title": title,
        "description": description,
        "footer": {"text": footer},
        "color": 0x3498DB,
    }


def _digest_line(card: AlertCard) -> str:
    title = link(card.title, card.link_url(), 120)
    cold = " · immature baseline" if card.cold_start else ""
    return f"**{card.score:.0f}** · {plain(card.unit_price, 40)} {card.currency} · {title}{cold}"


def _fitting(lines: list[str], budget: int) -> int:
    """How many leading lines fit in `budget` characters, joined by newlines."""
    used = -1  # no newline before the first line
    for count, line in enumerate(lines):
        used += len(line) + 1
        if used > budget:
            return count
    return len(lines)


def _watches(cards: list[AlertCard]) -> str:
    names = sorted({c.watch_name for c in cards})
    shown = ", ".join(names[:5])
    return shown + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def embed_size(value: dict[str, Any]) -> int:
    """Characters Discord counts towards the 6,000 limit of one embed."""
    total = len(value.get("title", "")) + len(value.get("description", ""))
    total += len(value.get("footer", {}).get("text", ""))
    for f in value.get("fields", []):
        total += len(f["name"]) + len(f["value"])
    return total
