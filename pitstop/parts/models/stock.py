"""A balance row per part and warehouse, and a ledger of movements that is only ever inserted
(F-5.3 to F-5.5)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from pitstop.accounts.models import Store
from pitstop.core.models import BaseModel

from .catalogue import Part, Warehouse
from .common import MONEY, QTY, UNIT_COST, ZERO


class StockLevel(models.Model):
    """The balance of one part in one warehouse, changed only by the stock services, under a
    row lock, together with the movement that explains the change."""

    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="levels", verbose_name=_("part"))
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="levels", verbose_name=_("warehouse")
    )
    bin = models.CharField(_("bin"), max_length=20, blank=True)
    on_hand = models.DecimalField(_("on hand"), **QTY, default=ZERO)
    reserved = models.DecimalField(_("reserved"), **QTY, default=ZERO)
    average_cost = models.DecimalField(_("average cost"), **UNIT_COST, default=ZERO)
    value = models.DecimalField(_("stock value"), **MONEY, default=ZERO)
    min_level = models.DecimalField(_("minimum"), **QTY, default=ZERO, validators=[MinValueValidator(ZERO)])
    max_level = models.DecimalField(_("maximum"), **QTY, default=ZERO, validators=[MinValueValidator(ZERO)])
    last_movement_at = models.DateTimeField(_("last movement"), null=True, blank=True)

    class Meta:
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        constraints = [
            models.UniqueConstraint(fields=["part", "warehouse"], name="one_level_per_part_and_warehouse"),
            models.CheckConstraint(condition=models.Q(on_hand__gte=0), name="stock_never_negative"),
            models.CheckConstraint(condition=models.Q(reserved__gte=0), name="reserved_never_negative"),
            models.CheckConstraint(condition=models.Q(value__gte=0), name="stock_value_never_negative"),
        ]
        indexes = [models.Index(fields=["warehouse", "part"], name="level_warehouse_part")]

    def __str__(self) -> str:
        return f"{self.part_id}@{self.warehouse_id}: {self.on_hand}"

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


class StockMovement(models.Model):
    """One line of the ledger. Never updated or deleted: a correction is a new movement."""

    class Kind(models.TextChoices):
        OPENING = "opening", _("opening balance")
        PURCHASE_RECEIPT = "purchase_receipt", _("purchase receipt")
        SUPPLIER_RETURN = "supplier_return", _("return to supplier")
        ISSUE = "issue", _("issue to a job")
        RETURN = "return", _("return from a job")
        TRANSFER_OUT = "transfer_out", _("transfer out")
        TRANSFER_IN = "transfer_in", _("transfer in")
        STOCKTAKE_GAIN = "stocktake_gain", _("stocktake gain")
        STOCKTAKE_LOSS = "stocktake_loss", _("stocktake loss")
        EXCHANGE_IN = "exchange_in", _("exchange: part back")
        EXCHANGE_OUT = "exchange_out", _("exchange: part out")
        COUNTER_SALE = "counter_sale", _("counter sale")
        SCRAP = "scrap", _("scrap")

    IN_KINDS = frozenset(
        {"opening", "purchase_receipt", "return", "exchange_in", "transfer_in", "stocktake_gain"}
    )

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="movements", verbose_name=_("warehouse")
    )
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="movements", verbose_name=_("part"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    quantity = models.DecimalField(_("quantity"), **QTY, help_text=_("Positive in, negative out."))
    unit_cost = models.DecimalField(_("unit cost"), **UNIT_COST)
    value = models.DecimalField(_("value"), **MONEY, help_text=_("Change of the stock value, signed."))
    on_hand_after = models.DecimalField(_("on hand after"), **QTY)
    value_after = models.DecimalField(_("value after"), **MONEY)
    # What the movement belongs to, kept generic so later documents (work orders, sales) plug in.
    reference_type = models.CharField(_("document type"), max_length=30, blank=True)
    reference_id = models.PositiveBigIntegerField(null=True, blank=True)
    reference_no = models.CharField(_("document no."), max_length=40, blank=True)
    taken_by = models.CharField(_("taken by"), max_length=60, blank=True)
    reversal_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversals",
        verbose_name=_("reverses"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["part", "warehouse", "-id"], name="movement_part_history"),
            models.Index(fields=["reference_type", "reference_id"], name="movement_reference"),
            models.Index(fields=["store", "-at"], name="movement_store_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity} × {self.part_id}"

    def save(self, *args, **kwargs):
        # The ledger is append-only: an integrity guard, not business logic.
        if self.pk is not None:
            raise RuntimeError("stock movements are never changed; post a correcting movement")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("stock movements are never deleted; post a correcting movement")


class Reservation(BaseModel):
    """Stock set aside for an appointment or a work order: it lowers what is available."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ISSUED = "issued", _("issued")
        RELEASED = "released", _("released")

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="reservations")
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="reservations")
    quantity = models.DecimalField(_("quantity"), **QTY)
    issued = models.DecimalField(_("issued"), **QTY, default=ZERO)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    reference_type = models.CharField(_("document type"), max_length=30, blank=True)
    reference_id = models.PositiveBigIntegerField(null=True, blank=True)
    reference_no = models.CharField(_("document no."), max_length=40, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.part_id} ({self.status})"

    @property
    def outstanding(self) -> Decimal:
        return self.quantity - self.issued
