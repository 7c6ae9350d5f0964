"""Property tests: no title, however hostile, yields an embed Discord would reject or a ping."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from core.alerts.card import (
    DESCRIPTION_MAX,
    EMBED_TOTAL_MAX,
    FIELD_VALUE_MAX,
    FOOTER_MAX,
    TITLE_MAX,
    AlertCard,
    digest_embed,
    embed,
    embed_size,
    footer_text,
    link,
    link_text,
    plain,
)

HOSTILE = st.one_of(
    st.text(max_size=3000),
    st.lists(
        st.sampled_from(["@everyone", "@here", "<@123>", "<@&456>", "<#789>", "**", "__", "~~",
                         "`", "|", ">", "[x](https://evil)", "\n", "\u200b", "🚀", "DDR4",
                         "http://x.y", "#", "-", "1.", "\\"]),
        max_size=300,
    ).map(" ".join),
)  # fmt: skip
MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>|<#\d+>")


def card(title: str, watch: str = "w", seller: str = "s") -> AlertCard:
    return AlertCard(watch_name=watch, title=title, url="https://www.ebay.com/itm/1", score=91.0,
                     unit_price="12.50", currency="USD", marketplace="EBAY_US",
                     condition="used_working", seller=seller, price_position="at or under P10",
                     product_key="ram:ddr4:ecc_reg:32gb:2666", cold_start=False,
                     sequence=1)  # fmt: skip


def check(value: dict[str, object]) -> None:
    assert isinstance(value["title"], str)
    assert 0 < len(value["title"]) <= TITLE_MAX
    assert len(str(value.get("description", ""))) <= DESCRIPTION_MAX
    footer = value.get("footer")
    assert isinstance(footer, dict)
    assert len(footer["text"]) <= FOOTER_MAX
    for field in value.get("fields", []):  # type: ignore[attr-defined]
        assert 0 < len(field["value"]) <= FIELD_VALUE_MAX
    assert embed_size(value) <= EMBED_TOTAL_MAX
    text = " ".join(str(v) for v in value.values())
    assert MENTION.search(text) is None


@settings(max_examples=300, deadline=None)
@given(HOSTILE, HOSTILE, HOSTILE)
def test_any_title_gives_a_valid_inert_embed(title: str, watch: str, seller: str) -> None:
    check(embed(card(title, watch, seller)))


@settings(max_examples=50, deadline=None)
@given(st.lists(HOSTILE, min_size=1, max_size=250))
def test_any_burst_gives_a_valid_digest(titles: list[str]) -> None:
    check(digest_embed([card(t) for t in titles], len(titles)))


UNESCAPED = re.compile(r"(?<!\\)[\[\]*_~`|]")
BARE_LINK = re.compile(r"[a-z]://", re.IGNORECASE)


@settings(max_examples=300, deadline=None)
@given(HOSTILE)
def test_plain_text_cannot_format_link_or_ping(text: str) -> None:
    value = plain(text, 500)
    assert UNESCAPED.search(value) is None
    assert BARE_LINK.search(value) is None
    assert MENTION.search(value) is None
    assert "\n" not in value
    assert not value.startswith(("#", "-", ">", "+"))


@settings(max_examples=300, deadline=None)
@given(HOSTILE)
def test_link_text_cannot_end_the_link_format_or_ping(text: str) -> None:
    value = link_text(text, 500)
    assert not set(value) & set("[]*_~`|\\")
    assert BARE_LINK.search(value) is None
    assert MENTION.search(value) is None
    assert link(text, "https://www.ebay.com/itm/1", 80).endswith("](https://www.ebay.com/itm/1)")


@settings(max_examples=300, deadline=None)
@given(HOSTILE)
def test_footer_text_is_plain_one_line_and_cannot_ping(text: str) -> None:
    value = footer_text(text, 500)
    assert MENTION.search(value) is None
    assert "\n" not in value
    assert len(value) <= 500
    # Footers render no markdown, so nothing is escaped: what was written is what shows.
    assert value.replace("\u200b", "").rstrip("…") in " ".join(text.split()).replace("\u200b", "")


def test_footers_show_names_as_written() -> None:
    value = embed(card("t", watch="my_watch *cheap*"))
    assert value["footer"]["text"] == "EBAY_US · spt"
    digest = digest_embed([card("a", watch="my_watch"), card("b", watch="my_watch")], 2)
    assert "\\" not in digest["footer"]["text"]
    assert "my_watch" in digest["footer"]["text"]
