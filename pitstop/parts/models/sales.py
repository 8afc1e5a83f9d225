"""Counter sales of parts (F-5.9, 配件销售): a sales document that takes stock out when it is
posted. Payment is taken at the cash desk: a posted sale waits there until the cash desk
calls `counter_sale_mark_paid`."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pitstop.accounts.models import Store
from pitstop.core.models import BaseModel, EventBase

from .catalogue import Part, Warehouse
from .common import MONEY, QTY, UNIT_COST, ZERO

RATE = {"max_digits": 7, "decimal_places": 4}


class CounterSale(BaseModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        POSTED = "posted", _("awaiting payment")
        PAID = "paid", _("paid")
        CANCELLED = "cancelled", _("cancelled")

    ALLOWED = {
        Status.DRAFT: {Status.POSTED, Status.CANCELLED},
        # Cancelling a posted sale puts its parts back (a reversal in the ledger).
        Status.POSTED: {Status.PAID, Status.CANCELLED},
        Status.PAID: set(),
        Status.CANCELLED: set(),
    }

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    number = models.CharField(_("sale no."), max_length=32, editable=False)
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="+", verbose_name=_("warehouse")
    )
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("customer"),
    )
    buyer_name = models.CharField(_("buyer"), max_length=60, blank=True)
    buyer_phone = models.CharField(_("buyer's phone"), max_length=30, blank=True)
    price_type = models.CharField(_("price type"), max_length=20, default="retail")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    note = models.CharField(_("note"), max_length=200, blank=True)
    # Totals are stored when posted: a line is rounded, then lines are summed.
    subtotal = models.DecimalField(_("subtotal"), **MONEY, default=ZERO)
    discount = models.DecimalField(_("discount"), **MONEY, default=ZERO)
    total = models.DecimalField(_("total"), **MONEY, default=ZERO)
    cost = models.DecimalField(_("cost of parts"), **MONEY, default=ZERO)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    posted_at = models.DateTimeField(_("posted"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    payment_reference = models.CharField(
        _("payment reference"), max_length=60, blank=True, help_text=_("Set by the cash desk.")
    )

    class Meta:
        verbose_name = _("counter sale")
        verbose_name_plural = _("counter sales")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["store", "number"], name="counter_sale_number_per_store")
        ]
        indexes = [models.Index(fields=["store", "status"], name="counter_sale_store_status")]
        permissions = [("sell_below_cost", _("Can sell parts below their cost"))]

    def __str__(self) -> str:
        return self.number


class CounterSaleLine(models.Model):
    sale = models.ForeignKey(CounterSale, on_delete=models.CASCADE, related_name="lines")
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="+", verbose_name=_("part"))
    quantity = models.DecimalField(_("quantity"), **QTY)
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    discount_rate = models.DecimalField(
        _("discount rate"),
        **RATE,
        default=ZERO,
        # xgettext:no-python-format
        help_text=_("0.1000 is 10% off."),
    )
    amount = models.DecimalField(_("amount"), **MONEY, default=ZERO)
    unit_cost = models.DecimalField(_("unit cost"), **UNIT_COST, null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.sale_id}: {self.quantity} × {self.part_id}"


class CounterSaleEvent(EventBase):
    sale = models.ForeignKey(CounterSale, on_delete=models.CASCADE, related_name="events")

    class Meta(EventBase.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.sale_id}: {self.from_status} -> {self.to_status}"
