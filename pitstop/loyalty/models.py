"""Memberships and loyalty (F-7.1 to F-7.5): membership cards (会员卡), stored value (储值),
points (积分), package and count cards (次卡/套餐, 首保/二保) and coupons (优惠券).

Every balance follows the stock pattern (STYLE.md): a balance row changed only by the services
under select_for_update, and a ledger of entries that are only ever inserted; a check
constraint in the database refuses a negative balance even if a service forgot."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pitstop.accounts.models import Store
from pitstop.core.models import BaseModel, EventBase
from pitstop.customers.models import Customer, CustomerTier, Vehicle

ZERO = Decimal("0.00")
MONEY = {"max_digits": 12, "decimal_places": 2}
NOT_NEGATIVE = [MinValueValidator(ZERO)]


class LineKind(models.TextChoices):
    """The kinds of settlement line that points and coupons are ruled by."""

    LABOUR = "labour", _("labour")
    PARTS = "parts", _("parts")
    OTHER = "other", _("other")


def _actor_fk():
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        verbose_name=_("by"),
    )


class ReferenceFields(models.Model):
    """What a ledger entry belongs to (parts.services.Reference: type, id, no)."""

    reference_type = models.CharField(_("reference type"), max_length=30, blank=True)
    reference_id = models.PositiveBigIntegerField(_("reference id"), null=True, blank=True)
    reference_no = models.CharField(_("reference no."), max_length=40, blank=True)

    class Meta:
        abstract = True


# ---------------------------------------------------------------------------------------------
# Memberships (会员卡)


class Membership(BaseModel):
    """A customer's membership card in a store. A lost card is blocked and replaced by a new
    row (replaced_by); the customer's balances belong to the customer, so they follow."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        LEFT = "left", _("left")
        BLOCKED = "blocked", _("blocked")

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("customer")
    )
    card_no = models.CharField(_("card no."), max_length=32)
    tier = models.ForeignKey(
        CustomerTier, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("tier")
    )
    joined_on = models.DateField(_("joined"))
    expires_on = models.DateField(_("expires"), null=True, blank=True, help_text=_("Empty: no expiry."))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE)
    fee_paid = models.DecimalField(_("fee paid"), **MONEY, default=ZERO, validators=NOT_NEGATIVE)
    left_on = models.DateField(_("left"), null=True, blank=True)
    replaced_by = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaces",
        verbose_name=_("replaced by"),
    )
    created_by = _actor_fk()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["store", "card_no"], name="membership_card_no_per_store"),
            models.UniqueConstraint(
                fields=["store", "customer"],
                condition=Q(status="active"),
                name="one_active_membership_per_customer",
            ),
        ]

    def __str__(self) -> str:
        return self.card_no


