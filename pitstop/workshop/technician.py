"""The technician's side of a job (F-4.3, F-4.8): clocking on and off, marking labour done,
stopping for parts or for the owner's approval and resuming, and reporting a finding as
proposed add-on work with photos. Selectors first, then services.

Clock rules: a technician has at most one open clock (the database holds that too); clocking
on another job clocks off the open one first. The first clock on a dispatched order starts the
work (dispatched → in progress). An order that is waiting for parts or for the owner cannot be
clocked on: it is resumed first. When a job stops (waiting for parts / approval) the clocks
running on it are closed, so waiting time is never counted as work.

Hours charged are the hours of the approved labour lines (the order's stored `hours_total`).
Labour lines are not given to technicians, so a technician's share of an order's charged hours
is the order's charged hours × their share of the hours clocked on it (the flat-rate split used
by workshops paying by 工时); efficiency = charged ÷ clocked."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from pitstop.accounts.models import Store, User
from pitstop.core.audit import audit_record, snapshot
from pitstop.core.exceptions import ApplicationError
from pitstop.core.money import to_quantity
from pitstop.core.scoping import has_perm_in_store, scoped
from pitstop.service.models import ZERO, Approval, Finding, OrderLabour, OrderPart, OrderPhoto, RepairOrder
from pitstop.service.orders import WORK, lock_order, order_transition

from .models import Assignment, TimeEntry

Status = RepairOrder.Status
VIEW_TIME = "workshop.view_timeentry"
# States in which a technician may clock on (the first clock starts a dispatched job).
CLOCKABLE = (Status.DISPATCHED, Status.IN_PROGRESS)
# States in which the car is being worked on or waits in the bay: findings, labour done.
WORKING = (Status.IN_PROGRESS, Status.WAITING_PARTS, Status.WAITING_APPROVAL)
# The technician's list: from dispatch to the checks.
MY_STATES = (
    Status.DISPATCHED,
    Status.IN_PROGRESS,
    Status.WAITING_PARTS,
    Status.WAITING_APPROVAL,
    Status.CHECKING,
)
LABOUR_KEYS = {"operation", "name", "hours", "bay_type", "price"}
PART_KEYS = {"part", "name", "quantity", "unit_price", "genuine", "customer_supplied"}
MAX_PHOTOS = 10
MAX_PHOTO_BYTES = 10 * 1024 * 1024
HUNDRED = Decimal(100)


# ---------------------------------------------------------------- selectors


def hours_between(start: datetime.datetime, end: datetime.datetime) -> Decimal:
    """Hours from start to end, 3 places, never negative, without a float on the way."""
    delta = max(end - start, datetime.timedelta(0))
    seconds = Decimal(delta.days * 86400 + delta.seconds) + Decimal(delta.microseconds) / Decimal(1_000_000)
    return to_quantity(seconds / Decimal(3600))


def open_clock(user) -> TimeEntry | None:
    """The technician's running clock, with its order."""
    return (
        TimeEntry.objects.filter(technician=user, ended_at__isnull=True)
        .select_related("order", "order__vehicle")
        .first()
    )


def my_jobs(*, user, store: Store) -> QuerySet[RepairOrder]:
    """Orders of the store given to the user (as a technician of an assignment, or as the leader
    of its team) that are between dispatch and the checks, urgent first, then by planned start."""
    ids = (
        Assignment.objects.filter(order__store=store, order__status__in=MY_STATES)
        .filter(Q(technicians=user) | Q(team__leader=user))
        .values("order_id")
    )
    return (
        scoped(RepairOrder.objects.filter(pk__in=ids), user, "service.view_repairorder", store=store)
        .select_related("vehicle", "customer", "advisor")
        .prefetch_related("assignments__bay", "assignments__technicians")
        .order_by("-priority", "promised_at", "id")
    )


# Below this, a ratio of hours says nothing yet (a clock just started): no efficiency shown.
MEANINGFUL_HOURS = Decimal("0.1")


def efficiency_pct(charged: Decimal, clocked: Decimal) -> Decimal | None:
    """Charged ÷ clocked in whole percent; None until a tenth of an hour has been clocked."""
    if clocked < MEANINGFUL_HOURS:
        return None
    return (charged / clocked * HUNDRED).quantize(Decimal("1"))


@dataclass
class TechnicianTime:
    technician: User
    clocked: Decimal = ZERO
    charged: Decimal = ZERO
    running: bool = False

    @property
    def efficiency(self) -> Decimal | None:
        return efficiency_pct(self.charged, self.clocked)


