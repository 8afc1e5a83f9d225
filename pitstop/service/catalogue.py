"""The labour catalogue (F-3.4): labour operations and their price in a store, canned jobs
priced for a store, and maintenance plans that say what a car is due for (F-3.6).
Selectors first, then services (every write audited)."""

import calendar
import datetime
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from pitstop.accounts.models import Store
from pitstop.core.audit import audit_record, snapshot
from pitstop.core.exceptions import ApplicationError
from pitstop.core.money import to_money, to_quantity
from pitstop.core.scoping import permitted_store_ids
from pitstop.core.text import pinyin_initials

from .models import (
    BayType,
    CannedJob,
    CannedJobLine,
    LabourOperation,
    LabourRate,
    MaintenancePlan,
    MaintenancePlanItem,
)
from .setup import workshop_settings

ZERO = Decimal("0")
RETAIL = "retail"
VIEW_OPERATION = "service.view_labouroperation"
KEEP_CATALOGUE = "service.change_labouroperation"  # the chain's catalogue keeper (admin)
VIEW_JOB = "service.view_cannedjob"
CHANGE_JOB = "service.change_cannedjob"
OPERATION_FIELDS = [
    "code",
    "name",
    "system",
    "symptom",
    "basis",
    "standard_hours",
    "fixed_price",
    "bay_type",
    "is_active",
]


# ---------------------------------------------------------------- labour and its price


def normalise_code(value: str) -> str:
    """Catalogue codes in upper case, full-width folded, outer spaces removed (dashes kept)."""
    return unicodedata.normalize("NFKC", value or "").strip().upper()


def operations_matching(query: str, *, active_only: bool = False) -> QuerySet[LabourOperation]:
    """By code, name, pinyin initials of the name (ghjl finds 更换机油机滤), system or symptom."""
    operations = LabourOperation.objects.all()
    if active_only:
        operations = operations.filter(is_active=True)
    text = (query or "").strip()
    if not text:
        return operations
    return operations.filter(
        Q(code__istartswith=normalise_code(text))
        | Q(name__icontains=text)
        | Q(name_initials__contains=text.lower())
        | Q(system__icontains=text)
        | Q(symptom__icontains=text)
    )


def store_rates(store: Store) -> dict[str, Decimal]:
    """{bay type: rate per hour} for the store: its LabourRate, else the workshop's rate."""
    default = workshop_settings(store).labour_rate
    rates = {value: default for value in BayType.values}
    rates.update(LabourRate.objects.filter(store=store).values_list("bay_type", "rate"))
    return rates


def operation_price(operation: LabourOperation, hours: Decimal | None, rates: dict[str, Decimal]) -> Decimal:
    if operation.fixed_price is not None:
        return to_money(operation.fixed_price)
    used = operation.standard_hours if hours is None else hours
    return to_money(Decimal(used) * rates[operation.bay_type])


def labour_price(*, store: Store, operation: LabourOperation, hours: Decimal | None = None) -> Decimal:
    """What the operation costs in the store: its fixed price when it has one, else the hours
    (the standard hours unless given) × the store's rate for the operation's bay type (its
    LabourRate, else WorkshopSettings.labour_rate), rounded half-up to the cent."""
    return operation_price(operation, hours, store_rates(store))


# ---------------------------------------------------------------- canned jobs


def canned_jobs_for(user, store: Store | None = None) -> QuerySet[CannedJob]:
    """The chain's jobs and the jobs of the stores where the user may see them (only `store`'s
    own when given)."""
    allowed = permitted_store_ids(user, VIEW_JOB)
    if not allowed:
        return CannedJob.objects.none()
    store_ids = allowed & {store.pk} if store is not None else allowed
    return CannedJob.objects.filter(Q(store__isnull=True) | Q(store_id__in=sorted(store_ids))).select_related(
        "store"
    )


@dataclass(frozen=True)
class PricedLine:
    line: CannedJobLine
    is_labour: bool
    code: str
    name: str
    quantity: Decimal  # hours for labour
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class PricedJob:
    job: CannedJob
    lines: list[PricedLine]
    hours: Decimal
    labour_total: Decimal
    parts_total: Decimal
    total: Decimal


