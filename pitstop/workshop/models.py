"""The workshop (F-4): dispatch of a repair order to bays, teams and technicians, the time each
technician clocks on a job, parts asked of the warehouse, the advisor's follow-up tasks
(progress checks, delays), quality checks, tools lent out, and PDI of new cars.

A repair order's state belongs to the service app; everything here moves it through
`pitstop.service.orders.order_transition`."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from pitstop.accounts.models import Store
from pitstop.core.models import BaseModel
from pitstop.service.models import HOURS, MONEY, QTY, ZERO, Bay, BayType, RepairOrder


class Team(BaseModel):
    """班组: technicians working together under a team leader."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    name = models.CharField(_("name"), max_length=40)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("team leader"),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("members")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["store", "name"]
        constraints = [models.UniqueConstraint(fields=["store", "name"], name="team_name_per_store")]

    def __str__(self) -> str:
        return self.name


class Assignment(BaseModel):
    """派工: one part of a repair order given to a bay (of a type), a team and technicians, with
    planned start and end. An order with body and paint work has one assignment per bay type."""

    order = models.ForeignKey(RepairOrder, on_delete=models.CASCADE, related_name="assignments")
    bay_type = models.CharField(_("bay type"), max_length=12, choices=BayType.choices)
    bay = models.ForeignKey(
        Bay, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("bay")
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("team")
    )
    technicians = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="assignments", verbose_name=_("technicians")
    )
    planned_start = models.DateTimeField(_("planned start"))
    planned_end = models.DateTimeField(_("planned end"))
    hours = models.DecimalField(_("hours"), **HOURS, default=ZERO)
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("dispatched by"),
    )

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["planned_start", "id"]
        indexes = [models.Index(fields=["bay", "planned_start"], name="assignment_bay_start")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.bay_type}"


class TimeEntry(models.Model):
    """A technician's clock on a job (F-4.8): on at started_at, off at ended_at. One open entry
    per technician at a time; hours clocked are compared with hours charged."""

    order = models.ForeignKey(RepairOrder, on_delete=models.CASCADE, related_name="time_entries")
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("technician")
    )
    started_at = models.DateTimeField(_("clocked on"))
    ended_at = models.DateTimeField(_("clocked off"), null=True, blank=True)
    hours = models.DecimalField(_("hours"), **HOURS, default=ZERO)

    class Meta:
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["technician"],
                condition=models.Q(ended_at__isnull=True),
                name="one_open_clock_per_technician",
            )
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.technician_id} {self.started_at:%H:%M}"


class PartsRequest(BaseModel):
    """领料申请: a technician asks the warehouse for a part; the keeper issues it against the
    repair order (the ledger's reference), or refuses with a reason."""

    class Status(models.TextChoices):
        OPEN = "open", _("waiting for the warehouse")
        ISSUED = "issued", _("issued")
        REFUSED = "refused", _("refused")
        CANCELLED = "cancelled", _("cancelled")

    order = models.ForeignKey(RepairOrder, on_delete=models.CASCADE, related_name="parts_requests")
    part = models.ForeignKey("parts.Part", on_delete=models.PROTECT, related_name="+", verbose_name=_("part"))
    quantity = models.DecimalField(_("quantity"), **QTY, validators=[MinValueValidator(Decimal("0.001"))])
    line = models.ForeignKey(
        "service.OrderPart", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("asked by")
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("parts request")
        verbose_name_plural = _("parts requests")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.quantity} × {self.part_id}"


class AdvisorTask(BaseModel):
    """Something the advisor must do about a job: check progress at 70–80% of the planned time,
    or tell the owner of a delay (F-4.4); or tell the owner the car will be ready (F-4.6)."""

    class Kind(models.TextChoices):
        PROGRESS = "progress", _("progress check")
        LATE = "late", _("job late")

    order = models.ForeignKey(RepairOrder, on_delete=models.CASCADE, related_name="advisor_tasks")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    due_at = models.DateTimeField(_("due"))
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("advisor task")
        verbose_name_plural = _("advisor tasks")
        ordering = ["due_at", "id"]
        constraints = [models.UniqueConstraint(fields=["order", "kind"], name="one_task_kind_per_order")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind}"


