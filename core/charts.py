"""Price charts rendered to image bytes: PNG for Discord embeds, SVG for the web dashboard.

Every call builds its own `Figure` on an Agg canvas and never touches pyplot, so renders can
run concurrently in worker threads (`asyncio.to_thread`). Styling is set on the artists, not
through the global rcParams; the one exception is the SVG id salt, which matplotlib reads only
from rcParams (see `_svg_settings`). Matplotlib serialises the draw itself (`Figure.draw` holds
a class-wide lock around its shared font caches); figure building and encoding overlap.

Text is never parsed as mathtext, since labels can come from callers and `$` is common in
anything about prices. The same input gives the same bytes (no timestamps, fixed SVG salt).
"""

from __future__ import annotations

import contextlib
import io
import math
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from itertools import cycle
from typing import Literal

import matplotlib as mpl
import numpy as np
import numpy.typing as npt
from matplotlib import dates as mdates
from matplotlib import ticker
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

Format = Literal["png", "svg"]
Theme = Literal["dark", "light"]
# "wide": 800x400 px for Discord and desktop pages; "narrow": 400x340 px, the same text size
# on a phone's width (a wide chart shrunk to 360 px has 4 px text).
Size = Literal["wide", "narrow"]
FloatArray = npt.NDArray[np.float64]

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 4.0, 100  # 800x400 px PNG; the SVG viewBox keeps the ratio
MAX_BINS = 60  # ~13 px per bar at 800 px; more is noise, and "auto" can ask for millions
MAX_LABEL = 24  # legend labels may come from callers; keep one from swallowing the chart
_AXES_RECT = (0.09, 0.13, 0.89, 0.84)  # left, bottom, width, height in figure fractions
_LEGEND_ROW, _LEGEND_PAD, _LEGEND_HANDLE_PX = 0.055, 0.03, 50  # the strip above the axes
_CURRENCY = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class _Layout:
    width_in: float
    height_in: float
    axes: tuple[float, float, float, float]  # left, bottom, width, height in fractions
    legend_row: float  # one legend row, as a fraction of the height
    legend_pad: float
    min_ticks: int  # date ticks
    max_ticks: int


_LAYOUTS = {
    "wide": _Layout(WIDTH_IN, HEIGHT_IN, _AXES_RECT, _LEGEND_ROW, _LEGEND_PAD, 3, 8),
    # The same margins in pixels as "wide" (tick labels and legend rows do not shrink).
    "narrow": _Layout(4.0, 3.4, (0.18, 0.155, 0.79, 0.81), 22 / 340, 12 / 340, 2, 5),
}

DASH = "\N{EN DASH}"
# svg.hashsalt is only read from the global rcParams; without it SVG ids are random uuids.
_SVG_SALT = "spt-core-charts"
_SVG_LOCK = threading.Lock()


@dataclass(frozen=True)
class _Palette:
    background: str
    text: str
    muted: str
    grid: str
    price: str
    median: str
    band: str
    bars: str
    highlight: str
    percentiles: tuple[str, ...]


_PALETTES: dict[str, _Palette] = {
    # Discord's embed background and text colours; accents are Discord's own, picked for
    # contrast on #2b2d31.
    "dark": _Palette(
        background="#2b2d31",
        text="#dbdee1",
        muted="#949ba4",
        grid="#3f4147",
        price="#00a8fc",
        median="#f0b232",
        band="#23a55a",
        bars="#5865f2",
        highlight="#f23f43",
        percentiles=("#23a55a", "#f0b232", "#eb459e", "#00a8fc"),
    ),
    "light": _Palette(
        background="#ffffff",
        text="#1f2328",
        muted="#59636e",
        grid="#d1d9e0",
        price="#0969da",
        median="#9a6700",
        band="#1a7f37",
        bars="#54aeff",
        highlight="#cf222e",
        percentiles=("#1a7f37", "#9a6700", "#8250df", "#0969da"),
    ),
}