@dataclass
class TimeSummary:
    charged: Decimal
    clocked: Decimal
    rows: list[TechnicianTime] = field(default_factory=list)

    @property
    def efficiency(self) -> Decimal | None:
        return efficiency_pct(self.charged, self.clocked)


def _entry_hours(entry: TimeEntry, now: datetime.datetime) -> Decimal:
    return entry.hours if entry.ended_at else hours_between(entry.started_at, now)


def _split(charged: Decimal, clocked: dict, total: Decimal) -> dict:
    """The order's charged hours shared by the hours each technician clocked on it."""
    if not total:
        return {key: ZERO for key in clocked}
    return {key: to_quantity(charged * hours / total) for key, hours in clocked.items()}


def time_summary(order: RepairOrder, *, now: datetime.datetime | None = None) -> TimeSummary:
    """F-4.8 for one order: hours clocked per technician (a running clock counted to now) against
    the hours charged (approved labour), each technician's share of the charged hours and the
    efficiency. Two queries."""
    now = now or timezone.now()
    entries = list(TimeEntry.objects.filter(order=order).select_related("technician"))
    charged = (
        OrderLabour.objects.filter(order=order, approval=Approval.APPROVED).aggregate(h=Sum("hours"))["h"]
        or ZERO
    )
    rows: dict[int, TechnicianTime] = {}
    for entry in entries:
        row = rows.setdefault(entry.technician_id, TechnicianTime(entry.technician))
        row.clocked += _entry_hours(entry, now)
        row.running = row.running or entry.ended_at is None
    clocked = sum((row.clocked for row in rows.values()), ZERO)
    shares = _split(charged, {key: row.clocked for key, row in rows.items()}, clocked)
    for key, row in rows.items():
        row.charged = shares[key]
    return TimeSummary(charged=to_quantity(charged), clocked=clocked, rows=list(rows.values()))


def time_report(*, user, store: Store, first: datetime.date, last: datetime.date) -> TimeSummary:
    """Per technician over the days first..last (clock-on day, local time): hours clocked, their
    share of the charged hours of the orders they clocked on, efficiency. A fixed number of
    queries (three) whatever the count."""
    from pitstop.service.appointments import day_range

    start, end = day_range(first, last)
    now = timezone.now()
    entries = list(
        scoped(TimeEntry.objects.all(), user, VIEW_TIME, store_field="order__store_id", store=store)
        .filter(started_at__gte=start, started_at__lt=end)
        .select_related("technician", "order")
    )
    order_ids = {entry.order_id for entry in entries}
    # All the time clocked on those orders (also outside the period), for the shares.
    totals: dict[int, Decimal] = {}
    for entry in TimeEntry.objects.filter(order_id__in=order_ids):
        totals[entry.order_id] = totals.get(entry.order_id, ZERO) + _entry_hours(entry, now)
    rows: dict[int, TechnicianTime] = {}
    for entry in entries:
        row = rows.setdefault(entry.technician_id, TechnicianTime(entry.technician))
        hours = _entry_hours(entry, now)
        row.clocked += hours
        row.running = row.running or entry.ended_at is None
        if totals.get(entry.order_id):
            row.charged += entry.order.hours_total * hours / totals[entry.order_id]
    for row in rows.values():
        row.charged = to_quantity(row.charged)
    ordered = sorted(rows.values(), key=lambda r: str(r.technician))
    return TimeSummary(
        charged=sum((row.charged for row in ordered), ZERO),
        clocked=sum((row.clocked for row in ordered), ZERO),
        rows=ordered,
    )


def pending_addons(order: RepairOrder) -> int:
    return (
        OrderLabour.objects.filter(order=order, is_addon=True, approval=Approval.PENDING).count()
        + OrderPart.objects.filter(order=order, is_addon=True, approval=Approval.PENDING).count()
    )


# ---------------------------------------------------------------- services


def _require_work(actor: User, order: RepairOrder) -> None:
    if not has_perm_in_store(actor, WORK, order.store_id):
        raise ApplicationError(
            _("Only the workshop's technicians can do this on a work order."), code="permission"
        )


def _refuse_clock(order: RepairOrder) -> ApplicationError:
    if order.status == Status.WAITING_PARTS:
        message = _("Work order %(number)s is waiting for parts: resume it before clocking on.")
    elif order.status == Status.WAITING_APPROVAL:
        message = _("Work order %(number)s is waiting for the owner's approval: it cannot be clocked on now.")
    else:
        message = _(
            "Work order %(number)s is %(status)s: only a dispatched job or one in progress can be clocked on."
        )
    return ApplicationError(
        message % {"number": order.number, "status": Status(order.status).label}, field="status", code="state"
    )