class QualityCheck(BaseModel):
    """One check of a job (F-4.5): the technician's self-check, the team leader's, the final
    inspection; for the certified categories also the inspection on arrival and during the work
    (RULES.md), signed by the QC inspector. A failed check sends the job back."""

    class Stage(models.TextChoices):
        ARRIVAL = "arrival", _("inspection on arrival (进厂检验)")
        DURING = "during", _("inspection during work (过程检验)")
        SELF = "self", _("technician's self-check")
        TEAM = "team", _("team leader's check")
        FINAL = "final", _("final inspection (竣工检验)")

    order = models.ForeignKey(RepairOrder, on_delete=models.CASCADE, related_name="checks")
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices)
    passed = models.BooleanField(_("passed"))
    # {"item code": true/false}: the checklist as ticked.
    results = models.JSONField(_("checklist"), default=dict, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("checked by")
    )
    reason = models.CharField(_("rework reason"), max_length=300, blank=True)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("responsible"),
    )
    penalty = models.DecimalField(_("penalty"), **MONEY, default=ZERO, validators=[MinValueValidator(ZERO)])
    lost_hours = models.DecimalField(
        _("hours lost"), **HOURS, default=ZERO, validators=[MinValueValidator(ZERO)]
    )
    note = models.CharField(_("notes"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("quality check")
        verbose_name_plural = _("quality checks")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.stage} {'ok' if self.passed else 'fail'}"


class Tool(BaseModel):
    """工具/设备 lent out to technicians (F-4.7), with its maintenance due."""

    class Status(models.TextChoices):
        AVAILABLE = "available", _("available")
        LENT = "lent", _("lent out")
        REPAIR = "repair", _("being repaired")
        RETIRED = "retired", _("retired")

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=100)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.AVAILABLE)
    maintenance_due = models.DateField(_("maintenance due"), null=True, blank=True)
    note = models.CharField(_("notes"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("tool")
        verbose_name_plural = _("tools")
        ordering = ["store", "code"]
        constraints = [models.UniqueConstraint(fields=["store", "code"], name="tool_code_per_store")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ToolLoan(models.Model):
    tool = models.ForeignKey(Tool, on_delete=models.PROTECT, related_name="loans", verbose_name=_("tool"))
    borrower = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("borrowed by")
    )
    order = models.ForeignKey(
        RepairOrder,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("work order"),
    )
    lent_at = models.DateTimeField(_("lent"))
    lent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)
    damage = models.CharField(_("damage"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("tool loan")
        verbose_name_plural = _("tool loans")
        ordering = ["-lent_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tool"], condition=models.Q(returned_at__isnull=True), name="one_open_loan_per_tool"
            )
        ]

    def __str__(self) -> str:
        return f"{self.tool_id} {self.borrower_id}"


class PdiCheck(BaseModel):
    """售前检查 of a new car before it is handed over (F-4.9): exterior, interior, engine bay,
    functions, road test; each item ok or not, with what was put right."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    number = models.CharField(_("PDI no."), max_length=32, editable=False)
    vehicle = models.ForeignKey(
        "customers.Vehicle",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("vehicle"),
    )
    vin = models.CharField(_("VIN"), max_length=17)
    model_name = models.CharField(_("model"), max_length=80, blank=True)
    mileage = models.PositiveIntegerField(_("mileage (km)"), default=0)
    # {"item code": {"ok": bool, "note": str}}
    results = models.JSONField(_("checklist"), default=dict, blank=True)
    passed = models.BooleanField(_("passed"), default=False)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("checked by")
    )
    note = models.CharField(_("notes"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("PDI check")
        verbose_name_plural = _("PDI checks")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["store", "number"], name="pdi_number_per_store")]

    def __str__(self) -> str:
        return self.number
