"""The market in words, as every alert, page and command states it (issue 12):
"46% under the usual $194, from 56 listings"."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

_SYMBOLS = {"USD": "$", "GBP": "£", "EUR": "€", "AUD": "A$"}


def amount(value: Decimal | float | str, currency: str) -> str:
    """`$194`, `$19.50`, `€1,204`, `312.40 CHF`: whole amounts without cents."""
    number = Decimal(str(value)).quantize(Decimal("0.01"))
    text = f"{number:,.0f}" if number == number.to_integral_value() else f"{number:,.2f}"
    symbol = _SYMBOLS.get(currency.upper())
    return f"{symbol}{text}" if symbol else f"{text} {currency.upper()}"


def _decimal(value: Decimal | float | str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def market_phrase(
    unit: Decimal | float | str | None,
    median: Decimal | float | str | None,
    samples: int,
    currency: str,
    sold: int = 0,
) -> str:
    """Where a unit price sits against its product's usual price, and on how many prices
    the usual price rests."""
    p50, price = _decimal(median), _decimal(unit)
    if p50 is None or p50 <= 0 or samples <= 0:
        return "no market price for this product yet"
    basis = f"from {samples} listing{'s' if samples != 1 else ''}"
    if sold:
        basis += f" ({sold} sold)"
    usual = amount(p50, currency)
    if price is None:
        return f"usually {usual}, {basis}"
    pct = round(float((p50 - price) / p50 * 100))
    if pct == 0:
        return f"at the usual {usual}, {basis}"
    side = "under" if pct > 0 else "over"
    return f"{abs(pct)}% {side} the usual {usual}, {basis}"
