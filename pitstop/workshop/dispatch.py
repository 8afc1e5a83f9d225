"""派工 (F-4.1): giving a repair order to a bay of a type, a team and technicians, with planned
start and end; the order's priority; the workshop's teams.

The first assignment of a confirmed order moves it to dispatched through
`pitstop.service.orders.order_transition`; more assignments may follow while it is dispatched
or being worked on (body first, then paint). A bay holds one car at a time: an assignment
whose planned time overlaps another open order's on the same bay is refused, naming that
order. Selectors first, then services."""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from pitstop.accounts.models import Store, User
from pitstop.core.audit import audit_record, snapshot
from pitstop.core.exceptions import ApplicationError
from pitstop.core.money import to_quantity
from pitstop.core.scoping import has_perm_in_store
from pitstop.service.models import ZERO, Approval, Bay, BayType, OrderLabour, RepairOrder
from pitstop.service.orders import DISPATCH, lock_order, order_transition
from pitstop.service.setup import technicians_of

from .models import Assignment, Team, TimeEntry

Status = RepairOrder.Status
# Orders that may be given (more) work.
DISPATCHABLE = (Status.CONFIRMED, Status.DISPATCHED, Status.IN_PROGRESS)
# Orders whose assignments hold their bay: the car is (or will be) on it.
HOLDING = (
    Status.CONFIRMED,
    Status.DISPATCHED,
    Status.IN_PROGRESS,
    Status.WAITING_PARTS,
    Status.WAITING_APPROVAL,
    Status.CHECKING,
)
# "Within reason": a plan may start a little in the past (entered after the car went in), and
# a job (body work) may take up to a month.
PAST_ALLOWED = datetime.timedelta(hours=12)
AHEAD_ALLOWED = datetime.timedelta(days=60)
LONGEST = datetime.timedelta(days=31)
MAX_HOURS = Decimal("999")
TEAM_FIELDS = ["name", "leader", "members", "is_active"]
ASSIGNMENT_FIELDS = ["bay_type", "bay", "team", "technicians", "planned_start", "planned_end", "hours"]


# ---------------------------------------------------------------- selectors


def store_technicians(store: Store) -> QuerySet[User]:
    """Who may be put on a job: active users holding the technician or team leader role in the
    store."""
    return technicians_of(store)


def teams_for(store: Store, *, active_only: bool = False) -> QuerySet[Team]:
    teams = Team.objects.filter(store=store).select_related("leader").prefetch_related("members")
    return teams.filter(is_active=True) if active_only else teams


def hours_by_bay_type(lines: Iterable[OrderLabour]) -> dict[str, Decimal]:
    """Charged hours of the approved labour lines per bay type, in BayType order."""
    hours: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        if line.approval == Approval.APPROVED:
            hours[line.bay_type] += line.hours
    return {value: hours[value] for value in BayType.values if value in hours}


def bay_holder(bay: Bay, start: datetime.datetime, end: datetime.datetime, *, exclude: int | None = None):
    """The assignment of an open order holding `bay` at some time between start and end."""
    rows = Assignment.objects.filter(
        bay=bay, planned_start__lt=end, planned_end__gt=start, order__status__in=HOLDING
    ).select_related("order__vehicle")
    if exclude:
        rows = rows.exclude(pk=exclude)
    return rows.order_by("planned_start").first()


def busy_bay_ids(store: Store, start: datetime.datetime, end: datetime.datetime) -> dict[int, str]:
    """{bay id: "number plate" of the order holding it} for the bays of the store taken between start
    and end (one query)."""
    rows = (
        Assignment.objects.filter(
            order__store=store,
            bay__isnull=False,
            planned_start__lt=end,
            planned_end__gt=start,
            order__status__in=HOLDING,
        )
        .order_by("planned_start")
        .values_list("bay_id", "order__number", "order__vehicle__plate")
    )
    busy: dict[int, str] = {}
    for bay_id, number, plate in rows:
        busy.setdefault(bay_id, f"{number} {plate}".strip())
    return busy


# ---------------------------------------------------------------- services


def _require_dispatcher(actor: User, store_id: int) -> None:
    if not has_perm_in_store(actor, DISPATCH, store_id):
        raise ApplicationError(_("Your role cannot dispatch work orders."), code="permission")


def _label(status: str) -> str:
    return Status(status).label if status in Status.values else status


