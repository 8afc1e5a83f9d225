"""Transfers (F-5.8): between warehouses of a store, or between stores with the parts in
transit: out of the source when shipped, into the target when received."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pitstop.accounts.models import Store
from pitstop.core.models import BaseModel, EventBase

from .catalogue import Part, Warehouse
from .common import QTY, UNIT_COST, ZERO


class Transfer(BaseModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        IN_TRANSIT = "in_transit", _("in transit")
        RECEIVED = "received", _("received")
        CANCELLED = "cancelled", _("cancelled")

    # Shipping and receiving are their own services (they write the ledger).
    ALLOWED = {
        Status.DRAFT: {Status.IN_TRANSIT, Status.CANCELLED},
        Status.IN_TRANSIT: {Status.RECEIVED},
        Status.RECEIVED: set(),
        Status.CANCELLED: set(),
    }

    number = models.CharField(_("transfer no."), max_length=32, unique=True, editable=False)
    # Both stores are kept on the document: each sees it, neither sees the other's stock.
    source_store = models.ForeignKey(
        Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("from store")
    )
    target_store = models.ForeignKey(
        Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("to store")
    )
    source = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="+", verbose_name=_("from warehouse")
    )
    target = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="+", verbose_name=_("to warehouse")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    shipped_at = models.DateTimeField(_("shipped"), null=True, blank=True)
    shipped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["source_store", "status"], name="transfer_source_status"),
            models.Index(fields=["target_store", "status"], name="transfer_target_status"),
        ]

    def __str__(self) -> str:
        return self.number


class TransferLine(models.Model):
    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="lines")
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="+", verbose_name=_("part"))
    quantity = models.DecimalField(_("quantity"), **QTY)
    unit_cost = models.DecimalField(_("unit cost"), **UNIT_COST, null=True, blank=True)
    received = models.DecimalField(_("received"), **QTY, default=ZERO)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["transfer", "part"], name="one_transfer_line_per_part")
        ]

    def __str__(self) -> str:
        return f"{self.transfer_id}: {self.quantity} × {self.part_id}"


class TransferEvent(EventBase):
    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="events")

    class Meta(EventBase.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.transfer_id}: {self.from_status} -> {self.to_status}"