def price_history(
    points: Sequence[tuple[datetime, Decimal]],
    currency: str,
    *,
    p25: Decimal | None = None,
    p50: Decimal | None = None,
    p75: Decimal | None = None,
    market: Sequence[tuple[date, Decimal | None, Decimal | None, Decimal | None]] | None = None,
    until: datetime | None = None,
    fmt: Format = "png",
    theme: Theme = "dark",
    size: Size = "wide",
) -> bytes:
    """A listing's unit price over time against its product's market.

    The price is a step line (a price holds until the next observation, the last one until
    `until` when given) with markers at the observations. The market is either `market`,
    the product's (day, p25, p50, p75) history, drawn as a daily band and median that move
    with it, or else the flat `p50` as a dashed line and `p25`-`p75` as a shaded band
    (drawn only when both are given). Naive datetimes are taken as UTC. Raises ValueError
    on empty input.
    """
    unit = _unit_label(currency)
    palette = _palette(theme)
    _check_format(fmt)
    layout = _layout(size)
    if not points:
        raise ValueError("price_history: no price points to plot (need at least one)")
    times = _date_nums(t for t, _ in points)
    prices = _floats([p for _, p in points], "price")
    order = np.argsort(times, kind="stable")  # callers' rows may come in any order
    times, prices = times[order], prices[order]
    observed = len(times)
    if until is not None:
        end = float(_date_nums([until])[0])
        if end > float(times[-1]):  # the last price held until then
            times, prices = np.append(times, end), np.append(prices, prices[-1])

    fig, ax = _figure(palette, layout)
    legend: list[tuple[Artist, str]] = []
    market = [row for row in market or () if any(v is not None for v in row[1:])]
    if market:
        legend += _market_band(ax, palette, market, float(times[-1]))
    elif p25 is not None and p75 is not None:
        low, high = sorted((_float(p25, "p25"), _float(p75, "p75")))
        band = ax.axhspan(low, high, color=palette.band, alpha=0.2, linewidth=0)
        legend.append((band, f"Market P25{DASH}P75 ({_money(low)}{DASH}{_money(high)})"))
    if p50 is not None and not market:
        median = _float(p50, "p50")
        line = ax.axhline(median, color=palette.median, linestyle="--", linewidth=1.5)
        legend.append((line, f"Market median {_money(median)}"))
    (step,) = ax.step(
        times,
        prices,
        where="post",
        color=palette.price,
        linewidth=2,
        marker="o",
        markersize=4 if observed <= 100 else 2,
        markevery=list(range(observed)),
    )
    legend.insert(0, (step, f"Price (last {_money(float(prices[-1]))})"))

    _date_axis(ax, palette, times, "Time (UTC)", layout)
    low, high = float(times[0]), float(times[-1])
    if high > low:  # the listing's own span; a market band reaching further is cut off
        pad = (high - low) * 0.03
        ax.set_xlim(low - pad, high + pad)
    ax.yaxis.set_major_formatter(_price_formatter())
    ax.set_ylabel(unit, color=palette.text, parse_math=False)
    _legend(ax, palette, legend, layout)
    return _render(fig, fmt)


def _market_band(
    ax: Axes,
    palette: _Palette,
    market: Sequence[tuple[date, Decimal | None, Decimal | None, Decimal | None]],
    end: float,
) -> list[tuple[Artist, str]]:
    """A product's daily P25-P75 band and median as steps (a day's market holds until the
    next), the last day's reaching `end`."""
    x = _date_nums(datetime.combine(row[0], time(), UTC) for row in market)
    low = _optional_floats([row[1] for row in market], "p25")
    mid = _optional_floats([row[2] for row in market], "p50")
    high = _optional_floats([row[3] for row in market], "p75")
    order = np.argsort(x, kind="stable")
    x, low, mid, high = x[order], low[order], mid[order], high[order]
    last = max(end, float(x[-1]) + 1)
    x, low, mid, high = (np.append(x, last), np.append(low, low[-1]), np.append(mid, mid[-1]),
                         np.append(high, high[-1]))  # fmt: skip
    entries: list[tuple[Artist, str]] = []
    both = ~np.isnan(low) & ~np.isnan(high)
    if both.any():
        band = ax.fill_between(x, low, high, where=both, step="post", color=palette.band,
                               alpha=0.2, linewidth=0)  # fmt: skip
        known = np.flatnonzero(both)[-1]
        entries.append((band, f"Market P25{DASH}P75 (now {_money(float(low[known]))}{DASH}"
                              f"{_money(float(high[known]))})"))  # fmt: skip
    if not np.isnan(mid).all():
        (line,) = ax.step(x, mid, where="post", color=palette.median, linestyle="--",
                          linewidth=1.5)  # fmt: skip
        now = float(mid[~np.isnan(mid)][-1])
        entries.append((line, f"Market median (now {_money(now)})"))
    return entries


