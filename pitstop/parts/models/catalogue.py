"""The chain-wide catalogue and the warehouses of each store (F-5.1, F-5.2)."""

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from pitstop.accounts.models import Store
from pitstop.core.models import BaseModel

from .common import MONEY, UNIT_COST, ZERO


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


class Bin(BaseModel):
    """货架/仓位: a place in a warehouse; stock levels and count sheets name it."""

    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="bins", verbose_name=_("warehouse")
    )
    code = models.CharField(_("bin"), max_length=20)
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("bin")
        verbose_name_plural = _("bins")
        ordering = ["warehouse", "code"]
        constraints = [models.UniqueConstraint(fields=["warehouse", "code"], name="bin_code_per_warehouse")]

    def __str__(self) -> str:
        return self.code


class PartPrice(BaseModel):
    """A sale price for one customer price type (retail, member, trade…); without one the
    part's own sale price applies."""

    part = models.ForeignKey(Part, on_delete=models.CASCADE, related_name="prices", verbose_name=_("part"))
    price_type = models.CharField(_("price type"), max_length=20)
    price = models.DecimalField(_("sale price"), **MONEY, validators=[MinValueValidator(ZERO)])

    class Meta:
        verbose_name = _("price by price type")
        verbose_name_plural = _("prices by price type")
        ordering = ["part", "price_type"]
        constraints = [models.UniqueConstraint(fields=["part", "price_type"], name="one_price_per_type")]

    def __str__(self) -> str:
        return f"{self.part_id} {self.price_type}: {self.price}"
