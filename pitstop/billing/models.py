"""Settlement (结算, F-6): the bill of a repair order, line by line with who pays each line, its
discounts and tax, posted once and never edited — a mistake is reversed by a settlement of its
own (negative amounts, `reverses` naming the original) and the bill is made again.

Amounts follow seed 002's settlement: labour due/charged, parts due/charged, management fee,
auxiliary materials, contract (outsourced) work, rescue/towing, other fees, total."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from pitstop.accounts.models import Store
from pitstop.core.models import BaseModel, EventBase

ZERO = Decimal("0")
MONEY = {"max_digits": 12, "decimal_places": 2}
QTY = {"max_digits": 12, "decimal_places": 3}
RATE = {"max_digits": 7, "decimal_places": 4}
PERCENT = [MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))]


class LineKind(models.TextChoices):
    LABOUR = "labour", _("labour")
    PART = "part", _("parts")
    MANAGEMENT = "management", _("management fee")
    AUXILIARY = "auxiliary", _("auxiliary materials")
    CONTRACT = "contract", _("contract work")
    RESCUE = "rescue", _("rescue and towing")
    OTHER = "other", _("other fees")


FEE_KINDS = (LineKind.MANAGEMENT, LineKind.AUXILIARY, LineKind.CONTRACT, LineKind.RESCUE, LineKind.OTHER)


def loyalty_kind(kind: str) -> str:
    """The loyalty rules' kind of a bill's line (points and coupons know labour, parts, other)."""
    return {LineKind.LABOUR: "labour", LineKind.PART: "parts"}.get(kind, "other")


class Payer(models.TextChoices):
    """Who pays a line (F-6.2); each payer gets its own receivable."""

    OWNER = "owner", _("owner")
    INSURER = "insurer", _("insurer")
    WARRANTY = "warranty", _("manufacturer (warranty)")
    INTERNAL = "internal", _("the store (internal)")


class BillingSettings(BaseModel):
    """A store's tax rates per line kind (RULES.md: 13% VAT for a general taxpayer; a
    small-scale taxpayer sets its levy rate) and the limits above which a discount needs the
    manager's approval."""

    store = models.OneToOneField(
        Store, on_delete=models.CASCADE, related_name="billing", verbose_name=_("store")
    )
    vat_labour = models.DecimalField(_("VAT on labour %"), **RATE, default=Decimal("13"), validators=PERCENT)
    vat_parts = models.DecimalField(_("VAT on parts %"), **RATE, default=Decimal("13"), validators=PERCENT)
    vat_fees = models.DecimalField(_("VAT on fees %"), **RATE, default=Decimal("13"), validators=PERCENT)
    manual_discount_limit = models.DecimalField(
        _("manual discount without approval %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=PERCENT,
        help_text=_("A manual discount above this share of the bill needs the manager's approval."),
    )
    below_cost_needs_approval = models.BooleanField(
        _("a price below cost needs the manager's approval"), default=True
    )
    # The accounting system's account codes for the day's voucher lines, over the chain's
    # defaults (settings.BILLING_ACCOUNTS); keys as there.
    accounts = models.JSONField(_("account codes"), default=dict, blank=True)

    class Meta:
        verbose_name = _("billing settings")
        verbose_name_plural = _("billing settings")

    def __str__(self) -> str:
        return str(self.store)

    def vat_for(self, kind: str) -> Decimal:
        if kind == LineKind.LABOUR:
            return self.vat_labour
        if kind == LineKind.PART:
            return self.vat_parts
        return self.vat_fees


class Settlement(BaseModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("pre-settlement")
        POSTED = "posted", _("settled")
        REVERSED = "reversed", _("reversed")

    ALLOWED = {
        Status.DRAFT: {Status.POSTED},
        Status.POSTED: {Status.REVERSED},
        Status.REVERSED: set(),
    }

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    number = models.CharField(_("settlement no."), max_length=32, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    # A settlement bills a repair order or a counter sale of parts (F-5.9), never both.
    order = models.ForeignKey(
        "service.RepairOrder",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="settlements",
        verbose_name=_("work order"),
    )
    counter_sale = models.ForeignKey(
        "parts.CounterSale",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="settlements",
        verbose_name=_("counter sale"),
    )
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("customer"),
    )
    # A reversal is a settlement of its own with every amount negated; it names the original.
    reverses = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversal",
        verbose_name=_("reverses"),
    )
    labour_due = models.DecimalField(_("labour due"), **MONEY, default=ZERO)
    labour_discount = models.DecimalField(_("labour discount"), **MONEY, default=ZERO)
    labour_charged = models.DecimalField(_("labour charged"), **MONEY, default=ZERO)
    parts_due = models.DecimalField(_("parts due"), **MONEY, default=ZERO)
    parts_discount = models.DecimalField(_("parts discount"), **MONEY, default=ZERO)
    parts_charged = models.DecimalField(_("parts charged"), **MONEY, default=ZERO)
    fees = models.DecimalField(_("fees"), **MONEY, default=ZERO)
    manual_discount = models.DecimalField(_("manual discount"), **MONEY, default=ZERO)
    total = models.DecimalField(_("total"), **MONEY, default=ZERO)
    tax = models.DecimalField(_("of which tax"), **MONEY, default=ZERO)
    # What the owner pays (lines paid by insurers, the manufacturer or the store are theirs).
    owner_total = models.DecimalField(_("owner pays"), **MONEY, default=ZERO)
    received = models.DecimalField(_("received"), **MONEY, default=ZERO)
    manual_discount_reason = models.CharField(_("reason for the discount"), max_length=200, blank=True)
    # A manual discount above the store's limit, or a line below cost, waits for the manager.
    needs_approval = models.BooleanField(_("needs the manager's approval"), default=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("discount approved by"),
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approval_note = models.CharField(_("approval note"), max_length=200, blank=True)
    # Insurance jobs (F-9.6): the insurer pays its lines less the excess, which the owner pays.
    insurer = models.CharField(_("insurer"), max_length=60, blank=True)
    claim_no = models.CharField(_("claim no."), max_length=40, blank=True)
    assessed_amount = models.DecimalField(_("assessed amount"), **MONEY, null=True, blank=True)
    excess = models.DecimalField(_("excess"), **MONEY, default=ZERO)
    invoice_no = models.CharField(_("e-invoice no."), max_length=20, blank=True)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("prepared by")
    )
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    posted_at = models.DateTimeField(_("settled"), null=True, blank=True)
    note = models.CharField(_("notes"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["store", "number"], name="settlement_number_per_store")
        ]
        indexes = [models.Index(fields=["store", "posted_at"], name="settlement_store_posted")]
        permissions = [
            ("post_settlement", _("Can settle bills and take payments at the cash desk")),
            ("approve_settlement", _("Can approve manual discounts and prices below cost")),
            ("reverse_settlement", _("Can reverse a posted settlement")),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def outstanding(self) -> Decimal:
        return self.owner_total - self.received

    @property
    def is_live(self) -> bool:
        """Posted and neither reversed nor itself a reversal: the bill that counts."""
        return self.status == self.Status.POSTED and self.reverses_id is None


class SettlementLine(models.Model):
    """One charged line, copied from the work order (labour), the stock ledger (parts actually
    issued, returns netted) or entered (fees). Amounts are stored when the line is made: a
    line rounded, then summed."""

    settlement = models.ForeignKey(Settlement, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=12, choices=LineKind.choices)
    code = models.CharField(_("code"), max_length=40, blank=True)
    name = models.CharField(_("item"), max_length=100)
    unit = models.CharField(_("unit"), max_length=10, blank=True)
    quantity = models.DecimalField(_("quantity or hours"), **QTY, default=Decimal("1"))
    unit_price = models.DecimalField(_("unit price or rate"), **MONEY, default=ZERO)
    amount_due = models.DecimalField(_("due"), **MONEY, default=ZERO)
    discount_pct = models.DecimalField(_("discount %"), max_digits=5, decimal_places=2, default=ZERO)
    discount = models.DecimalField(_("discount"), **MONEY, default=ZERO)
    amount = models.DecimalField(_("amount"), **MONEY, default=ZERO)
    tax_rate = models.DecimalField(_("tax rate %"), **RATE, default=ZERO)
    tax = models.DecimalField(_("of which tax"), **MONEY, default=ZERO)
    payer = models.CharField(_("paid by"), max_length=10, choices=Payer.choices, default=Payer.OWNER)
    customer_supplied = models.BooleanField(_("supplied by the customer"), default=False)
    # Where the line came from: the order's labour line, or the part issued to the job.
    labour_line = models.ForeignKey(
        "service.OrderLabour", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    part = models.ForeignKey("parts.Part", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # What the parts cost the store (the ledger's cost of the issue); a line sold below it
    # needs the manager's approval.
    cost = models.DecimalField(_("cost"), **MONEY, null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.settlement_id}: {self.name} {self.amount}"

    @property
    def below_cost(self) -> bool:
        return self.cost is not None and not self.customer_supplied and self.amount < self.cost


class SettlementEvent(EventBase):
    settlement = models.ForeignKey(Settlement, on_delete=models.CASCADE, related_name="events")

    class Meta(EventBase.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.settlement_id}: {self.from_status} -> {self.to_status}"


class Payment(models.Model):
    """Money taken at the cash desk (F-6.3), or given back (a refund: negative, naming the payment
    it refunds). Only ever inserted; the settlement's `received` follows under its row lock.

    Most payments pay a settlement; the others take money for a membership fee, a stored-value
    top-up, a package card or a receivable collected (`purpose`), so that the cashier's day
    close counts every yuan that went into the drawer."""

    class Method(models.TextChoices):
        CASH = "cash", _("cash")
        CARD = "card", _("bank card")
        WECHAT = "wechat", _("WeChat Pay")
        ALIPAY = "alipay", _("Alipay")
        TRANSFER = "transfer", _("bank transfer")
        STORED_VALUE = "stored_value", _("stored value")
        POINTS = "points", _("points")
        COUPON = "coupon", _("coupon")
        PACKAGE_CARD = "package_card", _("package card")
        CREDIT = "credit", _("on account (credit)")
        # Money of a reversed bill carried over to the bill made again: no money moves.
        CARRY = "carry", _("carried over")

    class Purpose(models.TextChoices):
        SETTLEMENT = "settlement", _("settlement")
        MEMBERSHIP = "membership", _("membership fee")
        TOP_UP = "top_up", _("stored-value top-up")
        PACKAGE_CARD = "package_card", _("package card sale")
        RECEIVABLE = "receivable", _("receivable collected")

    # Methods whose payment carries the terminal's or the platform's reference number.
    WITH_REFERENCE = (Method.CARD, Method.WECHAT, Method.ALIPAY, Method.TRANSFER)
    # Methods that are money: counted in the day close and paid out again on a refund.
    MONEY_METHODS = (Method.CASH, Method.CARD, Method.WECHAT, Method.ALIPAY, Method.TRANSFER)
    # Methods that pay from the customer's loyalty balances (the loyalty ledgers move too).
    LOYALTY_METHODS = (Method.STORED_VALUE, Method.POINTS, Method.COUPON, Method.PACKAGE_CARD)

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    purpose = models.CharField(_("for"), max_length=12, choices=Purpose.choices, default=Purpose.SETTLEMENT)
    settlement = models.ForeignKey(
        Settlement,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name=_("settlement"),
    )
    receivable = models.ForeignKey(
        "Receivable",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="collections",
        verbose_name=_("receivable"),
    )
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("customer"),
    )
    method = models.CharField(_("method"), max_length=12, choices=Method.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    tendered = models.DecimalField(_("tendered"), **MONEY, null=True, blank=True)
    change = models.DecimalField(_("change"), **MONEY, default=ZERO)
    reference = models.CharField(_("reference no."), max_length=64, blank=True)
    # What a loyalty payment used: the stored-value or points entry, the coupon, the card item.
    loyalty_type = models.CharField(max_length=20, blank=True, editable=False)
    loyalty_id = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    points = models.IntegerField(_("points"), null=True, blank=True)
    refund_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="refunds",
        verbose_name=_("refund of"),
    )
    # The API's Idempotency-Key: the same key answers with the first payment, never a second.
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, editable=False)
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    # The cashier's business day (local date when taken): the day close counts by it.
    business_date = models.DateField(_("business day"), db_index=True)
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("cashier")
    )
    note = models.CharField(_("notes"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "idempotency_key"], name="payment_idempotency_key_per_store"
            )
        ]
        indexes = [
            models.Index(fields=["store", "cashier", "business_date"], name="payment_cashier_day"),
        ]

    def __str__(self) -> str:
        return f"{self.settlement_id} {self.method} {self.amount}"


