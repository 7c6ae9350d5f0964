"""Chart rendering: valid PNG/SVG bytes, deterministic output, literal text, edge cases."""

from __future__ import annotations

import io
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache

import matplotlib as mpl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from core import charts

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
D0 = date(2025, 1, 1)


def history(fmt: charts.Format = "png", theme: charts.Theme = "dark") -> bytes:
    prices = ["41.50", "41.50", "39.99", "44.00", "44.00", "38.75", "40.10", "42.00"]
    points = [(T0 + timedelta(hours=11 * i), Decimal(p)) for i, p in enumerate(prices)]
    return charts.price_history(
        points,
        "USD",
        p25=Decimal("39.00"),
        p50=Decimal("41.00"),
        p75=Decimal("43.50"),
        fmt=fmt,
        theme=theme,
    )


def distribution(fmt: charts.Format = "png", theme: charts.Theme = "dark") -> bytes:
    prices = [Decimal(f"{30 + (i * 37) % 25}.{i % 100:02d}") for i in range(300)]
    return charts.price_distribution(
        prices, "EUR", highlight=Decimal("33.33"), fmt=fmt, theme=theme
    )


def trend(fmt: charts.Format = "png", theme: charts.Theme = "dark") -> bytes:
    days: list[tuple[date, Decimal | None, Decimal | None, Decimal | None]] = [
        (
            D0 + timedelta(days=i),
            Decimal(38 + i % 3),
            None if i in (4, 5) else Decimal(41 + i % 4),
            Decimal(45 + i % 2),
        )
        for i in range(30)
    ]
    days[10] = (days[10][0], None, days[10][2], None)  # a day without a band
    return charts.baseline_trend(days, "GBP", fmt=fmt, theme=theme)


def history_single_point(fmt: charts.Format = "png", theme: charts.Theme = "dark") -> bytes:
    return charts.price_history(
        [(T0, Decimal("12.34"))], "USD", p50=Decimal("15"), fmt=fmt, theme=theme
    )


def distribution_all_equal(fmt: charts.Format = "png", theme: charts.Theme = "dark") -> bytes:
    return charts.price_distribution([Decimal("42.00")] * 7, "USD", fmt=fmt, theme=theme)


def distribution_single_price(fmt: charts.Format = "png", theme: charts.Theme = "dark") -> bytes:
    return charts.price_distribution([Decimal("0.00")], "USD", fmt=fmt, theme=theme)


def trend_single_day(fmt: charts.Format = "png", theme: charts.Theme = "dark") -> bytes:
    row = (D0, Decimal("10"), Decimal("12"), Decimal("14"))
    return charts.baseline_trend([row], "USD", fmt=fmt, theme=theme)


Render = Callable[[charts.Format, charts.Theme], bytes]
CHARTS: dict[str, Render] = {"history": history, "distribution": distribution, "trend": trend}
EDGE_CASES: dict[str, Render] = {
    "history_single_point": history_single_point,
    "distribution_all_equal": distribution_all_equal,
    "distribution_single_price": distribution_single_price,
    "trend_single_day": trend_single_day,
}
ALL = {**CHARTS, **EDGE_CASES}


@cache
def rendered(name: str, fmt: charts.Format, theme: charts.Theme) -> bytes:
    """One render per case, shared by the tests that only inspect it."""
    return ALL[name](fmt, theme)


def decode_png(data: bytes) -> Image.Image:
    assert data.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(data))
    image.load()
    return image.convert("RGB")


def distinct_colours(image: Image.Image) -> int:
    return len(image.getcolors(maxcolors=1 << 20) or [])


def glyphs_drawn(svg: str, text: str) -> int:
    """How many glyphs the SVG draws for `text`; each text object starts with its comment.

    Literal text draws one glyph per character; mathtext draws the parsed result instead
    (`$\\frac{1}{2}$` becomes two digits and a rule).
    """
    start = svg.index(f"<!-- {text} -->")
    return svg.count("<use ", start, svg.index("</g>", start))


@pytest.mark.parametrize("theme", ["dark", "light"])
@pytest.mark.parametrize("name", list(CHARTS))
def test_png_is_800x400_with_a_drawn_chart(name: str, theme: charts.Theme) -> None:
    image = decode_png(rendered(name, "png", theme))
    assert image.size == (800, 400)
    assert distinct_colours(image) > 50  # antialiased lines, text, fills: not a blank canvas