def _check_times(start, end) -> None:
    if start is None:
        raise ApplicationError(_("Enter the planned start."), field="planned_start", code="planned_start")
    if end is None:
        raise ApplicationError(_("Enter the planned end."), field="planned_end", code="planned_end")
    now = timezone.now()
    if start < now - PAST_ALLOWED:
        raise ApplicationError(
            _("The planned start is too far in the past."), field="planned_start", code="planned_start"
        )
    if start > now + AHEAD_ALLOWED:
        raise ApplicationError(
            _("The planned start is too far ahead."), field="planned_start", code="planned_start"
        )
    if end <= start:
        raise ApplicationError(
            _("The planned end must be after the planned start."), field="planned_end", code="planned_end"
        )
    if end - start > LONGEST:
        raise ApplicationError(
            _("A job cannot be planned for more than %(days)d days.") % {"days": LONGEST.days},
            field="planned_end",
            code="planned_end",
        )


@transaction.atomic
def assignment_create(
    *,
    actor: User,
    order: RepairOrder,
    bay_type: str,
    planned_start: datetime.datetime,
    planned_end: datetime.datetime,
    bay: Bay | None = None,
    team: Team | None = None,
    technicians: Iterable[User] = (),
    hours: Decimal | int | str | None = None,
) -> Assignment:
    """Give the order (or one part of it: body, then paint) to a bay type, optionally a bay, a
    team and technicians of its store, from planned_start to planned_end. `hours` defaults to
    the approved labour hours of that bay type. The first assignment moves the order from
    confirmed to dispatched."""
    order = lock_order(order)
    _require_dispatcher(actor, order.store_id)
    if order.status not in DISPATCHABLE:
        raise ApplicationError(
            _("A work order that is %(status)s cannot be dispatched.") % {"status": _label(order.status)},
            field="status",
            code="status",
        )
    if bay_type not in BayType.values:
        raise ApplicationError(_("Choose the bay type."), field="bay_type", code="bay_type")
    if bay is not None:
        bay = Bay.objects.select_for_update().get(pk=bay.pk)  # one dispatcher at a time per bay
        if bay.store_id != order.store_id:
            raise ApplicationError(_("This bay belongs to another store."), field="bay", code="store")
        if bay.bay_type != bay_type:
            raise ApplicationError(
                _("Bay %(bay)s is not a %(type)s bay.") % {"bay": bay.name, "type": BayType(bay_type).label},
                field="bay",
                code="bay_type",
            )
        if not bay.is_active:
            raise ApplicationError(
                _("Bay %(bay)s is not in use.") % {"bay": bay.name}, field="bay", code="bay"
            )
    if team is not None:
        if team.store_id != order.store_id:
            raise ApplicationError(_("This team belongs to another store."), field="team", code="store")
        if not team.is_active:
            raise ApplicationError(_("This team is no longer active."), field="team", code="team")
    technicians = list(dict.fromkeys(technicians))  # unique, in the order given
    if technicians:
        allowed = set(store_technicians(order.store).values_list("pk", flat=True))
        strangers = [str(person) for person in technicians if person.pk not in allowed]
        if strangers:
            raise ApplicationError(
                _("Not a technician of this store: %(names)s.") % {"names": ", ".join(strangers)},
                field="technicians",
                code="technician",
            )
    _check_times(planned_start, planned_end)
    if hours is None or hours == "":
        lines = OrderLabour.objects.filter(order=order, bay_type=bay_type)
        hours = hours_by_bay_type(lines).get(bay_type, ZERO)
    try:
        hours = to_quantity(hours)
    except (ArithmeticError, TypeError, ValueError):
        raise ApplicationError(_("Enter the hours as a number."), field="hours", code="hours") from None
    if not ZERO <= hours <= MAX_HOURS:
        raise ApplicationError(_("Enter the hours between 0 and 999."), field="hours", code="hours")
    if bay is not None:
        holder = bay_holder(bay, planned_start, planned_end)
        if holder is not None:
            raise ApplicationError(
                _("Bay %(bay)s is planned for work order %(number)s (%(plate)s) from %(start)s to %(end)s.")
                % {
                    "bay": bay.name,
                    "number": holder.order.number,
                    "plate": holder.order.vehicle.plate,
                    "start": timezone.localtime(holder.planned_start).strftime("%m-%d %H:%M"),
                    "end": timezone.localtime(holder.planned_end).strftime("%m-%d %H:%M"),
                },
                field="bay",
                code="bay_taken",
                extra={"order": holder.order.number},
            )
    assignment = Assignment.objects.create(
        order=order,
        bay_type=bay_type,
        bay=bay,
        team=team,
        planned_start=planned_start,
        planned_end=planned_end,
        hours=hours,
        dispatched_by=actor,
    )
    if technicians:
        assignment.technicians.set(technicians)
    audit_record(
        actor=actor,
        instance=assignment,
        action="create",
        after=snapshot(assignment, ASSIGNMENT_FIELDS),
        store=order.store,
        note=order.number,
    )
    if order.status == Status.CONFIRMED:
        order_transition(actor=actor, order=order, to=Status.DISPATCHED, note=BayType(bay_type).label)
    return assignment