def canned_job_lines(job: CannedJob, store: Store, *, price_type: str = RETAIL) -> PricedJob:
    """Each line of the job priced for the store: labour by labour_price (the line's quantity
    is its hours), parts at their sale price of `price_type` (retail by default). Each line is
    rounded, then the lines are summed. Fixed queries whatever the number of lines."""
    from pitstop.parts.selectors import sale_prices

    lines = list(job.lines.select_related("labour", "part"))
    rates = store_rates(store)
    part_prices = sale_prices([line.part for line in lines if line.part_id], price_type)
    priced = []
    for line in lines:
        if line.labour_id:
            operation = line.labour
            amount = operation_price(operation, line.quantity, rates)
            unit = operation.fixed_price if operation.fixed_price is not None else rates[operation.bay_type]
            priced.append(
                PricedLine(line, True, operation.code, operation.name, line.quantity, to_money(unit), amount)
            )
        else:
            unit = to_money(part_prices[line.part_id])
            priced.append(
                PricedLine(
                    line,
                    False,
                    line.part.code,
                    line.part.name,
                    line.quantity,
                    unit,
                    to_money(unit * line.quantity),
                )
            )
    labour_total = sum((p.amount for p in priced if p.is_labour), ZERO)
    parts_total = sum((p.amount for p in priced if not p.is_labour), ZERO)
    return PricedJob(
        job=job,
        lines=priced,
        hours=to_quantity(sum((p.quantity for p in priced if p.is_labour), ZERO)),
        labour_total=to_money(labour_total),
        parts_total=to_money(parts_total),
        total=to_money(labour_total + parts_total),
    )


# ---------------------------------------------------------------- maintenance plans


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later, or the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    month += 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def plan_for(vehicle) -> MaintenancePlan | None:
    """The active plan of the vehicle's brand and series, else of its brand for every series."""
    plans = MaintenancePlan.objects.filter(is_active=True, brand=vehicle.brand)
    series = (vehicle.series or "").strip()
    return (series and plans.filter(series=series).first()) or plans.filter(series="").first()


@dataclass(frozen=True)
class DueItem:
    item: MaintenancePlanItem
    job: CannedJob
    due_km: int | None  # the mileage it falls due at
    km_over: int | None  # driven past it (0 = exactly due), negative = still to go
    due_date: datetime.date | None
    days_over: int | None  # days past it, negative = still to come

    @property
    def overdue(self) -> bool:
        return (self.km_over or 0) > 0 or (self.days_over or 0) > 0


def item_due(
    item: MaintenancePlanItem,
    *,
    today: datetime.date,
    mileage: int | None,
    last: tuple[datetime.date | None, int | None] | None,
    start: tuple[datetime.date | None, int | None],
) -> DueItem | None:
    """The item if it is due by km or by months (whichever comes first), else None."""
    last_date, last_km = last or start
    due_km = km_over = due_date = days_over = None
    if item.every_km and mileage is not None:
        due_km = (last_km or 0) + item.every_km
        km_over = mileage - due_km
    if item.every_months and last_date is not None:
        due_date = add_months(last_date, item.every_months)
        days_over = (today - due_date).days
    due = (km_over is not None and km_over >= 0) or (days_over is not None and days_over >= 0)
    return DueItem(item, item.job, due_km, km_over, due_date, days_over) if due else None


def items_due(
    *,
    vehicle,
    today: datetime.date,
    mileage: int | None,
    last_done: dict[int, tuple[datetime.date | None, int | None]],
) -> list[DueItem]:
    """The items of the vehicle's maintenance plan that are due or overdue, and by how much.

    last_done maps a canned job's id to (date, km) of the last time it was done; the work-order
    history does not exist yet, so the caller passes it (reception will build it from the
    vehicle's work orders). An item never done counts from the purchase (purchase date and
    mileage at purchase; 0 km). Without a date to count from, only the km rule applies."""
    plan = plan_for(vehicle)
    if plan is None:
        return []
    start = (vehicle.purchase_date, vehicle.purchase_mileage or 0)
    found = []
    for item in plan.items.select_related("job").order_by("every_km", "pk"):
        due = item_due(item, today=today, mileage=mileage, last=last_done.get(item.job_id), start=start)
        if due is not None:
            found.append(due)
    return found


# ---------------------------------------------------------------- services