def price_distribution(
    unit_prices: Sequence[Decimal],
    currency: str,
    *,
    percentiles: Mapping[str, Decimal | None] | None = None,
    highlight: Decimal | None = None,
    fmt: Format = "png",
    theme: Theme = "dark",
    size: Size = "wide",
) -> bytes:
    """A histogram of a product's unit prices with percentile lines and an optional highlight.

    `percentiles` maps legend labels to prices (e.g. a baseline's {"P10": ..., "P50": ...,
    "P90": ...}); None values are skipped. Without it, P10/P50/P90 are computed from the
    prices. `highlight` marks the listing being looked at. Raises ValueError on empty input.
    """
    unit = _unit_label(currency)
    palette = _palette(theme)
    _check_format(fmt)
    if not unit_prices:
        raise ValueError("price_distribution: no unit prices to plot (need at least one)")
    values = _floats(unit_prices, "unit price")
    if percentiles is None:
        computed = np.percentile(values, [10, 50, 90])
        lines = [(f"P{q}", float(v)) for q, v in zip((10, 50, 90), computed, strict=True)]
    else:
        lines = [
            (_short(label), _float(value, f"percentile {label!r}"))
            for label, value in percentiles.items()
            if value is not None
        ]

    fig, ax = _figure(palette, _layout(size))
    edges = _bin_edges(values)
    counts, _ = np.histogram(values, bins=edges)
    # One StepPatch instead of a Rectangle per bar keeps the SVG small.
    bars = ax.stairs(counts, edges, fill=True, color=palette.bars, alpha=0.85, linewidth=0)
    noun = "listing" if len(values) == 1 else "listings"
    legend: list[tuple[Artist, str]] = [(bars, f"{len(values):,} {noun}")]
    for (label, value), color in zip(lines, cycle(palette.percentiles), strict=False):
        line = ax.axvline(value, color=color, linestyle="--", linewidth=1.5)
        legend.append((line, f"{label} {_money(value)}"))
    if highlight is not None:
        mark = _float(highlight, "highlight")
        line = ax.axvline(mark, color=palette.highlight, linewidth=2.5)
        legend.append((line, f"This listing {_money(mark)}"))

    ax.xaxis.set_major_formatter(_price_formatter())
    ax.yaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    ax.set_xlabel(unit, color=palette.text, parse_math=False)
    ax.set_ylabel("Listings", color=palette.text, parse_math=False)
    ax.set_ylim(bottom=0)
    _legend(ax, palette, legend, _layout(size))
    return _render(fig, fmt)


def baseline_trend(
    days: Sequence[tuple[date, Decimal | None, Decimal | None, Decimal | None]],
    currency: str,
    *,
    fmt: Format = "png",
    theme: Theme = "dark",
    size: Size = "wide",
) -> bytes:
    """A product's market over time: P50 per day with the P25-P75 band.

    `days` holds (day, p25, p50, p75) rows; None values leave a gap. Raises ValueError when
    there are no days or no day has any percentile.
    """
    unit = _unit_label(currency)
    palette = _palette(theme)
    _check_format(fmt)
    if not days:
        raise ValueError("baseline_trend: no days to plot (need at least one)")
    x = _date_nums(datetime.combine(row[0], time(), UTC) for row in days)
    low = _optional_floats([row[1] for row in days], "p25")
    mid = _optional_floats([row[2] for row in days], "p50")
    high = _optional_floats([row[3] for row in days], "p75")
    if np.isnan(low).all() and np.isnan(mid).all() and np.isnan(high).all():
        raise ValueError("baseline_trend: every day's percentiles are None (nothing to plot)")
    order = np.argsort(x, kind="stable")
    x, low, mid, high = x[order], low[order], mid[order], high[order]

    layout = _layout(size)
    fig, ax = _figure(palette, layout)
    legend: list[tuple[Artist, str]] = []
    both = ~np.isnan(low) & ~np.isnan(high)
    if both.any():
        band = ax.fill_between(x, low, high, where=both, color=palette.band, alpha=0.2, linewidth=0)
        # fill_between gives a day with no banded neighbour zero width; draw it as a bar.
        prev = np.concatenate(([False], both[:-1]))
        nxt = np.concatenate((both[1:], [False]))
        lonely = both & ~prev & ~nxt
        if lonely.any():
            ax.vlines(
                x[lonely], low[lonely], high[lonely], color=palette.band, alpha=0.35, linewidth=6
            )
        legend.append((band, f"P25{DASH}P75"))
    if not np.isnan(mid).all():
        (line,) = ax.plot(
            x,
            mid,
            color=palette.median,
            linewidth=2,
            marker="o" if len(x) <= 60 else "",
            markersize=3,
        )
        last = float(mid[~np.isnan(mid)][-1])
        legend.append((line, f"Median (last {_money(last)})"))

    _date_axis(ax, palette, x, "Day (UTC)", layout)
    ax.yaxis.set_major_formatter(_price_formatter())
    ax.set_ylabel(unit, color=palette.text, parse_math=False)
    _legend(ax, palette, legend, layout)
    return _render(fig, fmt)


