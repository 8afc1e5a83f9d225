"""Shared field sizes for the parts models."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

ZERO = Decimal("0")
QTY = {"max_digits": 12, "decimal_places": 3}
MONEY = {"max_digits": 14, "decimal_places": 2}
UNIT_COST = {"max_digits": 14, "decimal_places": 4}


class EventBase(models.Model):
    """Every change of a document's state: who, when, from, to, why. Each document has its own
    event table with a foreign key named after it."""

    at = models.DateTimeField(_("time"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    from_status = models.CharField(_("from"), max_length=16, blank=True)
    to_status = models.CharField(_("to"), max_length=16)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        abstract = True
        ordering = ["id"]