def _clean_operation(data: dict) -> dict:
    code = normalise_code(data.get("code") or "")
    name = (data.get("name") or "").strip()
    if not code:
        raise ApplicationError(_("Give the operation a code."), field="code")
    if not name:
        raise ApplicationError(_("Give the operation a name."), field="name")
    hours = data.get("standard_hours")
    hours = ZERO if hours is None else to_quantity(hours)
    if hours < 0:
        raise ApplicationError(_("Hours cannot be negative."), field="standard_hours")
    fixed = data.get("fixed_price")
    if fixed is not None:
        fixed = to_money(fixed)
        if fixed < 0:
            raise ApplicationError(_("A price cannot be negative."), field="fixed_price")
    if fixed is None and hours == 0:
        raise ApplicationError(_("Give standard hours or a fixed price."), field="standard_hours")
    bay_type = data.get("bay_type") or BayType.MAINTENANCE
    if bay_type not in BayType.values:
        raise ApplicationError(_("Choose a bay type."), field="bay_type")
    basis = data.get("basis") or LabourOperation.Basis.ITEM
    if basis not in LabourOperation.Basis.values:
        raise ApplicationError(_("Choose how it is priced."), field="basis")
    return {
        "code": code,
        "name": name,
        "system": (data.get("system") or "").strip(),
        "symptom": (data.get("symptom") or "").strip(),
        "basis": basis,
        "standard_hours": hours,
        "fixed_price": fixed,
        "bay_type": bay_type,
        "is_active": bool(data.get("is_active", True)),
    }


@transaction.atomic
def labour_operation_save(*, actor, operation: LabourOperation | None = None, **data) -> LabourOperation:
    """Create (operation None) or change a labour operation of the chain's catalogue."""
    values = _clean_operation(data)
    taken = LabourOperation.objects.filter(code=values["code"])
    if operation is not None:
        operation = LabourOperation.objects.select_for_update().get(pk=operation.pk)
        taken = taken.exclude(pk=operation.pk)
    if taken.exists():
        raise ApplicationError(
            _("The code %(code)s is already in the catalogue.") % {"code": values["code"]}, field="code"
        )
    before = snapshot(operation, OPERATION_FIELDS) if operation else {}
    operation = operation or LabourOperation()
    for name, value in values.items():
        setattr(operation, name, value)
    operation.name_initials = pinyin_initials(operation.name)
    action = "update" if operation.pk else "create"
    operation.save()
    audit_record(
        actor=actor,
        instance=operation,
        action=action,
        before=before,
        after=snapshot(operation, OPERATION_FIELDS),
        store=None,
    )
    return operation


@transaction.atomic
def labour_rates_set(*, actor, store: Store, rates: dict[str, Decimal | None]) -> None:
    """Set the store's rate per bay type; None removes it (the workshop's rate then applies)."""
    for bay_type, rate in rates.items():
        if bay_type not in BayType.values:
            raise ApplicationError(_("Choose a bay type."), field="bay_type")
        if rate is not None and rate < 0:
            raise ApplicationError(_("A rate cannot be negative."), field=bay_type)
    existing = {row.bay_type: row for row in LabourRate.objects.select_for_update().filter(store=store)}
    for bay_type, rate in rates.items():
        row = existing.get(bay_type)
        if rate is None:
            if row is not None:
                audit_record(
                    actor=actor, instance=row, action="delete", before=snapshot(row, ["bay_type", "rate"])
                )
                row.delete()
            continue
        rate = to_money(rate)
        if row is None:
            row = LabourRate.objects.create(store=store, bay_type=bay_type, rate=rate)
            audit_record(
                actor=actor, instance=row, action="create", after=snapshot(row, ["bay_type", "rate"])
            )
        elif row.rate != rate:
            before = snapshot(row, ["bay_type", "rate"])
            row.rate = rate
            row.save(update_fields=["rate", "updated_at"])
            audit_record(
                actor=actor,
                instance=row,
                action="update",
                before=before,
                after=snapshot(row, ["bay_type", "rate"]),
            )


@dataclass(frozen=True)
class JobLineInput:
    """A canned-job line as typed: a labour code or a part code/barcode, and a quantity (hours
    for labour; empty means the operation's standard hours)."""

    labour_code: str = ""
    part_code: str = ""
    quantity: Decimal | None = None


def _resolve_lines(lines: list[JobLineInput]) -> list[CannedJobLine]:
    from pitstop.parts.models import Part

    resolved = []
    for n, entry in enumerate(lines):
        labour_code, part_code = entry.labour_code.strip(), entry.part_code.strip()
        if not labour_code and not part_code:
            continue
        if labour_code and part_code:
            raise ApplicationError(_("A line is either labour or a part, not both."), field="lines")
        if entry.quantity is not None and entry.quantity <= 0:
            raise ApplicationError(_("Quantities must be more than zero."), field="lines")
        if labour_code:
            operation = LabourOperation.objects.filter(
                code=normalise_code(labour_code), is_active=True
            ).first()
            if operation is None:
                raise ApplicationError(
                    _("No labour operation with code “%(code)s”.") % {"code": labour_code}, field="lines"
                )
            quantity = entry.quantity if entry.quantity is not None else operation.standard_hours
            if quantity <= 0:
                quantity = Decimal("1")
            resolved.append(CannedJobLine(labour=operation, quantity=to_quantity(quantity), position=n))
        else:
            part = (
                Part.objects.filter(code__iexact=part_code, is_active=True).first()
                or Part.objects.filter(barcode=part_code, is_active=True).first()
            )
            if part is None:
                raise ApplicationError(
                    _("No part with code or barcode “%(code)s”.") % {"code": part_code}, field="lines"
                )
            resolved.append(CannedJobLine(part=part, quantity=to_quantity(entry.quantity or 1), position=n))
    if not resolved:
        raise ApplicationError(_("A canned job needs at least one line."), field="lines")
    return resolved