def _close(entry: TimeEntry, now: datetime.datetime) -> TimeEntry:
    entry.ended_at = max(now, entry.started_at)
    entry.hours = hours_between(entry.started_at, entry.ended_at)
    entry.save(update_fields=["ended_at", "hours"])
    return entry


@transaction.atomic
def clock_on(*, actor: User, order: RepairOrder, now: datetime.datetime | None = None) -> TimeEntry:
    """Start the actor's clock on the order. The open clock on another job is closed first; a
    second tap on the same job keeps the running clock. The first clock on a dispatched order
    moves it to in progress (through the one transition service)."""
    now = now or timezone.now()
    _require_work(actor, order)
    order = lock_order(order)
    if order.status not in CLOCKABLE:
        raise _refuse_clock(order)
    running = TimeEntry.objects.select_for_update().filter(technician=actor, ended_at__isnull=True).first()
    if running is not None and running.order_id == order.pk:
        return running
    if running is not None:
        _close(running, now)
    if order.status == Status.DISPATCHED:
        order = order_transition(actor=actor, order=order, to=Status.IN_PROGRESS)
    return TimeEntry.objects.create(order=order, technician=actor, started_at=now)


@transaction.atomic
def clock_off(*, actor: User, now: datetime.datetime | None = None) -> TimeEntry | None:
    """Stop the actor's running clock and store its hours; None when no clock was running."""
    running = TimeEntry.objects.select_for_update().filter(technician=actor, ended_at__isnull=True).first()
    if running is None:
        return None
    return _close(running, now or timezone.now())


@transaction.atomic
def order_clocks_stop(*, order: RepairOrder, now: datetime.datetime | None = None) -> int:
    """Close every clock running on the order (the job stops: waiting, or handed to the checks);
    how many were closed."""
    now = now or timezone.now()
    entries = list(TimeEntry.objects.select_for_update().filter(order=order, ended_at__isnull=True))
    for entry in entries:
        _close(entry, now)
    return len(entries)


@transaction.atomic
def labour_line_done(*, actor: User, order: RepairOrder, line_id: int, done: bool = True) -> OrderLabour:
    """Tick an approved labour line of the job done (or not done again)."""
    _require_work(actor, order)
    order = lock_order(order)
    if order.status not in WORKING:
        raise ApplicationError(
            _("Labour can be marked done only while the job is being worked on."),
            field="status",
            code="state",
        )
    line = OrderLabour.objects.filter(order=order, pk=line_id).first()
    if line is None:
        raise ApplicationError(_("That labour line is not on this work order."), field="line", code="line")
    if line.approval != Approval.APPROVED:
        raise ApplicationError(
            _("Only approved labour can be marked done."), field="line", code="not_approved"
        )
    line.done = bool(done)
    line.save(update_fields=["done"])
    return line


@transaction.atomic
def job_wait_for_parts(*, actor: User, order: RepairOrder, note: str = "") -> RepairOrder:
    """In progress → waiting for parts; the clocks running on the job stop. Who may make the
    move (technicians, the dispatcher) is the transition service's rule."""
    order = order_transition(actor=actor, order=order, to=Status.WAITING_PARTS, note=note)
    order_clocks_stop(order=order)
    return order


@transaction.atomic
def job_wait_for_approval(*, actor: User, order: RepairOrder) -> RepairOrder:
    """In progress → waiting for the owner's approval of the add-on work found; only when some
    add-on is pending. The clocks running on the job stop. Technicians or the advisor."""
    order = lock_order(order)
    if not pending_addons(order):
        raise ApplicationError(
            _("No add-on work waits for the owner's decision."), field="status", code="nothing_pending"
        )
    order = order_transition(actor=actor, order=order, to=Status.WAITING_APPROVAL)
    order_clocks_stop(order=order)
    return order


@transaction.atomic
def job_resume(*, actor: User, order: RepairOrder) -> RepairOrder:
    """Back to in progress: after the parts came, or after the owner decided every add-on (the
    owner's decision normally resumes the job by itself)."""
    order = lock_order(order)
    if order.status == Status.WAITING_APPROVAL and pending_addons(order):
        raise ApplicationError(
            _("The owner has not decided on all the add-on work yet."), field="status", code="pending"
        )
    return order_transition(actor=actor, order=order, to=Status.IN_PROGRESS)


# ---------------------------------------------------------------- findings


