"""The repair order (任务委托书 / 进厂维修单) from reception to ready (F-3, F-4 states): the
walk-around check, the diagnosis, the estimate's labour and part lines, add-on work found in
the workshop and the owner's decision on it, the owner's signature, and every change of state.

Dispatch, clocked time, checks, tools and PDI live in the workshop app; they move the order
through `pitstop.service.orders.order_transition`, never by writing its status."""

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from pitstop.accounts.models import Store
from pitstop.core.models import BaseModel, EventBase

from .setup import HOURS, MONEY, QTY, ZERO, Appointment, BayType, LabourOperation

PERCENT = [MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))]


class BusinessType(models.TextChoices):
    """F-3.3: who pays and how the order is handled."""

    MAINTENANCE = "maintenance", _("maintenance service")
    REPAIR = "repair", _("general repair")
    WARRANTY = "warranty", _("warranty claim")
    INSURANCE = "insurance", _("insurance accident")
    INTERNAL = "internal", _("internal")
    REWORK = "rework", _("rework")
    PDI = "pdi", _("PDI")


class RepairCategory(models.TextChoices):
    """The categories of 《机动车维修管理规定》: they set the checks, the certificate and the
    guarantee period (RULES.md)."""

    WHOLE_VEHICLE = "whole_vehicle", _("whole-vehicle overhaul (整车修理)")
    ASSEMBLY = "assembly", _("assembly overhaul (总成修理)")
    LEVEL_2 = "level_2", _("level-2 maintenance (二级维护)")
    LEVEL_1 = "level_1", _("level-1 maintenance (一级维护)")
    MINOR = "minor", _("minor repair (小修)")
    SPECIAL = "special", _("special repair (专项修理)")


# The categories that need checks before, during and on completion, signed by the QC inspector,
# and a completion certificate (机动车维修竣工出厂合格证) before the car leaves.
CERTIFIED_CATEGORIES = frozenset(
    {RepairCategory.WHOLE_VEHICLE, RepairCategory.ASSEMBLY, RepairCategory.LEVEL_2}
)


