"""Workshop set-up, the labour catalogue and canned jobs, maintenance plans, and appointments
(F-2, F-3.4, F-3.6)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from pitstop.accounts.models import Store
from pitstop.core.models import BaseModel, EventBase

ZERO = Decimal("0")
HOURS = {"max_digits": 7, "decimal_places": 3}
MONEY = {"max_digits": 12, "decimal_places": 2}
QTY = {"max_digits": 12, "decimal_places": 3}


class BayType(models.TextChoices):
    MAINTENANCE = "maintenance", _("maintenance")
    MECHANICAL = "mechanical", _("mechanical repair")
    BODY = "body", _("body")
    PAINT = "paint", _("paint")


class WorkshopSettings(BaseModel):
    """One row per store: when it opens, how long a booking slot is, the labour rate."""

    store = models.OneToOneField(
        Store, on_delete=models.CASCADE, related_name="workshop", verbose_name=_("store")
    )
    opens_at = models.TimeField(_("opens at"), default="08:30")
    closes_at = models.TimeField(_("closes at"), default="18:00")
    open_weekdays = models.CharField(
        _("open on"), max_length=7, default="1234567", help_text=_("ISO weekdays, 1 = Monday.")
    )
    slot_minutes = models.PositiveSmallIntegerField(_("slot length (minutes)"), default=30)
    labour_rate = models.DecimalField(
        _("labour rate per hour"), **MONEY, default=Decimal("120.00"), validators=[MinValueValidator(ZERO)]
    )
    reminder_days_before = models.PositiveSmallIntegerField(_("remind days before"), default=1)
    online_booking = models.BooleanField(_("owners may book online"), default=True)

    class Meta:
        verbose_name = _("workshop settings")
        verbose_name_plural = _("workshop settings")

    def __str__(self) -> str:
        return str(self.store)


class Bay(BaseModel):
    """工位: one place where one car is worked on; bookings use bays of their type."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    bay_type = models.CharField(_("bay type"), max_length=12, choices=BayType.choices)
    name = models.CharField(_("name"), max_length=30)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("bay")
        verbose_name_plural = _("bays")
        ordering = ["store", "bay_type", "name"]
        constraints = [models.UniqueConstraint(fields=["store", "name"], name="bay_name_per_store")]

    def __str__(self) -> str:
        return self.name


class TechnicianDuty(models.Model):
    """A technician on duty on a day, working bays of one type. A day without any duty rows
    counts every bay as staffed; with rows, a slot holds at most as many cars as technicians."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    day = models.DateField(_("day"))
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("technician")
    )
    bay_type = models.CharField(_("bay type"), max_length=12, choices=BayType.choices)

    class Meta:
        verbose_name = _("technician on duty")
        verbose_name_plural = _("technicians on duty")
        constraints = [
            models.UniqueConstraint(fields=["store", "day", "technician"], name="one_duty_per_technician_day")
        ]
        indexes = [models.Index(fields=["store", "day"], name="duty_store_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.technician_id} {self.bay_type}"


class LabourOperation(BaseModel):
    """工时项目: the chain's labour catalogue. Priced by standard hours × the store's rate, or
    at a fixed price where one is set (priced by system or symptom rather than by item)."""

    class Basis(models.TextChoices):
        ITEM = "item", _("by item")
        SYSTEM = "system", _("by system")
        SYMPTOM = "symptom", _("by symptom")

    code = models.CharField(_("operation code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_initials = models.CharField(max_length=60, editable=False, db_index=True)
    system = models.CharField(
        _("system"), max_length=40, blank=True, help_text=_("e.g. engine, brakes, electrics")
    )
    symptom = models.CharField(_("symptom"), max_length=100, blank=True)
    basis = models.CharField(_("priced"), max_length=10, choices=Basis.choices, default=Basis.ITEM)
    standard_hours = models.DecimalField(
        _("standard hours"), **HOURS, default=ZERO, validators=[MinValueValidator(ZERO)]
    )
    fixed_price = models.DecimalField(
        _("fixed price"), **MONEY, null=True, blank=True, validators=[MinValueValidator(ZERO)]
    )
    bay_type = models.CharField(
        _("bay type"), max_length=12, choices=BayType.choices, default=BayType.MAINTENANCE
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("labour operation")
        verbose_name_plural = _("labour operations")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class LabourRate(BaseModel):
    """A store's rate for one bay type (paint costs more than maintenance); without one the
    store's workshop rate applies."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+", verbose_name=_("store"))
    bay_type = models.CharField(_("bay type"), max_length=12, choices=BayType.choices)
    rate = models.DecimalField(_("rate per hour"), **MONEY, validators=[MinValueValidator(ZERO)])

    class Meta:
        verbose_name = _("labour rate")
        verbose_name_plural = _("labour rates")
        constraints = [models.UniqueConstraint(fields=["store", "bay_type"], name="one_rate_per_bay_type")]

    def __str__(self) -> str:
        return f"{self.store_id} {self.bay_type}: {self.rate}"


class CannedJob(BaseModel):
    """套餐/标准作业: a named set of labour and parts (首保, 40,000 km service, front brake
    pads) added to an estimate in one click and adjusted there. Chain-wide when store is empty."""

    store = models.ForeignKey(
        Store, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("store")
    )
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("canned job")
        verbose_name_plural = _("canned jobs")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["store", "code"], name="canned_job_code_per_store")]

    def __str__(self) -> str:
        return self.name


