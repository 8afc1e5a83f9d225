"""The advisor's follow-up of a job (F-4.4, F-4.6; seed 000 steps 10 and 11):

- 查询工作进度: when a job has run 70–80% of its planned time (setting PROGRESS_CHECK_AT,
  0.75) the advisor gets a task to ask the workshop how it goes; when its planned end or the
  promised time has passed and it is not yet in the checks, a "late" task. The advisor closes a
  progress task ("checked, on time") or confirms a delay with the new finish time, which the
  owner is told by SMS.
- The washing queue: cars in washing, oldest first; "washed" makes the order ready.
- 通知客户接车: the owner is told the car will be ready 1 hour ahead for a job under 2 days
  (received to promised), 4 hours ahead for a longer one (READY_NOTICE_SHORT_HOURS,
  READY_NOTICE_LONG_HOURS, READY_NOTICE_LONG_JOB_HOURS); a car ready before that is announced at
  once. Once per order (`ready_notice_at`; a confirmed delay allows a new one).

`raise_progress_tasks` and `ready_notices_due` run periodically (Celery beat, or the management
commands of the same names from cron). Selectors first, then services."""

import datetime
import logging
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Min, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from pitstop.accounts.models import Store, User
from pitstop.core.events import record_event
from pitstop.core.exceptions import ApplicationError
from pitstop.core.scoping import scoped
from pitstop.messaging.services import Reference, message_send, salutation
from pitstop.service.models import RepairOrder
from pitstop.service.orders import lock_order, order_transition

from .models import AdvisorTask

logger = logging.getLogger(__name__)
Status = RepairOrder.Status
Kind = AdvisorTask.Kind

VIEW_TASK = "workshop.view_advisortask"
CHANGE_TASK = "workshop.change_advisortask"
VIEW_ORDER = "service.view_repairorder"

# Jobs the workshop is on (a progress check makes sense), and jobs that can still be late.
WORKING = (Status.DISPATCHED, Status.IN_PROGRESS, Status.WAITING_PARTS, Status.WAITING_APPROVAL)
CAN_BE_LATE = (Status.CONFIRMED, *WORKING)
# A delay can be confirmed while the car is still in the workshop.
DELAYABLE = (*CAN_BE_LATE, Status.CHECKING, Status.WASHING)
# The ready notice goes out while the car is in the checks or washing, or once it is ready.
NOTICE_STATES = (Status.CHECKING, Status.WASHING)
# A ready car whose notice was missed is still announced if it became ready this recently.
READY_CATCH_UP = datetime.timedelta(hours=12)


def check_share() -> Decimal:
    share = Decimal(str(getattr(settings, "PROGRESS_CHECK_AT", "0.75")))
    return min(max(share, Decimal("0.05")), Decimal("1"))


def _hours_setting(name: str, default: int) -> datetime.timedelta:
    value = Decimal(str(getattr(settings, name, default)))
    return datetime.timedelta(seconds=int(value * 3600))


def ready_lead(order: RepairOrder) -> datetime.timedelta:
    """How long before the promised time the owner is told: 1 hour for a job under 2 days
    (received to promised), 4 hours for one of 2 days or more (seed 000, step 11)."""
    start = order.received_at or order.created_at
    long_job = _hours_setting("READY_NOTICE_LONG_JOB_HOURS", 48)
    if order.promised_at and start and order.promised_at - start >= long_job:
        return _hours_setting("READY_NOTICE_LONG_HOURS", 4)
    return _hours_setting("READY_NOTICE_SHORT_HOURS", 1)


