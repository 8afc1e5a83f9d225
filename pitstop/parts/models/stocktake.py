"""Stocktake (F-5.7): a count sheet for a warehouse or some of its bins, counted by scanner or
by hand, blind or not, approved, then posted as gains and losses at the average cost."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pitstop.accounts.models import Store
from pitstop.core.models import BaseModel, EventBase

from .catalogue import Part, Warehouse
from .common import MONEY, QTY, UNIT_COST
from .stock import StockMovement


class Stocktake(BaseModel):
    class Status(models.TextChoices):
        COUNTING = "counting", _("counting")
        SUBMITTED = "submitted", _("awaiting approval")
        POSTED = "posted", _("posted")
        CANCELLED = "cancelled", _("cancelled")

    # Posting is its own service (it writes the ledger); the rest are plain moves.
    ALLOWED = {
        Status.COUNTING: {Status.SUBMITTED, Status.CANCELLED},
        Status.SUBMITTED: {Status.COUNTING, Status.POSTED, Status.CANCELLED},
        Status.POSTED: set(),
        Status.CANCELLED: set(),
    }

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    number = models.CharField(_("stocktake no."), max_length=32, editable=False)
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="stocktakes", verbose_name=_("warehouse")
    )
    bins = models.CharField(_("bins"), max_length=200, blank=True, help_text=_("Empty: the whole warehouse."))
    blind = models.BooleanField(
        _("blind count"), default=False, help_text=_("Counters do not see the book quantity.")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.COUNTING)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    posted_at = models.DateTimeField(_("posted"), null=True, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("stocktake")
        verbose_name_plural = _("stocktakes")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["store", "number"], name="stocktake_number_per_store")]
        permissions = [("approve_stocktake", _("Can approve and post a stocktake"))]

    def __str__(self) -> str:
        return self.number


class StocktakeLine(models.Model):
    """One part on the sheet. The difference is taken against the book quantity at the moment
    the count was entered, so parts issued or received during the count are not mistaken for
    a gain or a loss."""

    stocktake = models.ForeignKey(Stocktake, on_delete=models.CASCADE, related_name="lines")
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="+", verbose_name=_("part"))
    bin = models.CharField(_("bin"), max_length=20, blank=True)
    expected = models.DecimalField(_("book quantity"), **QTY, help_text=_("When the sheet was made."))
    book_at_count = models.DecimalField(_("book quantity at count"), **QTY, null=True, blank=True)
    counted = models.DecimalField(_("counted"), **QTY, null=True, blank=True)
    counted_at = models.DateTimeField(_("counted at"), null=True, blank=True)
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Filled when posted: what went into the ledger.
    difference = models.DecimalField(_("difference"), **QTY, null=True, blank=True)
    unit_cost = models.DecimalField(_("unit cost"), **UNIT_COST, null=True, blank=True)
    value = models.DecimalField(_("value of the difference"), **MONEY, null=True, blank=True)
    movement = models.ForeignKey(
        StockMovement, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("count line")
        ordering = ["bin", "part__code"]
        constraints = [models.UniqueConstraint(fields=["stocktake", "part"], name="one_count_line_per_part")]

    def __str__(self) -> str:
        return f"{self.stocktake_id}: {self.part_id} {self.counted}"


class StocktakeEvent(EventBase):
    stocktake = models.ForeignKey(Stocktake, on_delete=models.CASCADE, related_name="events")

    class Meta(EventBase.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.stocktake_id}: {self.from_status} -> {self.to_status}"
