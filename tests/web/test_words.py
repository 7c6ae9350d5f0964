"""The dashboard's values in words, and the watch form's names for the service's problems."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from multidict import MultiDict

from app.web import watch_form
from app.web.words import attribute_name, attribute_value, marketplace_label, time_left, type_label

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("ecc", True, "yes"),
        ("registered", False, "no"),
        ("capacity_gb", 32, "32 GB"),
        ("capacity_gb", 1920, "1.92 TB"),  # drives: decimal terabytes as sold
        ("total_capacity_gb", 1024, "1024 GB"),  # a RAM kit's binary size stays in GB
        ("speed_mhz", 2666, "2666 MHz"),
        ("base_ghz", 2.45, "2.45 GHz"),
        ("form_factor", "2.5", "2.5 inch"),
        ("form_factor", "2U", "2U"),
        ("manufacturer", "amd", "AMD"),
        ("port_type", ["SFP+", "RJ45"], "SFP+, RJ45"),
        ("rank", None, "not stated"),
    ],
)
def test_attribute_values_are_in_words(name: str, value: object, said: str) -> None:
    assert attribute_value(name, value) == said


def test_names_types_and_marketplaces_are_in_words() -> None:
    assert [attribute_name(n) for n in ("capacity_gb", "ecc", "part_number", "socket")] == [
        "Capacity", "ECC", "Part number", "Socket"]  # fmt: skip
    assert [type_label(t) for t in ("ram", "nic", None)] == ["RAM", "Network card",
                                                             "not extracted yet"]  # fmt: skip
    assert marketplace_label("EBAY_GB") == "eBay UK"


@pytest.mark.parametrize(
    ("left", "said"),
    [
        (timedelta(days=2, hours=4, minutes=3), "2 d 4 h left"),
        (timedelta(days=1), "1 d left"),
        (timedelta(hours=3, minutes=10), "3 h 10 min left"),
        (timedelta(minutes=40, seconds=20), "40 min left"),
        (timedelta(seconds=40), "ends in 40 s"),
        (timedelta(seconds=-5), "ended"),
    ],
)
def test_time_left_of_an_auction(left: timedelta, said: str) -> None:
    assert time_left(NOW + left, NOW) == said


def test_the_services_problems_go_next_to_their_fields_in_the_flags_names() -> None:
    form = watch_form.read(MultiDict({"name": "x", "filter": "a\n\nb"}))
    watch_form.place(form, [
        "component_type: unknown component type 'dimm'",
        "conditions.1: unknown condition 'broken'",
        "min_price (500) is above max_price (300)",
        "poll_interval_seconds: must be between 60 and 86400 seconds (got 10)",
        "nothing to change: give at least one field",
    ])  # fmt: skip
    assert form.problems == {
        "type": ["type: unknown component type 'dimm'"],
        "condition": ["condition: unknown condition 'broken'"],
        "min-price": ["min-price (500) is above max-price (300)"],
        "poll-interval": ["poll-interval: must be between 60 and 86400 seconds (got 10)"],
    }
    assert form.general == ["nothing to change: give at least one field"]
    assert watch_form.fields(form, new=True)["filters"] == ["a", "b"]  # blank lines dropped


def test_an_edit_clears_blank_optional_fields_and_refuses_blank_required_ones() -> None:
    posted = dict.fromkeys(watch_form.FLAGS, "")
    form = watch_form.read(MultiDict({**posted, "name": "n", "query": "q", "type": "ram",
                                      "marketplace": "EBAY_US", "realert-step": "5",
                                      "poll-interval": "900"}))  # fmt: skip
    fields = watch_form.fields(form, new=False)
    assert form.problems == {"threshold": ["threshold: is required"]}
    assert fields["min_price"] is None
    assert fields["conditions"] == []
    assert fields["cold_start_opt_in"] is False
    assert "threshold" not in fields
    new = watch_form.read(MultiDict({**posted, "name": "n"}))
    assert set(watch_form.fields(new, new=True)) == {
        "name", "conditions", "buying_options", "cold_start_opt_in", "top_rated_only",
        "filters", "category_ids"}  # fmt: skip
    assert new.problems == {}
