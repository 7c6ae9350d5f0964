"""The neutral alert card, and its rendering into a Discord embed that is always valid.

Listing text is untrusted: it is stripped of mentions and markdown before it reaches an
embed, and every Discord embed limit is enforced here, before anything is sent. The bot
renders its channel messages with the same function.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# Discord's embed limits (https://discord.com/developers/docs/resources/message#embed-limits).
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000
EMBEDS_PER_MESSAGE = 10
_MARKDOWN = re.compile(r"([\\*_~`|>\[\]()#:-])")
_MENTION = re.compile(r"@(everyone|here|[!&]?\d+)|<[@#][!&]?\d+>", re.IGNORECASE)
_URL_OK = re.compile(r"^https://[^\s<>]+$")


def plain(text: str, limit: int) -> str:
    """Untrusted text made inert: one line, no mentions, markdown escaped, within `limit`."""
    one_line = " ".join(str(text).split())
    defused = _MENTION.sub(
        lambda m: m.group(0).replace("@", "@\u200b").replace("<", "<\u200b"), one_line
    )
    escaped = _MARKDOWN.sub(r"\\\1", defused)
    return escaped if len(escaped) <= limit else escaped[: limit - 1].rstrip("\\") + "…"


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

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AlertCard:
        """From an outbox row joined with its alert, listing and score."""
        breakdown = row.get("breakdown") or {}
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
        )


def _value(text: str, limit: int) -> str:
    # Discord rejects empty field values; whitespace-only text becomes empty in `plain`.
    return plain(text, limit) or "unknown"


def embed(card: AlertCard) -> dict[str, Any]:
    """A Discord embed (JSON) for one alert, within every limit."""
    title = plain(card.title, TITLE_MAX)
    fields = [
        {"name": "Unit price", "value": _value(f"{card.unit_price} {card.currency}", 100),
         "inline": True},
        {"name": "Score", "value": f"{card.score:.0f}/100", "inline": True},
        {"name": "Market", "value": _value(card.price_position, 200), "inline": True},
        {"name": "Condition", "value": _value(card.condition, 100), "inline": True},
        {"name": "Seller", "value": _value(card.seller or "", 100), "inline": True},
        {"name": "Product", "value": _value(card.product_key or "", 200), "inline": True},
    ]  # fmt: skip
    if card.cold_start:
        fields.append({"name": "Baseline", "value": "immature: too few prices to judge yet",
                       "inline": False})  # fmt: skip
    result: dict[str, Any] = {
        "title": title or "(untitled listing)",
        "description": plain(f"Watch: {card.watch_name}", 300)
        + (f" (price dropped, alert #{card.sequence})" if card.sequence > 1 else ""),
        "fields": fields[:FIELDS_MAX],
        "footer": {"text": plain(f"{card.marketplace} · spt", FOOTER_MAX)},
        "color": 0x2ECC71 if card.score >= 90 else 0xF1C40F,
    }
    if card.url and _URL_OK.match(card.url):
        result["url"] = card.url
    return result


def digest_embed(cards: list[AlertCard], destination_total: int) -> dict[str, Any]:
    """One embed summarising a burst of alerts (best first), within the limits."""
    best = sorted(cards, key=lambda c: c.score, reverse=True)
    lines = []
    used = 0
    for card in best:
        line = (f"**{card.score:.0f}** · {plain(card.unit_price, 40)} {card.currency} · "
                f"{plain(card.title, 120)}")  # fmt: skip
        if used + len(line) + 1 > DESCRIPTION_MAX - 100:
            break
        lines.append(line)
        used += len(line) + 1
    hidden = len(best) - len(lines)
    description = "\n".join(lines) + (f"\n… and {hidden} more" if hidden else "")
    return {
        "title": plain(f"{destination_total} new deals", TITLE_MAX),
        "description": description,
        "footer": {"text": "spt digest"},
        "color": 0x3498DB,
    }


def embed_size(value: dict[str, Any]) -> int:
    """Characters Discord counts towards the 6,000 limit of one embed."""
    total = len(value.get("title", "")) + len(value.get("description", ""))
    total += len(value.get("footer", {}).get("text", ""))
    for f in value.get("fields", []):
        total += len(f["name"]) + len(f["value"])
    return total