def _unit_label(currency: str) -> str:
    # The code ends up in a label; anything but an ISO 4217 shape is a caller bug.
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
        raise ValueError(f"currency must be three uppercase ASCII letters, got {currency!r:.20}")
    return f"{currency} per unit"


def _palette(theme: str) -> _Palette:
    try:
        return _PALETTES[theme]
    except KeyError:
        raise ValueError(f"theme must be 'dark' or 'light', got {theme!r:.20}") from None


def _layout(size: str) -> _Layout:
    try:
        return _LAYOUTS[size]
    except KeyError:
        raise ValueError(f"size must be 'wide' or 'narrow', got {size!r:.20}") from None


def _check_format(fmt: str) -> None:
    if fmt not in ("png", "svg"):
        raise ValueError(f"fmt must be 'png' or 'svg', got {fmt!r:.20}")


def _float(value: Decimal | None, what: str) -> float:
    try:
        result = math.nan if value is None else float(value)
    except (TypeError, ValueError):  # sNaN, or not a number at all
        result = math.nan
    if not math.isfinite(result):
        raise ValueError(f"{what} must be a finite number, got {value!r:.40}")
    return result


def _floats(values: Sequence[Decimal], what: str) -> FloatArray:
    """Decimals to one float array, converted once; rejects None, NaN and infinities."""
    with contextlib.suppress(TypeError, ValueError):
        out = np.fromiter(map(float, values), dtype=np.float64, count=len(values))
        if np.isfinite(out).all():
            return out
    return np.array([_float(value, what) for value in values])  # raises, naming the value


def _optional_floats(values: Sequence[Decimal | None], what: str) -> FloatArray:
    """Like `_floats`, with None as NaN (a gap in the line)."""
    return np.array([math.nan if v is None else _float(v, what) for v in values])


def _date_nums(moments: Iterable[datetime]) -> FloatArray:
    aware = [m if m.tzinfo is not None else m.replace(tzinfo=UTC) for m in moments]
    nums = mdates.date2num(aware)  # type: ignore[no-untyped-call]  # untyped module
    return np.asarray(nums, dtype=np.float64).reshape(-1)


def _money(value: float) -> str:
    return f"{value:,.2f}"


def _short(label: str) -> str:
    # One line (a newline would spill out of the legend strip), no control characters.
    label = "".join(ch if ch.isprintable() else " " for ch in str(label)).strip()
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def _bin_edges(values: FloatArray) -> FloatArray:
    """numpy's "auto" rule (the finer of Freedman-Diaconis and Sturges), capped at MAX_BINS.

    Computed here because np.histogram_bin_edges("auto") first allocates every edge: one
    far outlier among tightly clustered prices asks for millions of bins.
    """
    lo, hi = float(values.min()), float(values.max())
    if lo == hi:
        half = abs(lo) * 0.05 or 0.5
        return np.array([lo - half, hi + half])
    n = len(values)
    bins = math.ceil(math.log2(n)) + 1
    q25, q75 = np.percentile(values, [25, 75])
    iqr = float(q75 - q25)
    if iqr > 0:
        width = 2.0 * iqr * n ** (-1 / 3)
        bins = max(bins, math.ceil((hi - lo) / width))
    return np.linspace(lo, hi, min(bins, MAX_BINS) + 1)


def _figure(palette: _Palette, layout: _Layout) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(layout.width_in, layout.height_in), dpi=DPI,
                 facecolor=palette.background)  # fmt: skip
    fig.set_layout_engine("none")  # a global figure.autolayout must not move things around
    FigureCanvasAgg(fig)  # Agg for this figure only; no global backend switch
    # Fixed margins, not constrained layout: that costs a second full draw per render, and
    # tick labels here are short numbers and dates whose width is known.
    ax = fig.add_axes(layout.axes)
    ax.set_facecolor(palette.background)
    for name, spine in ax.spines.items():
        spine.set_visible(name in ("left", "bottom"))
        spine.set_color(palette.grid)
    ax.tick_params(colors=palette.grid, labelcolor=palette.muted, labelsize=9)
    ax.grid(True, color=palette.grid, linewidth=0.6)
    ax.set_axisbelow(True)
    return fig, ax