@transaction.atomic
def canned_job_save(
    *,
    actor,
    job: CannedJob | None = None,
    store: Store | None,
    code: str,
    name: str,
    description: str = "",
    is_active: bool = True,
    lines: list[JobLineInput],
) -> CannedJob:
    """Create or change a canned job with its lines (the lines are replaced). store None: the
    chain's job. The caller checks who may write which."""
    code, name = normalise_code(code or ""), (name or "").strip()
    if not code:
        raise ApplicationError(_("Give the job a code."), field="code")
    if not name:
        raise ApplicationError(_("Give the job a name."), field="name")
    new_lines = _resolve_lines(lines)
    if job is not None:
        job = CannedJob.objects.select_for_update().get(pk=job.pk)
        store = job.store
    taken = CannedJob.objects.filter(store=store, code=code)
    if job is not None:
        taken = taken.exclude(pk=job.pk)
    if taken.exists():
        raise ApplicationError(_("The code %(code)s is already used.") % {"code": code}, field="code")
    fields = ["code", "name", "description", "is_active"]
    before = snapshot(job, fields) if job else {}
    if before:
        before["lines"] = [str(line) for line in job.lines.all()]
    job = job or CannedJob(store=store)
    job.code, job.name, job.description, job.is_active = code, name, (description or "").strip(), is_active
    action = "update" if job.pk else "create"
    job.save()
    job.lines.all().delete()
    for line in new_lines:
        line.job = job
    CannedJobLine.objects.bulk_create(new_lines)
    after = snapshot(job, fields)
    after["lines"] = [str(line) for line in job.lines.all()]
    audit_record(actor=actor, instance=job, action=action, before=before, after=after, store=store)
    return job


@dataclass(frozen=True)
class PlanItemInput:
    job_code: str
    every_km: int | None = None
    every_months: int | None = None


@transaction.atomic
def maintenance_plan_save(
    *,
    actor,
    plan: MaintenancePlan | None = None,
    brand: str,
    series: str = "",
    name: str,
    is_active: bool = True,
    items: list[PlanItemInput],
) -> MaintenancePlan:
    """Create or change a plan with its items (replaced); items name chain-wide canned jobs."""
    brand, series, name = (brand or "").strip(), (series or "").strip(), (name or "").strip()
    if not brand:
        raise ApplicationError(_("Give the brand."), field="brand")
    if not name:
        raise ApplicationError(_("Give the plan a name."), field="name")
    rows = []
    for entry in items:
        if not entry.job_code.strip():
            continue
        job = CannedJob.objects.filter(store__isnull=True, code=normalise_code(entry.job_code)).first()
        if job is None:
            raise ApplicationError(
                _("No chain-wide canned job with code “%(code)s”.") % {"code": entry.job_code}, field="items"
            )
        if not entry.every_km and not entry.every_months:
            raise ApplicationError(_("Each item needs a distance or a number of months."), field="items")
        rows.append(
            MaintenancePlanItem(
                job=job, every_km=entry.every_km or None, every_months=entry.every_months or None
            )
        )
    if not rows:
        raise ApplicationError(_("A plan needs at least one item."), field="items")
    clash = MaintenancePlan.objects.filter(brand=brand, series=series, is_active=True)
    if plan is not None:
        plan = MaintenancePlan.objects.select_for_update().get(pk=plan.pk)
        clash = clash.exclude(pk=plan.pk)
    if is_active and clash.exists():
        raise ApplicationError(_("An active plan for this brand and series exists already."), field="series")
    fields = ["brand", "series", "name", "is_active"]
    before = snapshot(plan, fields) if plan else {}
    plan = plan or MaintenancePlan()
    plan.brand, plan.series, plan.name, plan.is_active = brand, series, name, is_active
    action = "update" if plan.pk else "create"
    plan.save()
    plan.items.all().delete()
    for row in rows:
        row.plan = plan
    MaintenancePlanItem.objects.bulk_create(rows)
    audit_record(
        actor=actor, instance=plan, action=action, before=before, after=snapshot(plan, fields), store=None
    )
    return plan
