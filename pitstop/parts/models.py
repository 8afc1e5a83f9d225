"""Parts and warehouse (F-5): a chain-wide catalogue, warehouses per store, a balance row per
part and warehouse, and a ledger of movements that is only ever inserted."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from pitstop.accounts.models import Store
from pitstop.core.models import BaseModel

ZERO = Decimal("0")
QTY = {"max_digits": 12, "decimal_places": 3}
MONEY = {"max_digits": 14, "decimal_places": 2}
UNIT_COST = {"max_digits": 14, "decimal_places": 4}


class PartCategory(BaseModel):
    """商品大类 and 商品小类: a category with a parent is a sub-category."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=60)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("main category"),
    )

    class Meta:
        verbose_name = _("part category")
        verbose_name_plural = _("part categories")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id else self.name


class Part(BaseModel):
    """The catalogue is shared by the chain, so a part code means the same part everywhere
    and can move between stores; stock and prices live per store."""

    class Origin(models.TextChoices):
        DOMESTIC = "domestic", _("domestic")
        IMPORTED = "imported", _("imported")

    class Quality(models.TextChoices):
        GENUINE = "genuine", _("genuine (OE)")
        EQUIVALENT = "equivalent", _("equivalent quality")
        AFTERMARKET = "aftermarket", _("aftermarket")

    code = models.CharField(_("part code"), max_length=40, unique=True)
    name = models.CharField(_("part name"), max_length=100)
    name_initials = models.CharField(max_length=60, editable=False, db_index=True)
    brand = models.CharField(_("brand"), max_length=40, blank=True)
    category = models.ForeignKey(
        PartCategory,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="parts",
        verbose_name=_("category"),
    )
    packaging = models.CharField(_("packaging"), max_length=40, blank=True)
    origin = models.CharField(
        _("imported or domestic"), max_length=10, choices=Origin.choices, default=Origin.DOMESTIC
    )
    quality = models.CharField(
        _("genuine or aftermarket"), max_length=12, choices=Quality.choices, default=Quality.GENUINE
    )
    place_of_origin = models.CharField(_("place of origin"), max_length=60, blank=True)
    use = models.CharField(_("use"), max_length=100, blank=True)
    fits_models = models.CharField(_("fits models"), max_length=300, blank=True)
    unit = models.CharField(_("unit"), max_length=10, default="个")
    barcode = models.CharField(_("barcode"), max_length=40, blank=True, db_index=True)
    default_bin = models.CharField(_("default bin"), max_length=20, blank=True)
    cost_price = models.DecimalField(
        _("reference cost"), **UNIT_COST, default=ZERO, validators=[MinValueValidator(ZERO)]
    )
    sale_price = models.DecimalField(
        _("sale price"), **MONEY, default=ZERO, validators=[MinValueValidator(ZERO)]
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("part")
        verbose_name_plural = _("parts")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Warehouse(BaseModel):
    class Kind(models.TextChoices):
        MAIN = "main", _("parts store")
        OLD_PARTS = "old_parts", _("old parts")
        OTHER = "other", _("other")

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.MAIN)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["store", "code"]
        constraints = [models.UniqueConstraint(fields=["store", "code"], name="warehouse_code_per_store")]

    def __str__(self) -> str:
        return self.name


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
        COUNTER_SALE = "counter_sale", _("counter sale")
        SCRAP = "scrap", _("scrap")

    IN_KINDS = frozenset({"opening", "purchase_receipt", "return", "transfer_in", "stocktake_gain"})

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


class Supplier(BaseModel):
    """供货单位: chain-wide, like the catalogue, so every store buys from the same file."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    contact = models.CharField(_("contact person"), max_length=40, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
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


class PurchaseOrderEvent(models.Model):
    """Every change of an order's state: who, when, from, to, why."""

    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status} -> {self.to_status}"
