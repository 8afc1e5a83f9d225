"""Filters every page uses, loaded as builtins (settings.TEMPLATES) so no template forgets."""

from decimal import Decimal

from django import template

from pitstop.core.money import plain

register = template.Library()


@register.filter
def qty(value) -> str:
    """A quantity as a person writes it: 10.000 → 10, 2.500 → 2.5 (never 1E+1)."""
    if value is None or value == "":
        return ""
    if isinstance(value, Decimal | int):
        return plain(Decimal(value))
    return str(value)