PLOT_AREA = (75, 45, 780, 340)  # px inside the axes, below the legend strip
PRICE_LINE, MEDIAN_LINE = (0x00, 0xA8, 0xFC), (0xF0, 0xB2, 0x32)
BARS = (81, 93, 213)  # #5865f2 at alpha 0.85 over #2b2d31
DATA_COLOUR = {
    "history": PRICE_LINE,
    "history_single_point": PRICE_LINE,
    "distribution": BARS,
    "distribution_all_equal": BARS,
    "distribution_single_price": BARS,
    "trend": MEDIAN_LINE,
    "trend_single_day": MEDIAN_LINE,
}


def has_colour(image: Image.Image, rgb: tuple[int, int, int], tolerance: int = 3) -> bool:
    counted = image.crop(PLOT_AREA).getcolors(maxcolors=1 << 20) or []
    colours = [colour for _, colour in counted if isinstance(colour, tuple)]
    return any(max(abs(a - b) for a, b in zip(c, rgb, strict=True)) <= tolerance for c in colours)


@pytest.mark.parametrize("name", list(DATA_COLOUR))
def test_the_data_itself_is_drawn(name: str) -> None:
    # The legend repeats these colours, so only the plot area counts.
    image = decode_png(rendered(name, "png", "dark"))
    assert image.size == (800, 400)
    assert has_colour(image, DATA_COLOUR[name])


@pytest.mark.parametrize("name", list(CHARTS))
def test_themes_set_the_background(name: str) -> None:
    dark = decode_png(rendered(name, "png", "dark"))
    light = decode_png(rendered(name, "png", "light"))
    assert dark.getpixel((2, 398)) == (0x2B, 0x2D, 0x31)  # Discord's embed background
    assert light.getpixel((2, 398)) == (0xFF, 0xFF, 0xFF)


@pytest.mark.parametrize("name", list(CHARTS))
def test_svg_parses_and_scales(name: str) -> None:
    root = ET.fromstring(rendered(name, "svg", "dark"))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox") == "0 0 576 288"  # 8x4 in at 72 pt/in: the PNG's 2:1 ratio
    assert len(root.findall(".//{http://www.w3.org/2000/svg}path")) > 10


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_same_input_gives_identical_bytes(fmt: charts.Format) -> None:
    assert history(fmt, "dark") == rendered("history", fmt, "dark")


def test_no_timestamps_or_software_in_output() -> None:
    svg = rendered("history", "svg", "dark")
    assert b"<dc:date>" not in svg
    assert b"Matplotlib v" not in svg
    assert b"Software" not in rendered("history", "png", "dark")


def test_svg_settings_do_not_leak_into_global_rcparams() -> None:
    with mpl.rc_context({"svg.hashsalt": "callers-own-salt", "svg.fonttype": "none"}):
        before = dict(mpl.rcParams)
        history("svg")
        assert dict(mpl.rcParams) == before


def test_concurrent_renders_match_serial_ones() -> None:
    # Together with test_same_input_gives_identical_bytes: every chart and format, twice.
    jobs: list[tuple[str, charts.Format]] = [
        ("distribution", "svg"),
        ("trend", "png"),
        ("distribution", "png"),
        ("trend", "svg"),
    ]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        results = list(pool.map(lambda job: ALL[job[0]](job[1], "dark"), jobs))
    assert results == [rendered(name, fmt, "dark") for name, fmt in jobs]


HOSTILE = {r"$\frac{1}{2}$": Decimal("40"), "@everyone": Decimal("41"), r"$\bad{$": Decimal("42")}


def test_label_text_is_not_mathtext_in_png() -> None:
    # r"$\bad{$" is invalid mathtext: parsing it would raise instead of drawing it.
    image = decode_png(charts.price_distribution([Decimal("40.5")] * 3, "USD", percentiles=HOSTILE))
    assert image.size == (800, 400)