def assignment_started(assignment: Assignment) -> bool:
    """Work under the assignment has begun: one of its technicians clocked on the order, or the
    order is being worked on and the assignment's planned start has come."""
    tech_ids = list(assignment.technicians.values_list("pk", flat=True))
    if (
        tech_ids
        and TimeEntry.objects.filter(order_id=assignment.order_id, technician_id__in=tech_ids).exists()
    ):
        return True
    order = assignment.order
    return order.started_at is not None and assignment.planned_start <= timezone.now()


@transaction.atomic
def assignment_remove(*, actor: User, assignment: Assignment) -> RepairOrder:
    """Take back an assignment not yet started. The order's last assignment taken back returns
    a dispatched order to confirmed (waiting for dispatch)."""
    order = lock_order(assignment.order)
    _require_dispatcher(actor, order.store_id)
    assignment = Assignment.objects.select_related("order").get(pk=assignment.pk)
    if order.status not in DISPATCHABLE or assignment_started(assignment):
        raise ApplicationError(
            _("Work on this assignment has started; it cannot be taken back."), code="started"
        )
    audit_record(
        actor=actor,
        instance=assignment,
        action="delete",
        before=snapshot(assignment, ASSIGNMENT_FIELDS),
        store=order.store,
        note=order.number,
    )
    assignment.delete()
    if order.status == Status.DISPATCHED and not order.assignments.exists():
        order = order_transition(actor=actor, order=order, to=Status.CONFIRMED, note=_("dispatch taken back"))
    return order


@transaction.atomic
def order_priority_set(*, actor: User, order: RepairOrder, priority: int | str) -> RepairOrder:
    """Normal, urgent, or the owner is waiting: the board shows the urgent jobs first."""
    order = lock_order(order)
    _require_dispatcher(actor, order.store_id)
    try:
        priority = int(priority)
    except (TypeError, ValueError):
        priority = -1
    if priority not in RepairOrder.Priority.values:
        raise ApplicationError(_("Choose the priority."), field="priority", code="priority")
    if order.status not in RepairOrder.ON_BOARD or order.status == Status.READY:
        raise ApplicationError(
            _("A work order that is %(status)s cannot change priority.") % {"status": _label(order.status)},
            field="priority",
            code="status",
        )
    if order.priority != priority:
        before = snapshot(order, ["priority"])
        order.priority = priority
        order.save(update_fields=["priority", "updated_at"])
        audit_record(
            actor=actor, instance=order, action="update", before=before, after=snapshot(order, ["priority"])
        )
    return order


@transaction.atomic
def team_save(
    *,
    actor: User,
    store: Store,
    name: str,
    leader: User | None = None,
    members: Iterable[User] = (),
    is_active: bool = True,
    team: Team | None = None,
) -> Team:
    """A new team of the store, or changes to `team`: its name (unique in the store), its
    leader and members (technicians or team leaders of the store; the leader is a member)."""
    if not has_perm_in_store(actor, DISPATCH, store.pk):
        raise ApplicationError(_("Your role cannot change the teams."), code="permission")
    if team is not None and team.store_id != store.pk:
        raise ApplicationError(_("This team belongs to another store."), code="store")
    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("Enter the team's name."), field="name", code="name")
    if len(name) > Team._meta.get_field("name").max_length:
        raise ApplicationError(_("The name is too long."), field="name", code="name")
    same = Team.objects.filter(store=store, name=name)
    if team is not None:
        same = same.exclude(pk=team.pk)
    if same.exists():
        raise ApplicationError(
            _("There is already a team called %(name)s.") % {"name": name}, field="name", code="duplicate"
        )
    members = list(dict.fromkeys(members))
    if leader is not None and leader not in members:
        members.insert(0, leader)
    allowed = set(store_technicians(store).values_list("pk", flat=True))
    strangers = [str(person) for person in members if person.pk not in allowed]
    if strangers:
        raise ApplicationError(
            _("Not a technician of this store: %(names)s.") % {"names": ", ".join(strangers)},
            field="leader" if leader is not None and leader.pk not in allowed else "members",
            code="technician",
        )
    before = snapshot(team, TEAM_FIELDS) if team is not None else None
    if team is None:
        team = Team(store=store)
    team.name, team.leader, team.is_active = name, leader, bool(is_active)
    team.save()
    team.members.set(members)
    audit_record(
        actor=actor,
        instance=team,
        action="update" if before is not None else "create",
        before=before,
        after=snapshot(team, TEAM_FIELDS),
        store=store,
    )
    return team