def clean_photo(image) -> None:
    """A real picture of a sensible size, or an ApplicationError (nothing is stored)."""
    from PIL import Image, UnidentifiedImageError

    size = getattr(image, "size", 0) or 0
    if size > MAX_PHOTO_BYTES:
        raise ApplicationError(_("A photo may be at most 10 MB."), field="photos", code="photo_size")
    try:
        image.seek(0)
        with Image.open(image) as picture:
            picture.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise ApplicationError(
            _("%(name)s is not a picture.") % {"name": getattr(image, "name", "")},
            field="photos",
            code="photo",
        ) from None
    finally:
        image.seek(0)


def _photo_add(*, actor: User, order: RepairOrder, image, finding: Finding) -> OrderPhoto:
    try:
        from pitstop.service.reception import photo_add
    except ImportError:
        photo_add = None
    if photo_add is not None:
        return photo_add(actor=actor, order=order, image=image, kind=OrderPhoto.Kind.FINDING, finding=finding)
    photo = OrderPhoto(order=order, kind=OrderPhoto.Kind.FINDING, finding=finding, taken_by=actor)
    photo.image.save(getattr(image, "name", "") or "finding.jpg", image, save=False)
    photo.save()
    return photo


def _clean_hours(value, field: str) -> Decimal:
    try:
        hours = to_quantity(value if value not in (None, "") else 0)
    except (TypeError, ArithmeticError, ValueError):
        raise ApplicationError(_("The hours must be a number."), field=field) from None
    if hours < 0:
        raise ApplicationError(_("The hours cannot be negative."), field=field)
    if hours > Decimal(999):
        raise ApplicationError(_("That is too many hours."), field=field)
    return hours


@transaction.atomic
def finding_report(
    *,
    actor: User,
    order: RepairOrder,
    description: str,
    extra_hours=0,
    labour=(),
    parts=(),
    photos=(),
    wait_for_approval: bool = False,
) -> Finding:
    """What the technician found, proposed as add-on work (B-2): the finding with its extra
    time and photos, and pending add-on labour and part lines priced by the estimate service
    (`labour`: dicts for `labour_line_add`, `parts`: dicts for `part_line_add`). With
    `wait_for_approval` an order in progress then waits for the owner's decision."""
    from pitstop.service.estimates import labour_line_add, part_line_add

    _require_work(actor, order)
    description = (description or "").strip()
    if not description:
        raise ApplicationError(_("Describe what you found."), field="description", code="required")
    if len(description) > 300:
        raise ApplicationError(_("Keep the finding under 300 characters."), field="description")
    extra = _clean_hours(extra_hours, "extra_hours")
    labour, parts, photos = list(labour), list(parts), list(photos)
    for item in labour:
        if set(item) - LABOUR_KEYS:
            raise ApplicationError(_("Unknown labour field."), field="labour")
    for item in parts:
        if set(item) - PART_KEYS:
            raise ApplicationError(_("Unknown part field."), field="parts")
    if len(photos) > MAX_PHOTOS:
        raise ApplicationError(
            _("At most %(n)s photos per finding.") % {"n": MAX_PHOTOS}, field="photos", code="photo_count"
        )
    for image in photos:
        clean_photo(image)
    order = lock_order(order)
    if order.status not in WORKING:
        raise ApplicationError(
            _("A finding can be reported only while the job is being worked on (it is %(status)s).")
            % {"status": Status(order.status).label},
            field="status",
            code="state",
        )
    finding = Finding.objects.create(
        order=order, description=description, reported_by=actor, extra_hours=extra
    )
    for item in labour:
        labour_line_add(actor=actor, order=order, **item, is_addon=True, finding=finding)
    for item in parts:
        part_line_add(actor=actor, order=order, **item, is_addon=True, finding=finding)
    for image in photos:
        _photo_add(actor=actor, order=order, image=image, finding=finding)
    audit_record(
        actor=actor,
        instance=finding,
        action="create",
        after=snapshot(finding, ["description", "extra_hours"]),
        store=order.store,
        note=order.number,
    )
    if wait_for_approval and order.status == Status.IN_PROGRESS and (labour or parts):
        job_wait_for_approval(actor=actor, order=order)
    return finding


__all__ = [
    "clock_off",
    "clock_on",
    "finding_report",
    "job_resume",
    "job_wait_for_approval",
    "job_wait_for_parts",
    "labour_line_done",
    "my_jobs",
    "open_clock",
    "order_clocks_stop",
    "time_report",
    "time_summary",
]
