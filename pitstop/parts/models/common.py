"""Shared field sizes for the parts models."""

from decimal import Decimal

ZERO = Decimal("0")
QTY = {"max_digits": 12, "decimal_places": 3}
MONEY = {"max_digits": 14, "decimal_places": 2}
UNIT_COST = {"max_digits": 14, "decimal_places": 4}