def _share_of(start: datetime.datetime, end: datetime.datetime, share: Decimal) -> datetime.datetime:
    seconds = max((end - start) // datetime.timedelta(seconds=1), 0)
    return start + datetime.timedelta(seconds=int(Decimal(seconds) * share))


def format_time(value: datetime.datetime) -> str:
    return date_format(timezone.localtime(value), "Y-m-d H:i")


# ---------------------------------------------------------------- selectors


def open_tasks(*, user, store: Store | None) -> list[AdvisorTask]:
    """Open tasks of open orders the user may see: the user's own orders first, then the
    store's, each by due time. A fixed number of queries."""
    rows = (
        scoped(AdvisorTask.objects.all(), user, VIEW_TASK, store_field="order__store_id", store=store)
        .filter(done_at__isnull=True, order__status__in=RepairOrder.OPEN)
        .select_related("order", "order__vehicle", "order__advisor", "order__customer")
        .annotate(planned_end=Max("order__assignments__planned_end"))
        .order_by("due_at", "id")
    )
    tasks = list(rows[:300])
    tasks.sort(key=lambda task: (task.order.advisor_id != user.pk, task.due_at, task.pk))
    return tasks


def washing_queue(*, user, store: Store | None) -> QuerySet[RepairOrder]:
    """Cars in washing, the one waiting longest first."""
    return (
        scoped(RepairOrder.objects.all(), user, VIEW_ORDER, store=store)
        .filter(status=Status.WASHING)
        .select_related("vehicle", "advisor", "customer")
        .annotate(washing_since=Max("events__at", filter=Q(events__to_status=Status.WASHING)))
        .order_by("washing_since", "id")
    )


# ---------------------------------------------------------------- services


def _create_task(order: RepairOrder, kind: str, due_at: datetime.datetime) -> bool:
    try:
        with transaction.atomic():
            _task, created = AdvisorTask.objects.get_or_create(
                order=order, kind=kind, defaults={"due_at": due_at}
            )
    except IntegrityError:  # raised by a concurrent run
        return False
    return created


def raise_progress_tasks(*, now: datetime.datetime | None = None, store: Store | None = None) -> int:
    """Create the advisor's tasks that are due (returns how many were raised):

    - PROGRESS, once per order, when the time since the earliest planned start reaches
      PROGRESS_CHECK_AT (0.75) of the planned duration (earliest start to latest end);
    - LATE when the latest planned end or the promised time has passed and the order is not
      yet in the checks, washing or ready. A late task closed by a confirmed delay is opened
      again when the new promised time passes too.

    Open tasks of orders that have moved on (checks, washing, ready, cancelled) are closed."""
    now = now or timezone.now()
    share = check_share()
    orders = RepairOrder.objects.filter(status__in=CAN_BE_LATE)
    if store is not None:
        orders = orders.filter(store=store)
    orders = orders.annotate(
        first_start=Min("assignments__planned_start"), last_end=Max("assignments__planned_end")
    ).filter(Q(first_start__isnull=False) | Q(promised_at__isnull=False))
    existing_tasks = AdvisorTask.objects.filter(order__status__in=CAN_BE_LATE)
    if store is not None:
        existing_tasks = existing_tasks.filter(order__store=store)
    existing = {
        (task.order_id, task.kind): task
        for task in existing_tasks.only("id", "order_id", "kind", "due_at", "done_at")
    }
    raised = 0
    for order in orders:
        if (
            order.status in WORKING
            and order.first_start
            and order.last_end
            and order.last_end > order.first_start
        ):
            check_at = _share_of(order.first_start, order.last_end, share)
            if check_at <= now and (order.pk, Kind.PROGRESS) not in existing:
                raised += _create_task(order, Kind.PROGRESS, check_at)
        deadlines = [value for value in (order.last_end, order.promised_at) if value is not None]
        if not deadlines or min(deadlines) > now:
            continue
        task = existing.get((order.pk, Kind.LATE))
        if task is None:
            raised += _create_task(order, Kind.LATE, min(deadlines))
        elif (
            task.done_at is not None
            and order.promised_at is not None
            and task.due_at < order.promised_at <= now
        ):
            AdvisorTask.objects.filter(pk=task.pk, done_at__isnull=False).update(
                done_at=None, done_by=None, due_at=order.promised_at, updated_at=now
            )
            raised += 1
    moved_on = AdvisorTask.objects.filter(done_at__isnull=True).exclude(order__status__in=CAN_BE_LATE)
    if store is not None:
        moved_on = moved_on.filter(order__store=store)
    moved_on.update(done_at=now, outcome=_("The job moved on."), updated_at=now)
    return raised


def _lock_task(task: AdvisorTask) -> AdvisorTask:
    task = AdvisorTask.objects.select_for_update().select_related("order").get(pk=task.pk)
    if task.done_at is not None:
        raise ApplicationError(
            _("This task was already done on %(time)s.") % {"time": format_time(task.done_at)}, code="done"
        )
    return task


@transaction.atomic
def task_done(*, actor: User, task: AdvisorTask, outcome: str = "") -> AdvisorTask:
    """ "Checked, on time": the advisor asked the workshop and the job keeps its time."""
    task = _lock_task(task)
    task.done_at = timezone.now()
    task.done_by = actor
    task.outcome = ((outcome or "").strip() or _("Checked, on time."))[:200]
    task.save(update_fields=["done_at", "done_by", "outcome", "updated_at"])
    order = task.order
    record_event(
        order,
        actor,
        order.status,
        order.status,
        _("Progress checked: %(outcome)s") % {"outcome": task.outcome},
    )
    return task


def _owner_name(order: RepairOrder) -> str:
    return (
        (salutation(order.customer) if order.customer_id else "") or order.contact_name or _("Dear customer")
    )


@transaction.atomic
def delay_confirm(
    *, actor: User, task: AdvisorTask, new_time: datetime.datetime, note: str = ""
) -> AdvisorTask:
    """The job will be late: the new finish time becomes the promised time, the owner gets the
    `delay_notice` SMS with it, the task is closed and the order's history notes it. A ready
    notice already sent for the old time may be sent again for the new one."""
    task = _lock_task(task)
    order = lock_order(task.order)
    if order.status not in DELAYABLE:
        raise ApplicationError(
            _("The work order is %(status)s; there is no finish time to move.")
            % {"status": Status(order.status).label},
            code="status",
        )
    if not isinstance(new_time, datetime.datetime) or timezone.is_naive(new_time):
        raise ApplicationError(_("Give the new finish time."), field="new_time", code="time")
    now = timezone.now()
    if new_time <= now:
        raise ApplicationError(_("The new finish time must be in the future."), field="new_time", code="past")
    if not order.mobile:
        raise ApplicationError(
            _("The work order has no mobile number to tell the owner."), field="mobile", code="mobile"
        )
    old = order.promised_at
    order.promised_at = new_time
    order.ready_notice_at = None
    order.save(update_fields=["promised_at", "ready_notice_at", "updated_at"])
    message_send(
        actor=actor,
        store=order.store,
        kind="delay_notice",
        to=order.mobile,
        context={"customer": _owner_name(order), "plate": order.vehicle.plate, "time": new_time},
        customer=order.customer,
        vehicle=order.vehicle,
        reference=Reference("repair_order", order.pk, order.number),
    )
    note = (note or "").strip()
    task.done_at = now
    task.done_by = actor
    task.outcome = (
        _("Delay confirmed: new finish time %(time)s.") % {"time": format_time(new_time)}
        + (f" {note}" if note else "")
    )[:200]
    task.save(update_fields=["done_at", "done_by", "outcome", "updated_at"])
    record_event(
        order,
        actor,
        order.status,
        order.status,
        _("Delay: promised time %(old)s → %(new)s, owner told by SMS. %(note)s")
        % {"old": format_time(old) if old else "—", "new": format_time(new_time), "note": note},
    )
    return task


@transaction.atomic
def ready_notice_send(*, actor: User | None, order: RepairOrder, force: bool = False):
    """The `ready_notice` SMS, once per order: {time} is the promised time while the car is in
    the checks or washing, now once it is ready (or when the promised time has passed). Returns
    the message, or None when a notice was sent already (and `force` is not given)."""
    order = lock_order(order)
    if order.ready_notice_at is not None and not force:
        return None
    if order.status not in (*NOTICE_STATES, Status.READY):
        raise ApplicationError(
            _("The ready notice goes out once the car is in the checks, washing or ready; it is %(status)s.")
            % {"status": Status(order.status).label},
            code="status",
        )
    if not order.mobile:
        raise ApplicationError(
            _("The work order has no mobile number to tell the owner."), field="mobile", code="mobile"
        )
    now = timezone.now()
    when = now
    if order.status != Status.READY and order.promised_at and order.promised_at > now:
        when = order.promised_at
    message = message_send(
        actor=actor,
        store=order.store,
        kind="ready_notice",
        to=order.mobile,
        context={"customer": _owner_name(order), "plate": order.vehicle.plate, "time": when},
        customer=order.customer,
        vehicle=order.vehicle,
        reference=Reference("repair_order", order.pk, order.number),
    )
    order.ready_notice_at = now
    order.save(update_fields=["ready_notice_at", "updated_at"])
    record_event(
        order,
        actor,
        order.status,
        order.status,
        _("Ready notice sent for %(time)s") % {"time": format_time(when)},
    )
    return message


def ready_notices_due(*, now: datetime.datetime | None = None) -> int:
    """Periodic: the ready notice to every owner whose car is in the checks or washing and
    promised within the lead time (1 or 4 hours), and to any car that became ready lately
    without one. Returns how many were sent; an order that cannot be told (no mobile, no
    template) is logged and skipped."""
    now = now or timezone.now()
    longest = max(_hours_setting("READY_NOTICE_LONG_HOURS", 4), _hours_setting("READY_NOTICE_SHORT_HOURS", 1))
    candidates = (
        RepairOrder.objects.filter(ready_notice_at__isnull=True)
        .exclude(mobile="")
        .filter(
            Q(status__in=NOTICE_STATES, promised_at__isnull=False, promised_at__lte=now + longest)
            | Q(status=Status.READY, ready_at__gte=now - READY_CATCH_UP)
        )
        .order_by("id")
    )
    sent = 0
    for order in candidates:
        if order.status != Status.READY and order.promised_at - ready_lead(order) > now:
            continue
        try:
            if ready_notice_send(actor=None, order=order) is not None:
                sent += 1
        except ApplicationError as error:
            logger.warning("ready notice for %s not sent: %s", order.number, error.message)
    return sent


@transaction.atomic
def washing_done(*, actor: User, order: RepairOrder) -> RepairOrder:
    """ "Washed": the car leaves the washing queue and is ready; the owner is told at once
    unless the ready notice went out already. A notice that cannot be sent does not hold the
    car back; the order's history says why."""
    current = lock_order(order)
    if current.status != Status.WASHING:
        raise ApplicationError(
            _("Only a car in washing can be marked washed; this one is %(status)s.")
            % {"status": Status(current.status).label},
            code="status",
        )
    order = order_transition(actor=actor, order=current, to=Status.READY, note=_("Washed."))
    try:
        with transaction.atomic():
            ready_notice_send(actor=actor, order=order)
    except ApplicationError as error:
        record_event(
            order,
            actor,
            order.status,
            order.status,
            _("Ready notice not sent: %(reason)s") % {"reason": error.message},
        )
    order.refresh_from_db()
    return order
