"""Suppliers and purchase orders (F-5.2)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from pitstop.accounts.models import Store
from pitstop.core.models import BaseModel, EventBase

from .catalogue import Part, Warehouse
from .common import MONEY, QTY, UNIT_COST, ZERO


class Supplier(BaseModel):
    """供货单位: chain-wide, like the catalogue, so every store buys from the same file."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    contact = models.CharField(_("contact person"), max_length=40, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("email"), blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    tax_number = models.CharField(_("taxpayer number"), max_length=30, blank=True)
    bank_account = models.CharField(_("bank and account"), max_length=100, blank=True)
    payment_terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"), default=30)
    lead_time_days = models.PositiveSmallIntegerField(_("delivery time (days)"), default=3)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class PurchaseOrder(BaseModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        ORDERED = "ordered", _("ordered")
        PARTLY_RECEIVED = "partly_received", _("partly received")
        RECEIVED = "received", _("received")
        CLOSED = "closed", _("closed")
        CANCELLED = "cancelled", _("cancelled")

    # The moves a person may make; receiving moves ordered → partly received → received itself.
    ALLOWED = {
        Status.DRAFT: {Status.ORDERED, Status.CANCELLED},
        Status.ORDERED: {Status.CANCELLED, Status.CLOSED},
        Status.PARTLY_RECEIVED: {Status.CLOSED},
        Status.RECEIVED: {Status.CLOSED},
        Status.CLOSED: set(),
        Status.CANCELLED: set(),
    }

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    number = models.CharField(_("order no."), max_length=32, editable=False)
    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, related_name="orders", verbose_name=_("supplier")
    )
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="+", verbose_name=_("deliver to")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    expected_on = models.DateField(_("expected"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("purchase order")
        verbose_name_plural = _("purchase orders")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["store", "number"], name="po_number_per_store")]

    def __str__(self) -> str:
        return self.number


class PurchaseOrderLine(models.Model):
    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="+", verbose_name=_("part"))
    quantity = models.DecimalField(_("ordered"), **QTY, validators=[MinValueValidator(Decimal("0.001"))])
    unit_cost = models.DecimalField(_("unit cost"), **UNIT_COST, validators=[MinValueValidator(ZERO)])
    received = models.DecimalField(_("received"), **QTY, default=ZERO)

    class Meta:
        verbose_name = _("order line")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["order", "part"], name="one_line_per_part")]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.quantity} × {self.part_id}"

    @property
    def outstanding(self) -> Decimal:
        return max(ZERO, self.quantity - self.received)


class PurchaseOrderEvent(EventBase):
    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="events")

    class Meta(EventBase.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status} -> {self.to_status}"


class SupplierReturn(BaseModel):
    """退货单: parts sent back to a supplier, out of stock at the average cost, printed to go
    with the parts."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    number = models.CharField(_("return no."), max_length=32, editable=False)
    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, related_name="returns", verbose_name=_("supplier")
    )
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="+", verbose_name=_("from")
    )
    order = models.ForeignKey(
        PurchaseOrder,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="returns",
        verbose_name=_("purchase order"),
    )
    reason = models.CharField(_("reason"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("return to supplier")
        verbose_name_plural = _("returns to suppliers")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["store", "number"], name="supplier_return_number")]

    def __str__(self) -> str:
        return self.number


class SupplierReturnLine(models.Model):
    supplier_return = models.ForeignKey(SupplierReturn, on_delete=models.CASCADE, related_name="lines")
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="+", verbose_name=_("part"))
    quantity = models.DecimalField(_("quantity"), **QTY)
    unit_cost = models.DecimalField(_("unit cost"), **UNIT_COST)
    amount = models.DecimalField(_("amount"), **MONEY)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.supplier_return_id}: {self.quantity} × {self.part_id}"
