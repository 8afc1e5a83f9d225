"""Money and quantities: Decimal only, rounded half-up. A float is refused, never rounded."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
QUANTITY_PLACES = Decimal("0.001")
RATE_PLACES = Decimal("0.0001")


def _as_decimal(value: Decimal | int | str) -> Decimal:
    if isinstance(value, float):
        raise TypeError("money must never be a float; pass a Decimal, int or str")
    return value if isinstance(value, Decimal) else Decimal(value)


def to_money(value: Decimal | int | str) -> Decimal:
    return _as_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def to_quantity(value: Decimal | int | str) -> Decimal:
    return _as_decimal(value).quantize(QUANTITY_PLACES, rounding=ROUND_HALF_UP)


def to_rate(value: Decimal | int | str) -> Decimal:
    return _as_decimal(value).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def plain(quantity: Decimal) -> str:
    """10.000 -> "10", 2.500 -> "2.5": a quantity as a person writes it (normalize() alone
    would print 10 as 1E+1)."""
    return f"{_as_decimal(quantity).normalize():f}"


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    """percent (e.g. Decimal('8.5') for 8.5 %) of amount, rounded to the cent."""
    return to_money(_as_decimal(amount) * _as_decimal(percent) / Decimal(100))