class CreditAccount(BaseModel):
    """A company (fleet, dealer group, insurer's client) that may pay on account (挂账) up to a
    limit; what it owes are its open receivables."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="credit_accounts",
        verbose_name=_("customer"),
    )
    limit = models.DecimalField(_("credit limit"), **MONEY, validators=[MinValueValidator(ZERO)])
    terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"), default=30)
    is_active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("notes"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("credit account")
        verbose_name_plural = _("credit accounts")
        ordering = ["customer__name"]
        constraints = [
            models.UniqueConstraint(fields=["store", "customer"], name="credit_account_per_customer")
        ]

    def __str__(self) -> str:
        return str(self.customer)


class Receivable(BaseModel):
    """What somebody other than the paying owner owes for a settlement (F-6.2, F-6.3): the
    insurer, the manufacturer under warranty, the store itself, or a company on credit.
    Collected by payments (purpose receivable); a reversed settlement reverses its receivables
    by rows of their own (negative amount, `reverses`)."""

    class Debtor(models.TextChoices):
        INSURER = "insurer", _("insurer")
        WARRANTY = "warranty", _("manufacturer (warranty)")
        INTERNAL = "internal", _("the store (internal)")
        CREDIT = "credit", _("on account")

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    settlement = models.ForeignKey(
        Settlement, on_delete=models.PROTECT, related_name="receivables", verbose_name=_("settlement")
    )
    debtor = models.CharField(_("owed by"), max_length=10, choices=Debtor.choices)
    debtor_name = models.CharField(_("debtor"), max_length=100)
    credit_account = models.ForeignKey(
        CreditAccount,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="receivables",
        verbose_name=_("credit account"),
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    collected = models.DecimalField(_("collected"), **MONEY, default=ZERO)
    due_on = models.DateField(_("due"))
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversal"
    )
    note = models.CharField(_("notes"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("receivable")
        verbose_name_plural = _("receivables")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["store", "due_on"], name="receivable_store_due")]

    def __str__(self) -> str:
        return f"{self.debtor_name} {self.amount}"

    @property
    def open_amount(self) -> Decimal:
        return self.amount - self.collected


class DayClose(BaseModel):
    """A cashier's day closed (F-6.6): the totals by method, the cash expected against the cash
    counted and the difference explained. Once closed the cashier takes no more money that day,
    and nothing of it changes."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("cashier")
    )
    business_date = models.DateField(_("business day"))
    totals = models.JSONField(_("totals by method"), default=dict)
    payments_count = models.PositiveIntegerField(_("payments"), default=0)
    cash_expected = models.DecimalField(_("cash expected"), **MONEY, default=ZERO)
    cash_counted = models.DecimalField(_("cash counted"), **MONEY, default=ZERO)
    difference = models.DecimalField(_("difference"), **MONEY, default=ZERO)
    explanation = models.CharField(_("explanation of the difference"), max_length=300, blank=True)
    closed_at = models.DateTimeField(_("closed"), auto_now_add=True)

    class Meta:
        verbose_name = _("day close")
        verbose_name_plural = _("day closes")
        ordering = ["-business_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "cashier", "business_date"], name="one_close_per_cashier_day"
            )
        ]
        permissions = [("export_dayclose", _("Can export the day to the accounting system"))]

    def __str__(self) -> str:
        return f"{self.cashier_id} {self.business_date}"


class Delivery(BaseModel):
    """The car handed back (F-6.4): after settlement or on credit, keys, documents and items
    returned against the reception checklist, old parts handed over or kept."""

    class OldParts(models.TextChoices):
        HANDED = "handed", _("handed to the owner")
        KEPT = "kept", _("kept by the store")
        NONE = "none", _("no old parts")

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    order = models.OneToOneField(
        "service.RepairOrder", on_delete=models.PROTECT, related_name="delivery", verbose_name=_("work order")
    )
    settlement = models.ForeignKey(
        Settlement, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    on_credit = models.BooleanField(_("released on credit"), default=False)
    keys_returned = models.BooleanField(_("keys returned"), default=False)
    items_returned = models.JSONField(_("items returned"), default=list, blank=True)
    documents_returned = models.JSONField(_("documents returned"), default=list, blank=True)
    old_parts = models.CharField(_("old parts"), max_length=8, choices=OldParts.choices)
    exit_pass_no = models.CharField(_("exit pass no."), max_length=32)
    received_by = models.CharField(_("collected by"), max_length=60, blank=True)
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("handed over by")
    )
    delivered_at = models.DateTimeField(_("delivered"), auto_now_add=True)
    note = models.CharField(_("notes"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.exit_pass_no