class MembershipEvent(EventBase):
    """Join, renewal, change of tier, leaving, a replaced card: who, when, what was paid."""

    class Kind(models.TextChoices):
        JOIN = "join", _("joined")
        RENEW = "renew", _("renewed")
        UPGRADE = "upgrade", _("upgraded")
        DOWNGRADE = "downgrade", _("downgraded")
        LEAVE = "leave", _("left")
        REPLACE = "replace", _("card replaced")

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    from_tier = models.ForeignKey(
        CustomerTier, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_tier = models.ForeignKey(
        CustomerTier, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(_("amount"), **MONEY, default=ZERO)

    class Meta(EventBase.Meta):
        verbose_name = _("membership event")


# ---------------------------------------------------------------------------------------------
# Stored value (储值)


class TopUpRule(BaseModel):
    """充值赠送: pay at least `pay_at_least`, get `bonus` on top. The highest rule met applies."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+", verbose_name=_("store"))
    name = models.CharField(_("name"), max_length=60, blank=True)
    pay_at_least = models.DecimalField(_("pay at least"), **MONEY, validators=NOT_NEGATIVE)
    bonus = models.DecimalField(_("bonus"), **MONEY, validators=NOT_NEGATIVE)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("top-up rule")
        verbose_name_plural = _("top-up rules")
        ordering = ["store", "-pay_at_least"]
        constraints = [
            models.CheckConstraint(
                condition=Q(pay_at_least__gt=0, bonus__gte=0), name="top_up_rule_amounts_positive"
            )
        ]

    def __str__(self) -> str:
        return self.name or f"{self.pay_at_least} + {self.bonus}"


class StoredValueAccount(BaseModel):
    """A customer's stored value in one store: principal (paid in) and bonus (given)."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="stored_value_accounts", verbose_name=_("customer")
    )
    principal = models.DecimalField(_("principal"), **MONEY, default=ZERO, editable=False)
    bonus = models.DecimalField(_("bonus"), **MONEY, default=ZERO, editable=False)

    class Meta:
        verbose_name = _("stored-value account")
        verbose_name_plural = _("stored-value accounts")
        constraints = [
            models.UniqueConstraint(fields=["store", "customer"], name="one_stored_value_account"),
            models.CheckConstraint(condition=Q(principal__gte=0), name="stored_principal_never_negative"),
            models.CheckConstraint(condition=Q(bonus__gte=0), name="stored_bonus_never_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}@{self.store_id}: {self.balance}"

    @property
    def balance(self) -> Decimal:
        return self.principal + self.bonus


class StoredValueEntry(ReferenceFields):
    """One change of a stored-value balance. Only ever inserted; a mistake is undone by a
    reversal entry pointing at it. principal and bonus are signed (+ in, − out)."""

    class Kind(models.TextChoices):
        TOP_UP = "top_up", _("top-up")
        SPEND = "spend", _("spend")
        REFUND = "refund", _("refund")
        REVERSAL = "reversal", _("reversal")

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    account = models.ForeignKey(StoredValueAccount, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    principal = models.DecimalField(_("principal"), **MONEY)
    bonus = models.DecimalField(_("bonus"), **MONEY)
    principal_after = models.DecimalField(_("principal after"), **MONEY)
    bonus_after = models.DecimalField(_("bonus after"), **MONEY)
    rule = models.ForeignKey(TopUpRule, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reversal_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversals"
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    created_by = _actor_fk()
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("stored-value entry")
        verbose_name_plural = _("stored-value ledger")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(principal_after__gte=0, bonus_after__gte=0),
                name="stored_entry_after_never_negative",
            ),
            models.UniqueConstraint(fields=["reversal_of"], name="stored_entry_reversed_once"),
        ]
        indexes = [models.Index(fields=["reference_type", "reference_id"], name="stored_entry_reference")]

    def __str__(self) -> str:
        return f"{self.kind} {self.principal + self.bonus}"

    @property
    def amount(self) -> Decimal:
        return self.principal + self.bonus


# ---------------------------------------------------------------------------------------------
# Points (积分)


class PointsRule(BaseModel):
    """Points earned per yuan paid, by line kind, in a store (e.g. 1 point per ¥1 of parts)."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+", verbose_name=_("store"))
    line_kind = models.CharField(_("line kind"), max_length=8, choices=LineKind.choices)
    points_per_yuan = models.DecimalField(
        _("points per yuan"), max_digits=8, decimal_places=4, validators=[MinValueValidator(Decimal("0"))]
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("points rule")
        verbose_name_plural = _("points rules")
        constraints = [
            models.UniqueConstraint(fields=["store", "line_kind"], name="one_points_rule_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.line_kind}: {self.points_per_yuan}"


class PointsSettings(BaseModel):
    """How points are spent and when they expire in a store. Without a row the defaults of
    settings.LOYALTY_POINTS_PER_YUAN (100) and LOYALTY_POINTS_EXPIRY_MONTHS (24) apply."""

    store = models.OneToOneField(Store, on_delete=models.CASCADE, related_name="+", verbose_name=_("store"))
    points_per_yuan = models.PositiveIntegerField(
        _("points for one yuan"), default=100, validators=[MinValueValidator(1)]
    )
    expiry_months = models.PositiveSmallIntegerField(
        _("points expire after (months)"), null=True, blank=True, default=24, help_text=_("Empty: never.")
    )

    class Meta:
        verbose_name = _("points settings")
        verbose_name_plural = _("points settings")

    def __str__(self) -> str:
        return f"{self.store_id}: {self.points_per_yuan}"


class PointsAccount(BaseModel):
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="points_accounts", verbose_name=_("customer")
    )
    balance = models.IntegerField(_("points"), default=0, editable=False)

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        constraints = [
            models.UniqueConstraint(fields=["store", "customer"], name="one_points_account"),
            models.CheckConstraint(condition=Q(balance__gte=0), name="points_never_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}@{self.store_id}: {self.balance}"


class PointsEntry(ReferenceFields):
    """One change of a points balance; points are signed. Entries that add points carry the
    date they expire on; expiry entries are written FIFO by services.points_expire."""

    class Kind(models.TextChoices):
        EARN = "earn", _("earned")
        SPEND = "spend", _("spent")
        EXPIRE = "expire", _("expired")
        REVERSAL = "reversal", _("reversal")

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    account = models.ForeignKey(PointsAccount, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    points = models.IntegerField(_("points"))
    balance_after = models.IntegerField(_("balance after"))
    expires_on = models.DateField(_("expires"), null=True, blank=True)
    value = models.DecimalField(
        _("value"), **MONEY, default=ZERO, help_text=_("For points spent: the amount they paid.")
    )
    reversal_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversals"
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    created_by = _actor_fk()
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points ledger")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="points_entry_never_negative"),
            models.UniqueConstraint(fields=["reversal_of"], name="points_entry_reversed_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.points}"


# ---------------------------------------------------------------------------------------------
# Package and count cards (次卡/月卡/年卡/套餐, 首保/二保)


class PackageCardType(BaseModel):
    class Kind(models.TextChoices):
        COUNT = "count", _("count card")
        MONTHLY = "monthly", _("monthly card")
        YEARLY = "yearly", _("yearly card")
        PACKAGE = "package", _("package")
        MAINTENANCE = "maintenance", _("maintenance package (first/second service)")

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+", verbose_name=_("store"))
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.COUNT)
    price = models.DecimalField(_("price"), **MONEY, validators=NOT_NEGATIVE)
    valid_months = models.PositiveSmallIntegerField(
        _("validity (months)"), null=True, blank=True, help_text=_("Empty: does not expire.")
    )
    is_active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        verbose_name = _("package card type")
        verbose_name_plural = _("package card types")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["store", "code"], name="package_type_code_per_store")]

    def __str__(self) -> str:
        return self.name


class PackageCardTypeItem(models.Model):
    """What a card gives: a labour operation or a canned job, so many times."""

    card_type = models.ForeignKey(PackageCardType, on_delete=models.CASCADE, related_name="items")
    labour = models.ForeignKey(
        "service.LabourOperation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("labour"),
    )
    canned_job = models.ForeignKey(
        "service.CannedJob",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("canned job"),
    )
    count = models.PositiveSmallIntegerField(_("times"), validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("package card item")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(labour__isnull=False, canned_job__isnull=True)
                | Q(labour__isnull=True, canned_job__isnull=False),
                name="package_item_is_labour_or_job",
            ),
            models.CheckConstraint(condition=Q(count__gte=1), name="package_item_count_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.labour_id or self.canned_job_id} × {self.count}"


class PackageCard(BaseModel):
    """A card sold to a customer (and, optionally, for one vehicle)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        CANCELLED = "cancelled", _("cancelled")

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    card_type = models.ForeignKey(
        PackageCardType, on_delete=models.PROTECT, related_name="cards", verbose_name=_("card type")
    )
    card_no = models.CharField(_("card no."), max_length=32)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="package_cards", verbose_name=_("customer")
    )
    vehicle = models.ForeignKey(
        Vehicle,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="package_cards",
        verbose_name=_("vehicle"),
    )
    sold_on = models.DateField(_("sold"))
    expires_on = models.DateField(_("expires"), null=True, blank=True)
    price_paid = models.DecimalField(_("price paid"), **MONEY, validators=NOT_NEGATIVE)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    reference_type = models.CharField(_("reference type"), max_length=30, blank=True)
    reference_id = models.PositiveBigIntegerField(_("reference id"), null=True, blank=True)
    reference_no = models.CharField(_("reference no."), max_length=40, blank=True)
    created_by = _actor_fk()

    class Meta:
        verbose_name = _("package card")
        verbose_name_plural = _("package cards")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["store", "card_no"], name="package_card_no_per_store")]

    def __str__(self) -> str:
        return self.card_no