class RepairOrder(BaseModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        CONFIRMED = "confirmed", _("confirmed")
        DISPATCHED = "dispatched", _("dispatched")
        IN_PROGRESS = "in_progress", _("in progress")
        WAITING_PARTS = "waiting_parts", _("waiting for parts")
        WAITING_APPROVAL = "waiting_approval", _("waiting for approval")
        CHECKING = "checking", _("quality check")
        WASHING = "washing", _("washing")
        READY = "ready", _("ready")
        DELIVERED = "delivered", _("delivered")
        CANCELLED = "cancelled", _("cancelled")

    # Delivered follows settlement (billing.delivery). Back to in progress from checking is rework.
    ALLOWED = {
        Status.DRAFT: {Status.CONFIRMED, Status.CANCELLED},
        Status.CONFIRMED: {Status.DISPATCHED, Status.DRAFT, Status.CANCELLED},
        Status.DISPATCHED: {Status.IN_PROGRESS, Status.CONFIRMED, Status.CANCELLED},
        Status.IN_PROGRESS: {Status.WAITING_PARTS, Status.WAITING_APPROVAL, Status.CHECKING},
        Status.WAITING_PARTS: {Status.IN_PROGRESS},
        Status.WAITING_APPROVAL: {Status.IN_PROGRESS},
        Status.CHECKING: {Status.IN_PROGRESS, Status.WASHING, Status.READY},
        Status.WASHING: {Status.READY},
        Status.READY: {Status.DELIVERED},
        Status.DELIVERED: set(),
        Status.CANCELLED: set(),
    }
    OPEN = (
        Status.DRAFT,
        Status.CONFIRMED,
        Status.DISPATCHED,
        Status.IN_PROGRESS,
        Status.WAITING_PARTS,
        Status.WAITING_APPROVAL,
        Status.CHECKING,
        Status.WASHING,
    )
    # States in which the workshop holds the car (the board's columns).
    ON_BOARD = OPEN[1:] + (Status.READY,)

    class Fuel(models.TextChoices):
        EMPTY = "0", _("empty")
        QUARTER = "1", "1/4"
        HALF = "2", "1/2"
        THREE_QUARTERS = "3", "3/4"
        FULL = "4", _("full")

    class Payment(models.TextChoices):
        CASH = "cash", _("cash")
        CARD = "card", _("bank card")
        MOBILE = "mobile", _("WeChat / Alipay")
        TRANSFER = "transfer", _("bank transfer")
        ACCOUNT = "account", _("on account")
        CLAIM = "claim", _("warranty / insurance pays")

    class OldParts(models.TextChoices):
        TAKE = "take", _("the owner takes them")
        LEAVE = "leave", _("leave them to the shop")
        CLAIM = "claim", _("kept for the warranty claim")

    class Priority(models.IntegerChoices):
        NORMAL = 0, _("normal")
        HIGH = 1, _("urgent")
        WAITING = 2, _("owner waiting")

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    number = models.CharField(_("work order no."), max_length=32, editable=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    business_type = models.CharField(
        _("business type"), max_length=12, choices=BusinessType.choices, default=BusinessType.MAINTENANCE
    )
    repair_category = models.CharField(
        _("repair category"), max_length=16, choices=RepairCategory.choices, default=RepairCategory.LEVEL_1
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    appointment = models.ForeignKey(
        Appointment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="repair_orders",
        verbose_name=_("appointment"),
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="+", verbose_name=_("customer")
    )
    vehicle = models.ForeignKey(
        "customers.Vehicle", on_delete=models.PROTECT, related_name="repair_orders", verbose_name=_("vehicle")
    )
    contact_name = models.CharField(_("contact"), max_length=60, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("service advisor"),
    )

    # Reception: the walk-around check (F-3.1).
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    mileage = models.PositiveIntegerField(_("mileage (km)"), null=True, blank=True)
    mileage_note = models.CharField(_("reason for a lower mileage"), max_length=200, blank=True)
    fuel_level = models.CharField(_("fuel"), max_length=1, choices=Fuel.choices, blank=True)
    # [{"zone": "front_bumper", "kind": "scratch", "note": "..."}] marked on the car diagram.
    body_marks = models.JSONField(_("body marks"), default=list, blank=True)
    interior_notes = models.CharField(_("interior"), max_length=300, blank=True)
    valuables = models.CharField(_("valuables in the car"), max_length=300, blank=True)
    # {"spare_wheel": true, "jack": true, ...}: the 随车物品清单 as ticked.
    items_in_vehicle = models.JSONField(_("items in the vehicle"), default=dict, blank=True)
    documents_held = models.JSONField(_("documents held"), default=list, blank=True)
    key_tag = models.CharField(_("key tag"), max_length=20, blank=True)
    walkaround_done_at = models.DateTimeField(_("walk-around checked"), null=True, blank=True)

    # The fault and the diagnosis (F-3.2).
    owner_description = models.TextField(_("owner's description"), blank=True)
    diagnosis = models.TextField(_("diagnosis"), blank=True)
    diagnosed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("diagnosed by"),
    )
    warranty_eligible = models.BooleanField(_("covered by warranty"), default=False)
    warranty_note = models.CharField(_("warranty"), max_length=200, blank=True)

    # Terms the owner signs (F-3.5).
    payment_method = models.CharField(
        _("payment method"), max_length=10, choices=Payment.choices, default=Payment.MOBILE
    )
    old_parts = models.CharField(
        _("old parts"), max_length=8, choices=OldParts.choices, default=OldParts.TAKE
    )
    free_wash = models.BooleanField(_("free wash"), default=True)
    promised_at = models.DateTimeField(_("promised for"), null=True, blank=True)
    # A PNG data URL drawn on the tablet; or the paper copy was signed (signed_on_paper).
    signature = models.TextField(_("signature"), blank=True)
    signed_on_paper = models.BooleanField(_("signed on paper"), default=False)
    signed_at = models.DateTimeField(_("signed"), null=True, blank=True)

    # Workshop times.
    started_at = models.DateTimeField(_("work started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("work finished"), null=True, blank=True)
    ready_at = models.DateTimeField(_("ready"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    ready_notice_at = models.DateTimeField(_("ready notice sent"), null=True, blank=True)
    rework_count = models.PositiveSmallIntegerField(_("rework"), default=0)
    certificate_no = models.CharField(_("completion certificate no."), max_length=32, blank=True)

    # The owner's link for add-on work (B-2): a random token, never the id.
    approval_token = models.CharField(max_length=43, blank=True, db_index=True, editable=False)

    # Totals of the approved and estimate lines, stored when lines change (STYLE: stored totals).
    labour_total = models.DecimalField(_("labour"), **MONEY, default=ZERO)
    parts_total = models.DecimalField(_("parts"), **MONEY, default=ZERO)
    total = models.DecimalField(_("total"), **MONEY, default=ZERO)
    hours_total = models.DecimalField(_("hours"), **HOURS, default=ZERO)

    cancel_reason = models.CharField(_("reason"), max_length=200, blank=True)
    note = models.CharField(_("notes"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        ordering = ["-id"]
        permissions = [
            ("work_repairorder", _("Can work on jobs (clock on, findings, ask for parts)")),
            ("dispatch_repairorder", _("Can dispatch jobs to bays and technicians")),
            ("lead_repairorder", _("Can make the team leader's check")),
            ("inspect_repairorder", _("Can make the QC inspections and sign the certificate")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["store", "number"], name="repair_order_number_per_store")
        ]
        indexes = [
            models.Index(fields=["store", "status"], name="repair_order_store_status"),
            models.Index(fields=["vehicle", "-id"], name="repair_order_vehicle_recent"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def needs_certificate(self) -> bool:
        return self.repair_category in CERTIFIED_CATEGORIES

    def new_approval_token(self) -> str:
        self.approval_token = secrets.token_urlsafe(32)
        return self.approval_token


class Approval(models.TextChoices):
    """A line of the estimate is approved when the owner signs the order; add-on work found in
    the workshop waits for the owner's decision (B-2, F-4.3)."""

    PENDING = "pending", _("awaiting the owner")
    APPROVED = "approved", _("approved")
    DECLINED = "declined", _("declined")


class ApprovalVia(models.TextChoices):
    SIGNATURE = "signature", _("signed work order")
    LINK = "link", _("owner's link")
    PHONE = "phone", _("by phone")
    IN_PERSON = "in_person", _("in person")


class Finding(BaseModel):
    """What a technician found while working (a worn part, a leak): proposed as add-on work with
    photos (B-2)."""

    order = models.ForeignKey(RepairOrder, on_delete=models.CASCADE, related_name="findings")
    description = models.CharField(_("finding"), max_length=300)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("reported by")
    )
    # Extra time the add-on work needs, told to the owner with the price (F-4.3).
    extra_hours = models.DecimalField(_("extra time (hours)"), **HOURS, default=ZERO)

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.description


class OrderPhoto(BaseModel):
    """A photo taken at the walk-around, of a finding, or at a check. Served only through a view
    that checks the order's store (uploads are not public files); the owner's link shows the
    photos of the findings it asks about."""

    class Kind(models.TextChoices):
        WALKAROUND = "walkaround", _("walk-around")
        FINDING = "finding", _("finding")
        CHECK = "check", _("check")

    order = models.ForeignKey(RepairOrder, on_delete=models.CASCADE, related_name="photos")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    finding = models.ForeignKey(
        Finding, null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    image = models.ImageField(_("photo"), upload_to="orders/%Y/%m/")
    caption = models.CharField(_("caption"), max_length=100, blank=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind} {self.caption}"


class OrderLine(models.Model):
    """What labour and part lines share: their place, where they came from, the owner's
    decision, and the amount after the customer's tier discount (a line rounded, then summed)."""

    order = models.ForeignKey(RepairOrder, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)
    canned_job = models.ForeignKey(
        "service.CannedJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_addon = models.BooleanField(_("add-on"), default=False)
    finding = models.ForeignKey(Finding, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    approval = models.CharField(
        _("owner's decision"), max_length=10, choices=Approval.choices, default=Approval.APPROVED
    )
    approval_via = models.CharField(_("decided"), max_length=10, choices=ApprovalVia.choices, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # Who on the owner's side decided (the owner, the fleet manager on the phone…).
    decided_by_name = models.CharField(_("decided by"), max_length=60, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    discount_pct = models.DecimalField(
        _("discount %"), max_digits=5, decimal_places=2, default=ZERO, validators=PERCENT
    )
    amount = models.DecimalField(_("amount"), **MONEY, default=ZERO)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    @property
    def counts(self) -> bool:
        """Approved lines are the work to do and to charge."""
        return self.approval == Approval.APPROVED


class OrderLabour(OrderLine):
    order = models.ForeignKey(RepairOrder, on_delete=models.CASCADE, related_name="labour_lines")
    operation = models.ForeignKey(
        LabourOperation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField(_("operation code"), max_length=30, blank=True)
    name = models.CharField(_("labour"), max_length=100)
    bay_type = models.CharField(
        _("bay type"), max_length=12, choices=BayType.choices, default=BayType.MAINTENANCE
    )
    hours = models.DecimalField(
        _("charged hours"), **HOURS, default=ZERO, validators=[MinValueValidator(ZERO)]
    )
    rate = models.DecimalField(_("rate per hour"), **MONEY, default=ZERO)
    price = models.DecimalField(_("price"), **MONEY, default=ZERO)
    done = models.BooleanField(_("done"), default=False)

    class Meta(OrderLine.Meta):
        verbose_name = _("labour line")
        verbose_name_plural = _("labour lines")

    def __str__(self) -> str:
        return f"{self.order_id}: {self.name}"


class OrderPart(OrderLine):
    class Supply(models.TextChoices):
        """Where the part is (F-4 board): a job waiting for parts says so."""

        RESERVED = "reserved", _("in stock, reserved")
        TO_ORDER = "to_order", _("to order")
        ORDERED = "ordered", _("ordered")
        ARRIVED = "arrived", _("arrived")
        ISSUED = "issued", _("issued")
        CUSTOMER = "customer", _("supplied by the customer")

    order = models.ForeignKey(RepairOrder, on_delete=models.CASCADE, related_name="part_lines")
    part = models.ForeignKey(
        "parts.Part",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("part"),
    )
    code = models.CharField(_("part no."), max_length=40, blank=True)
    name = models.CharField(_("part"), max_length=100)
    genuine = models.BooleanField(_("genuine"), default=True)
    # Parts the customer brings: no charge and no guarantee, said on the printed order.
    customer_supplied = models.BooleanField(_("supplied by the customer"), default=False)
    unit = models.CharField(_("unit"), max_length=10, blank=True)
    quantity = models.DecimalField(_("quantity"), **QTY, validators=[MinValueValidator(Decimal("0.001"))])
    unit_price = models.DecimalField(_("unit price"), **MONEY, default=ZERO)
    supply = models.CharField(_("supply"), max_length=10, choices=Supply.choices, default=Supply.TO_ORDER)
    expected_on = models.DateField(_("expected"), null=True, blank=True)
    issued = models.DecimalField(_("issued"), **QTY, default=ZERO)
    reservation = models.ForeignKey(
        "parts.Reservation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(OrderLine.Meta):
        verbose_name = _("part line")
        verbose_name_plural = _("part lines")

    def __str__(self) -> str:
        return f"{self.order_id}: {self.name} × {self.quantity}"


class RepairOrderEvent(EventBase):
    order = models.ForeignKey(RepairOrder, on_delete=models.CASCADE, related_name="events")

    class Meta(EventBase.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status} -> {self.to_status}"