class CannedJobLine(models.Model):
    job = models.ForeignKey(CannedJob, on_delete=models.CASCADE, related_name="lines")
    labour = models.ForeignKey(
        LabourOperation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("labour"),
    )
    part = models.ForeignKey(
        "parts.Part",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("part"),
    )
    quantity = models.DecimalField(
        _("quantity or hours"), **QTY, default=Decimal("1"), validators=[MinValueValidator(Decimal("0.001"))]
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(labour__isnull=False, part__isnull=True)
                | models.Q(labour__isnull=True, part__isnull=False),
                name="canned_line_is_labour_or_part",
            )
        ]

    def __str__(self) -> str:
        return f"{self.job_id}: {self.labour_id or self.part_id} × {self.quantity}"


class MaintenancePlan(BaseModel):
    """保养计划 for vehicles of a brand (and optionally a series): what is due every N km or
    M months, proposed at reception from the vehicle's history (F-3.6)."""

    brand = models.CharField(_("brand"), max_length=40)
    series = models.CharField(_("series"), max_length=40, blank=True, help_text=_("Empty: every series."))
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("maintenance plan")
        verbose_name_plural = _("maintenance plans")
        ordering = ["brand", "series"]

    def __str__(self) -> str:
        return self.name


class MaintenancePlanItem(models.Model):
    plan = models.ForeignKey(MaintenancePlan, on_delete=models.CASCADE, related_name="items")
    job = models.ForeignKey(
        CannedJob, on_delete=models.PROTECT, related_name="+", verbose_name=_("canned job")
    )
    every_km = models.PositiveIntegerField(_("every (km)"), null=True, blank=True)
    every_months = models.PositiveSmallIntegerField(_("every (months)"), null=True, blank=True)

    class Meta:
        ordering = ["plan", "every_km"]

    def __str__(self) -> str:
        return f"{self.plan_id}: {self.job_id}"


class Appointment(BaseModel):
    """预约 (seed 002's register): who comes, with what car, for what, when, for how long."""

    class Source(models.TextChoices):
        DESK = "desk", _("at the desk")
        PHONE = "phone", _("by phone")
        ONLINE = "online", _("online by the owner")
        REMINDER = "reminder", _("from a reminder")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("to confirm")
        CONFIRMED = "confirmed", _("confirmed")
        ARRIVED = "arrived", _("arrived")
        NO_SHOW = "no_show", _("no-show")
        CANCELLED = "cancelled", _("cancelled")

    ALLOWED = {
        Status.REQUESTED: {Status.CONFIRMED, Status.CANCELLED},
        Status.CONFIRMED: {Status.ARRIVED, Status.NO_SHOW, Status.CANCELLED},
        Status.ARRIVED: set(),
        Status.NO_SHOW: set(),
        Status.CANCELLED: set(),
    }

    class Reminder(models.TextChoices):
        SMS = "sms", _("SMS")
        PHONE = "phone", _("phone call")
        WECHAT = "wechat", _("WeChat")
        NONE = "none", _("no reminder")

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    number = models.CharField(_("appointment no."), max_length=32, editable=False)
    source = models.CharField(_("booked"), max_length=10, choices=Source.choices, default=Source.DESK)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.CONFIRMED)
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("customer"),
    )
    vehicle = models.ForeignKey(
        "customers.Vehicle",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("vehicle"),
    )
    # As told when booking; an online booking may not match a file yet.
    plate = models.CharField(_("plate"), max_length=10, blank=True)
    model_name = models.CharField(_("model"), max_length=80, blank=True)
    contact_name = models.CharField(_("contact"), max_length=60, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20)
    reminder = models.CharField(_("remind by"), max_length=10, choices=Reminder.choices, default=Reminder.SMS)
    content = models.CharField(_("wanted service"), max_length=300)
    bay_type = models.CharField(
        _("bay type"), max_length=12, choices=BayType.choices, default=BayType.MAINTENANCE
    )
    starts_at = models.DateTimeField(_("appointment time"), db_index=True)
    ends_at = models.DateTimeField(_("until"))
    hours = models.DecimalField(_("hours"), **HOURS, default=Decimal("1"))
    estimate = models.DecimalField(_("estimate"), **MONEY, default=ZERO)
    parts_expected = models.CharField(_("parts expected"), max_length=300, blank=True)
    deposit = models.DecimalField(_("deposit"), **MONEY, default=ZERO)
    deposit_reference = models.CharField(_("deposit receipt"), max_length=60, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("accepted by"),
    )
    note = models.CharField(_("notes"), max_length=300, blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["store", "number"], name="appointment_number_per_store")
        ]
        indexes = [models.Index(fields=["store", "starts_at"], name="appointment_store_time")]

    def __str__(self) -> str:
        return self.number


class AppointmentItem(models.Model):
    """What the owner comes for: a labour operation or a canned job, or words, with its hours."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="items")
    labour = models.ForeignKey(
        LabourOperation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("labour"),
    )
    job = models.ForeignKey(
        CannedJob,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("canned job"),
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    hours = models.DecimalField(_("hours"), **HOURS, default=ZERO)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.appointment_id}: {self.description or self.labour_id or self.job_id}"


class AppointmentPart(models.Model):
    """A part the job will need, reserved in stock for the appointment, or to be ordered."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="parts")
    part = models.ForeignKey("parts.Part", on_delete=models.PROTECT, related_name="+", verbose_name=_("part"))
    quantity = models.DecimalField(_("quantity"), **QTY)
    reservation = models.ForeignKey(
        "parts.Reservation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.appointment_id}: {self.quantity} × {self.part_id}"


class AppointmentEvent(EventBase):
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="events")

    class Meta(EventBase.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.appointment_id}: {self.from_status} -> {self.to_status}"