class PackageCardItem(models.Model):
    """The balance row of one item of a sold card: how many times are left."""

    card = models.ForeignKey(PackageCard, on_delete=models.CASCADE, related_name="items")
    labour = models.ForeignKey(
        "service.LabourOperation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    canned_job = models.ForeignKey(
        "service.CannedJob", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    count = models.PositiveSmallIntegerField(_("times"))
    remaining = models.IntegerField(_("times left"), editable=False)

    class Meta:
        verbose_name = _("package card balance")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(remaining__gte=0), name="package_remaining_never_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.labour_id or self.canned_job_id}: {self.remaining}/{self.count}"


class PackageCardEntry(ReferenceFields):
    """One change of an item's count; count is signed (+ sold, − used or expired)."""

    class Kind(models.TextChoices):
        SELL = "sell", _("sold")
        USE = "use", _("used")
        EXPIRE = "expire", _("expired")
        REVERSAL = "reversal", _("reversal")

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    card = models.ForeignKey(PackageCard, on_delete=models.PROTECT, related_name="entries")
    item = models.ForeignKey(PackageCardItem, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    count = models.IntegerField(_("times"))
    remaining_after = models.IntegerField(_("times left after"))
    reversal_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversals"
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    created_by = _actor_fk()
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("package card entry")
        verbose_name_plural = _("package card ledger")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(remaining_after__gte=0), name="package_entry_never_negative"),
            models.UniqueConstraint(fields=["reversal_of"], name="package_entry_reversed_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.count}"


# ---------------------------------------------------------------------------------------------
# Coupons (优惠券)


class CouponType(BaseModel):
    class Kind(models.TextChoices):
        AMOUNT = "amount", _("amount off")
        PERCENT = "percent", _("percent off")

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+", verbose_name=_("store"))
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.AMOUNT)
    value = models.DecimalField(
        _("amount or percent off"), **MONEY, validators=[MinValueValidator(Decimal("0.01"))]
    )
    max_discount = models.DecimalField(
        _("at most"), **MONEY, null=True, blank=True, help_text=_("For a percent off: the cap.")
    )
    minimum_spend = models.DecimalField(_("minimum spend"), **MONEY, default=ZERO, validators=NOT_NEGATIVE)
    line_kinds = models.JSONField(
        _("applies to"),
        default=list,
        blank=True,
        help_text=_("Line kinds (labour, parts, other); empty: all."),
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    valid_days = models.PositiveSmallIntegerField(_("valid for (days after issue)"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("coupon type")
        verbose_name_plural = _("coupon types")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["store", "code"], name="coupon_type_code_per_store"),
            models.CheckConstraint(
                condition=~Q(kind="percent") | Q(value__lte=100), name="coupon_percent_at_most_100"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Coupon(BaseModel):
    class Status(models.TextChoices):
        ISSUED = "issued", _("issued")
        REDEEMED = "redeemed", _("used")
        VOIDED = "voided", _("voided")

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    coupon_type = models.ForeignKey(
        CouponType, on_delete=models.PROTECT, related_name="coupons", verbose_name=_("coupon type")
    )
    code = models.CharField(_("code"), max_length=20, unique=True)
    batch_no = models.CharField(_("batch no."), max_length=32, blank=True)
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="coupons",
        verbose_name=_("customer"),
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    expires_on = models.DateField(_("expires"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ISSUED)
    issued_by = _actor_fk()
    redeemed_at = models.DateTimeField(_("used at"), null=True, blank=True)
    redeemed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    discount = models.DecimalField(_("discount given"), **MONEY, null=True, blank=True)
    reference_type = models.CharField(_("reference type"), max_length=30, blank=True)
    reference_id = models.PositiveBigIntegerField(_("reference id"), null=True, blank=True)
    reference_no = models.CharField(_("reference no."), max_length=40, blank=True)

    class Meta:
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="redeemed") | Q(redeemed_at__isnull=False),
                name="coupon_redeemed_has_time",
            )
        ]

    def __str__(self) -> str:
        return self.code