def _date_axis(ax: Axes, palette: _Palette, nums: FloatArray, label: str, layout: _Layout) -> None:
    # matplotlib.dates ships without type hints. usetex=False: a global text.usetex must not
    # make the axis need LaTeX.
    locator = mdates.AutoDateLocator(  # type: ignore[no-untyped-call]
        tz=UTC, minticks=layout.min_ticks, maxticks=layout.max_ticks
    )
    # Whole days as an hourly step too: few ticks over two or three days have no other.
    locator.intervald[mdates.HOURLY] = [1, 2, 3, 4, 6, 12, 24]
    formatter = mdates.ConciseDateFormatter(  # type: ignore[no-untyped-call]
        locator, tz=UTC, usetex=False
    )
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(formatter)
    ax.xaxis.get_offset_text().set_color(palette.muted)
    if float(nums.min()) == float(nums.max()):
        # AutoDateLocator widens a zero span to four years; one day either side reads better.
        ax.set_xlim(float(nums[0]) - 1, float(nums[0]) + 1)
    ax.set_xlabel(label, color=palette.muted, fontsize=9, parse_math=False)


def _price_formatter() -> ticker.Formatter:
    # No offset ("+1e3") and no scientific notation: prices read as plain numbers.
    formatter = ticker.ScalarFormatter(useOffset=False, useMathText=False, useLocale=False)
    formatter.set_scientific(False)
    return formatter


def _legend(
    ax: Axes, palette: _Palette, entries: Sequence[tuple[Artist, str]], layout: _Layout
) -> None:
    """The legend in a strip above the axes, so it never hides data; rows as the labels need."""
    if not entries:
        return
    handles, labels = zip(*entries, strict=True)
    ncols = _legend_columns(labels, layout)
    rows = math.ceil(len(labels) / ncols)
    left, bottom, width, _ = layout.axes
    ax.set_position((left, bottom, width,
                     1 - bottom - layout.legend_pad - layout.legend_row * rows))  # fmt: skip
    # Explicit handles and labels: legend() would drop labels starting with "_".
    legend = ax.legend(
        handles,
        labels,
        loc="lower left",
        bbox_to_anchor=(0, 1.02),
        borderaxespad=0,
        ncols=ncols,
        fontsize=9,
        frameon=False,
        labelcolor=palette.text,
    )
    for text in legend.get_texts():
        text.set_parse_math(False)


def _legend_columns(labels: Sequence[str], layout: _Layout) -> int:
    # A width estimate (DejaVu Sans at 9 pt averages about 7 px a character) rather than a
    # measurement, which would lay out every text once more. The strip may reach the edge.
    available = layout.width_in * DPI * (1 - layout.axes[0]) - 8

    def entry(chars: int) -> float:
        return 7 * chars + _LEGEND_HANDLE_PX

    if sum(entry(len(label)) for label in labels) <= available:
        return len(labels)
    return max(1, int(available // entry(max(map(len, labels)))))


def _render(fig: Figure, fmt: Format) -> bytes:
    buffer = io.BytesIO()
    background = fig.get_facecolor()
    if fmt == "png":
        fig.savefig(
            buffer,
            format="png",
            dpi=DPI,
            facecolor=background,
            edgecolor="none",
            metadata={"Software": None},
        )
    else:
        with _svg_settings():
            fig.savefig(
                buffer,
                format="svg",
                facecolor=background,
                edgecolor="none",
                metadata={"Date": None, "Creator": None},
            )
    return buffer.getvalue()


@contextlib.contextmanager
def _svg_settings() -> Iterator[None]:
    """Pin the SVG id salt (and text-as-paths) for one save, then put the old values back.

    The lock keeps our set/restore pairs from interleaving across threads. Only these two
    keys are restored; rc_context would restore every key and undo other threads' changes.
    """
    with _SVG_LOCK:
        salt, fonttype = mpl.rcParams["svg.hashsalt"], mpl.rcParams["svg.fonttype"]
        mpl.rcParams["svg.hashsalt"], mpl.rcParams["svg.fonttype"] = _SVG_SALT, "path"
        try:
            yield
        finally:
            mpl.rcParams["svg.hashsalt"], mpl.rcParams["svg.fonttype"] = salt, fonttype