def test_label_text_is_not_mathtext_in_svg() -> None:
    svg = charts.price_distribution(
        [Decimal("40.5")] * 3, "USD", percentiles=HOSTILE, fmt="svg"
    ).decode()
    for label in (r"$\frac{1}{2}$ 40.00", "@everyone 41.00", r"$\bad{$ 42.00"):
        assert glyphs_drawn(svg, label) == len(label)


@pytest.mark.parametrize(
    ("render", "problem"),
    [
        (lambda: charts.price_history([], "USD"), "no price points"),
        (lambda: charts.price_distribution([], "USD"), "no unit prices"),
        (lambda: charts.baseline_trend([], "USD"), "no days"),
        (lambda: charts.baseline_trend([(D0, None, None, None)], "USD"), "None"),
    ],
)
def test_nothing_to_plot_raises(render: Callable[[], bytes], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        render()


@pytest.mark.parametrize(
    "currency", ["usd", "US", "USDT", "U$D", "ÜSD", "", "USD\n", r"$\frac{1}{2}$", "@everyone"]
)
def test_bad_currency_raises(currency: str) -> None:
    with pytest.raises(ValueError, match="currency"):
        charts.price_distribution([Decimal("1")], currency)
    with pytest.raises(ValueError, match="currency"):
        charts.price_history([(T0, Decimal("1"))], currency)


ONE = [(T0, Decimal("1"))]


@pytest.mark.parametrize(
    ("render", "problem"),
    [
        (
            lambda: charts.price_history([(T0, Decimal("NaN"))], "USD"),
            "price must be a finite number",
        ),
        (
            lambda: charts.price_distribution([Decimal("1"), Decimal("-Infinity")], "USD"),
            "unit price must be a finite number",
        ),
        (
            lambda: charts.price_distribution([Decimal("1")], "USD", highlight=Decimal("NaN")),
            "highlight must be a finite number",
        ),
        (
            lambda: charts.baseline_trend([(D0, None, Decimal("sNaN"), None)], "USD"),
            "p50 must be a finite number",
        ),
        (lambda: charts.price_history(ONE, "USD", fmt="gif"), "fmt"),  # type: ignore[arg-type]
        (lambda: charts.price_history(ONE, "USD", theme="blue"), "theme"),  # type: ignore[arg-type]
    ],
)
def test_bad_values_and_options_raise(render: Callable[[], bytes], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        render()


def test_given_percentiles_skip_none_and_get_one_short_line_each() -> None:
    labels = {"P10": None, "x" * 200: Decimal("15"), "P\n50\x00": Decimal("16"), "P90": None}
    svg = charts.price_distribution(
        [Decimal("10"), Decimal("20")], "USD", percentiles=labels, fmt="svg"
    ).decode()
    assert f"<!-- {'x' * (charts.MAX_LABEL - 1)}… 15.00 -->" in svg
    assert "x" * charts.MAX_LABEL not in svg
    assert "<!-- P 50 16.00 -->" in svg  # newline and NUL flattened to spaces
    assert "<!-- P10" not in svg
    assert "<!-- P90" not in svg


def test_default_percentiles_come_from_the_prices() -> None:
    prices = [Decimal(n) for n in range(1, 102)]  # P10 11, P50 51, P90 91
    svg = charts.price_distribution(prices, "USD", fmt="svg").decode()
    for label in ("P10 11.00", "P50 51.00", "P90 91.00", "101 listings"):
        assert f"<!-- {label} -->" in svg


def test_hundred_thousand_prices_render_quickly() -> None:
    prices = [Decimal(f"{20 + (i * 7919) % 6000 / 100:.2f}") for i in range(100_000)]
    prices[0] = Decimal("99999.99")  # a far outlier: numpy's "auto" would want ~10^6 bins
    start = time.perf_counter()
    data = charts.price_distribution(prices, "USD", highlight=Decimal("25"))
    elapsed = time.perf_counter() - start
    assert decode_png(data).size == (800, 400)
    assert elapsed < 3  # about 0.25 s on a slow CI core; seconds would mean runaway binning


def test_bins_are_capped() -> None:
    values = charts._floats([Decimal(1)] * 1000 + [Decimal(10**6)], "price")
    assert len(charts._bin_edges(values)) - 1 <= charts.MAX_BINS


prices_2dp = st.decimals(
    min_value=Decimal("0.01"),
    max_value=Decimal("100000"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)
moments = st.datetimes(
    min_value=datetime(2015, 1, 1),
    max_value=datetime(2035, 1, 1),
    timezones=st.sampled_from([None, UTC]),
)
# Few examples: each is a full render (~0.15 s). database=None: nothing written to the tree.
property_settings = settings(max_examples=6, deadline=None, database=None)


@property_settings
@given(
    points=st.lists(st.tuples(moments, prices_2dp), min_size=1, max_size=12),
    p25=st.none() | prices_2dp,
    p50=st.none() | prices_2dp,
    p75=st.none() | prices_2dp,
)
def test_any_short_price_series_renders(
    points: list[tuple[datetime, Decimal]],
    p25: Decimal | None,
    p50: Decimal | None,
    p75: Decimal | None,
) -> None:
    data = charts.price_history(points, "USD", p25=p25, p50=p50, p75=p75)
    assert decode_png(data).size == (800, 400)


@settings(property_settings, max_examples=4)
@given(prices=st.lists(prices_2dp, min_size=1, max_size=40), highlight=st.none() | prices_2dp)
def test_any_price_list_renders(prices: list[Decimal], highlight: Decimal | None) -> None:
    ET.fromstring(charts.price_distribution(prices, "USD", highlight=highlight, fmt="svg"))


MARKET_DAYS = [
    (T0.date() + timedelta(days=i), Decimal(30 + i % 3), Decimal(34 + i % 2), Decimal(38))
    for i in range(-1, 6)
]


def test_price_history_moves_with_the_markets_own_days() -> None:
    points = [(T0, Decimal("39.99")), (T0 + timedelta(days=2), Decimal("29.00"))]
    svg = charts.price_history(points, "USD", p50=Decimal("99"), market=MARKET_DAYS,
                               fmt="svg").decode()  # fmt: skip
    assert "<!-- Market median (now 35.00) -->" in svg  # the last day's, not the flat p50
    assert f"<!-- Market P25{charts.DASH}P75 (now 32.00{charts.DASH}38.00) -->" in svg
    assert "Market median 99.00" not in svg
    assert "<!-- Price (last 29.00) -->" in svg


def test_the_last_price_holds_until_the_listing_was_last_seen() -> None:
    points = [(T0, Decimal("40")), (T0 + timedelta(days=1), Decimal("30"))]
    until = T0 + timedelta(days=6)
    held = decode_png(charts.price_history(points, "USD", until=until))
    cut = decode_png(charts.price_history(points, "USD"))

    def low_in_the_middle(image: Image.Image) -> bool:  # the price line at 30, mid-axis
        counted = image.crop((350, 200, 600, 340)).getcolors(maxcolors=1 << 20) or []
        return any(colour == PRICE_LINE for _, colour in counted)

    assert low_in_the_middle(held)  # 30 from day 1 until day 6
    assert not low_in_the_middle(cut)  # the axis ends at day 1, where 30 was first seen


@pytest.mark.parametrize("name", list(CHARTS))
def test_narrow_charts_fit_a_phone_with_the_same_text_size(name: str) -> None:
    renders: dict[str, Callable[[charts.Format], bytes]] = {
        "history": lambda fmt: charts.price_history(
            [(T0, Decimal("41.5")), (T0 + timedelta(hours=50), Decimal("38.75"))], "USD",
            market=MARKET_DAYS, fmt=fmt, size="narrow"),
        "distribution": lambda fmt: charts.price_distribution(
            [Decimal(30 + i % 25) for i in range(300)], "EUR", highlight=Decimal("33"),
            fmt=fmt, size="narrow"),
        "trend": lambda fmt: charts.baseline_trend(MARKET_DAYS, "GBP", fmt=fmt, size="narrow"),
    }  # fmt: skip
    image = decode_png(renders[name]("png"))
    assert image.size == (400, 340)
    assert distinct_colours(image) > 50
    root = ET.fromstring(renders[name]("svg"))
    assert root.get("viewBox") == "0 0 288 244.8"


def test_a_bad_size_raises() -> None:
    with pytest.raises(ValueError, match="size"):
        charts.price_history(ONE, "USD", size="huge")  # type: ignore[arg-type]
