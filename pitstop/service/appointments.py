"""Appointments (F-2.1, F-2.2, F-2.4): booking against the workshop's capacity, moving, and
the state moves confirm / arrived / no-show / cancel. Selectors first, then services.

Two advisors booking the last free unit of a slot at the same moment: both would read the
slot as free and both would insert. Every booking and move therefore first locks the
store's WorkshopSettings row (SELECT … FOR UPDATE, `of=("self",)` so that only that row is
locked, never a joined one). The second advisor waits on that lock until the first commits,
then reads the load again and is refused. One lock per store keeps it simple and bookings
are short; different stores never wait on each other."""

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pitstop.accounts.models import Store, User
from pitstop.core.events import record_event
from pitstop.core.exceptions import ApplicationError
from pitstop.core.identifiers import clean_mobile, clean_plate
from pitstop.core.money import plain, to_money, to_quantity
from pitstop.core.numbering import next_code
from pitstop.core.scoping import get_scoped_or_404, scoped
from pitstop.messaging.services import Reference, message_send, salutation

from . import capacity
from .models import Appointment, BayType, WorkshopSettings
from .setup import workshop_settings

VIEW = "service.view_appointment"
ADD = "service.add_appointment"
CHANGE = "service.change_appointment"
Status = Appointment.Status
Source = Appointment.Source
MAX_HOURS = Decimal("99")


# ---------------------------------------------------------------- selectors


def appointments_for(user, store: Store | None = None) -> QuerySet[Appointment]:
    return scoped(Appointment.objects.all(), user, VIEW, store=store).select_related(
        "customer", "vehicle", "accepted_by"
    )


def appointment_detail(*, user, pk: int) -> Appointment:
    return get_scoped_or_404(
        Appointment.objects.select_related("store", "customer", "vehicle", "accepted_by"), user, VIEW, pk=pk
    )


def day_range(first: datetime.date, last: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    zone = capacity.local_zone()
    return (
        datetime.datetime.combine(first, datetime.time.min, tzinfo=zone),
        datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone),
    )


def appointments_between(
    *, user, store: Store | None, first: datetime.date, last: datetime.date, active_only: bool = False
) -> QuerySet[Appointment]:
    since, until = day_range(first, last)
    rows = appointments_for(user, store).filter(starts_at__gte=since, starts_at__lt=until)
    if active_only:
        rows = rows.filter(status__in=capacity.ACTIVE)
    return rows.order_by("starts_at", "id")


def to_confirm(*, user, store: Store | None) -> QuerySet[Appointment]:
    """Open bookings, online requests first (they wait for the advisor), then by time."""
    return (
        appointments_for(user, store)
        .filter(
            status__in=(Status.REQUESTED, Status.CONFIRMED),
            starts_at__gte=timezone.now() - datetime.timedelta(hours=12),
        )
        .annotate(
            waiting=Case(
                When(status=Status.REQUESTED, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("waiting", "starts_at", "id")
    )


# ---------------------------------------------------------------- services


def _lock_workshop(store: Store) -> WorkshopSettings:
    """Serialise capacity decisions of one store (see the module's note)."""
    workshop_settings(store)  # created on first use, outside the lock's row read
    return WorkshopSettings.objects.select_for_update(of=("self",)).get(store=store)


def _clean_hours(hours) -> Decimal:
    try:
        value = to_quantity(hours if isinstance(hours, (Decimal, int)) else str(hours))
    except (InvalidOperation, TypeError, ValueError):
        raise ApplicationError(_("Enter the hours as a number, e.g. 1.5."), field="hours") from None
    if value <= 0 or value > MAX_HOURS:
        raise ApplicationError(
            _("Hours are more than 0 and at most %(max)s.") % {"max": MAX_HOURS}, field="hours", code="hours"
        )
    return value


def _money(value, field: str) -> Decimal:
    try:
        amount = to_money(value if isinstance(value, (Decimal, int)) else str(value or "0"))
    except (InvalidOperation, TypeError, ValueError):
        raise ApplicationError(_("Enter an amount."), field=field) from None
    if amount < 0:
        raise ApplicationError(_("An amount cannot be negative."), field=field)
    return amount


def format_time(value: datetime.datetime) -> str:
    return date_format(capacity.local(value), "Y-m-d H:i")


def _check_capacity(
    ws: WorkshopSettings, store: Store, starts_at, bay_type: str, hours, *, exclude=None
) -> datetime.datetime:
    """The start as a local time, or an ApplicationError: closed, outside hours, in the past,
    or full (naming the nearest free starts)."""
    if bay_type not in BayType.values:
        raise ApplicationError(_("Choose a bay type."), field="bay_type")
    if not isinstance(starts_at, datetime.datetime):
        raise ApplicationError(_("Choose the appointment time."), field="starts_at")
    start = capacity.local(starts_at)
    error = capacity.refusal(ws, start, hours)
    if error is not None:
        raise error
    if start < timezone.now() - datetime.timedelta(minutes=ws.slot_minutes):
        raise ApplicationError(_("That time has already passed."), field="starts_at", code="past")
    if not capacity.is_free(store, start, bay_type, hours, exclude=exclude):
        free = capacity.nearest_free(store, start, bay_type, hours, exclude=exclude)
        if free:
            message = _(
                "No %(bay)s bay is free at %(time)s for %(hours)s hours. Nearest free times: %(free)s."
            ) % {
                "bay": BayType(bay_type).label,
                "time": format_time(start),
                "hours": plain(Decimal(str(hours))),
                "free": ", ".join(format_time(value) for value in free),
            }
        else:
            message = _("No %(bay)s bay is free at %(time)s, nor in the two weeks around it.") % {
                "bay": BayType(bay_type).label,
                "time": format_time(start),
            }
        raise ApplicationError(
            message,
            field="starts_at",
            code="slot_full",
            extra={"free": [value.isoformat() for value in free]},
        )
    return start


def _confirmation_sms(appointment: Appointment, actor) -> str:
    """Queue the owner's confirmation; a message that cannot be made (no template) does not
    stop the booking, the event notes it instead."""
    if appointment.reminder == Appointment.Reminder.NONE:
        return ""
    customer = appointment.customer
    name = (salutation(customer) if customer else "") or appointment.contact_name or _("Dear customer")
    try:
        message_send(
            actor=actor,
            store=appointment.store,
            kind="appointment_confirmed",
            to=appointment.mobile,
            context={"customer": name, "plate": appointment.plate, "time": appointment.starts_at},
            customer=customer,
            vehicle=appointment.vehicle,
            reference=Reference("appointment", appointment.pk, appointment.number),
        )
    except ApplicationError as error:
        return _("Confirmation SMS not sent: %(reason)s") % {"reason": error.message}
    return ""


@transaction.atomic
def appointment_book(
    *,
    actor: User | None,
    store: Store,
    starts_at: datetime.datetime,
    bay_type: str,
    hours,
    mobile: str,
    content: str,
    source: str = Source.DESK,
    customer=None,
    vehicle=None,
    plate: str = "",
    model_name: str = "",
    contact_name: str = "",
    reminder: str = Appointment.Reminder.SMS,
    estimate=0,
    parts_expected: str = "",
    deposit=0,
    deposit_reference: str = "",
    note: str = "",
) -> Appointment:
    """A booking (预约登记). At the desk or by phone it is confirmed at once and the owner gets
    the confirmation SMS; an online request waits for the advisor to confirm it."""
    if source not in Source.values:
        raise ApplicationError(_("Unknown source of the booking."), field="source")
    if reminder not in Appointment.Reminder.values:
        raise ApplicationError(_("Choose how to remind the owner."), field="reminder")
    hours = _clean_hours(hours)
    content = (content or "").strip()
    if not content:
        raise ApplicationError(_("Say what the owner comes for."), field="content")
    if vehicle is not None and vehicle.store_id != store.pk:
        raise ApplicationError(_("This vehicle belongs to another store."), field="vehicle", code="store")
    if customer is not None and customer.store_id != store.pk:
        raise ApplicationError(_("This customer belongs to another store."), field="customer", code="store")
    if vehicle is not None and customer is None:
        customer = vehicle.owner
    plate = plate or (vehicle.plate if vehicle is not None else "")
    if not plate:
        raise ApplicationError(_("Enter the plate or pick the vehicle."), field="plate")
    try:
        plate = clean_plate(plate)
    except ValidationError as error:
        raise ApplicationError(error.messages[0], field="plate", code="plate") from None
    mobile = mobile or (customer.mobile if customer is not None else "")
    try:
        mobile = clean_mobile(mobile)
    except ValidationError as error:
        raise ApplicationError(error.messages[0], field="mobile", code="mobile") from None
    estimate = _money(estimate, "estimate")
    deposit = _money(deposit, "deposit")
    if deposit > 0 and not (deposit_reference or "").strip():
        raise ApplicationError(_("Enter the receipt number of the deposit."), field="deposit_reference")

    ws = _lock_workshop(store)
    start = _check_capacity(ws, store, starts_at, bay_type, hours)
    status = Status.REQUESTED if source == Source.ONLINE else Status.CONFIRMED
    appointment = Appointment.objects.create(
        store=store,
        number=next_code("YY", store.code),
        source=source,
        status=status,
        customer=customer,
        vehicle=vehicle,
        plate=plate,
        model_name=(model_name or (vehicle.model_name if vehicle is not None else ""))[:80],
        contact_name=(contact_name or (customer.name if customer is not None else ""))[:60],
        mobile=mobile,
        reminder=reminder,
        content=content[:300],
        bay_type=bay_type,
        starts_at=start,
        ends_at=capacity.booking_end(ws, start, hours),
        hours=hours,
        estimate=estimate,
        parts_expected=(parts_expected or "")[:300],
        deposit=deposit,
        deposit_reference=(deposit_reference or "").strip()[:60],
        accepted_by=actor if status == Status.CONFIRMED and getattr(actor, "pk", None) else None,
        note=(note or "")[:300],
    )
    notes = [_("booked %(source)s") % {"source": Source(source).label}]
    if status == Status.CONFIRMED:
        notes.append(_confirmation_sms(appointment, actor))
    record_event(appointment, actor, "", status, "; ".join(filter(None, notes)))
    return appointment


@transaction.atomic
def appointment_move(
    *,
    actor: User | None,
    appointment: Appointment,
    starts_at: datetime.datetime,
    hours=None,
    bay_type: str = "",
) -> Appointment:
    """Another time (and optionally hours or bay type), with the same capacity check; the
    appointment's own place does not count against it."""
    ws = _lock_workshop(appointment.store)
    appointment = (
        Appointment.objects.select_for_update(of=("self",)).select_related("store").get(pk=appointment.pk)
    )
    if appointment.status not in (Status.REQUESTED, Status.CONFIRMED):
        raise ApplicationError(
            _("An appointment that is %(status)s cannot be moved.")
            % {"status": Status(appointment.status).label},
            field="status",
            code="transition",
        )
    hours = _clean_hours(hours if hours is not None else appointment.hours)
    bay_type = bay_type or appointment.bay_type
    start = _check_capacity(ws, appointment.store, starts_at, bay_type, hours, exclude=appointment.pk)
    before = format_time(appointment.starts_at)
    appointment.starts_at = start
    appointment.ends_at = capacity.booking_end(ws, start, hours)
    appointment.hours = hours
    appointment.bay_type = bay_type
    appointment.reminded_at = None
    appointment.save(update_fields=["starts_at", "ends_at", "hours", "bay_type", "reminded_at", "updated_at"])
    record_event(
        appointment,
        actor,
        appointment.status,
        appointment.status,
        _("moved from %(before)s to %(after)s") % {"before": before, "after": format_time(start)},
    )
    return appointment


@transaction.atomic
def appointment_transition(
    *, actor: User | None, appointment: Appointment, to: str, note: str = ""
) -> Appointment:
    """Confirm (the owner gets the confirmation SMS), arrived, no-show, or cancel (with a
    reason). A move the state does not allow is refused naming both states."""
    appointment = (
        Appointment.objects.select_for_update(of=("self",)).select_related("store").get(pk=appointment.pk)
    )
    label = Status(to).label if to in Status.values else to
    if to not in Appointment.ALLOWED.get(appointment.status, set()):
        raise ApplicationError(
            _("An appointment that is %(from)s cannot become %(to)s.")
            % {"from": Status(appointment.status).label, "to": label},
            field="status",
            code="transition",
        )
    note = (note or "").strip()
    fields = ["status", "updated_at"]
    if to == Status.CANCELLED:
        if not note:
            raise ApplicationError(_("Give the reason for cancelling."), field="note", code="reason")
        appointment.cancel_reason = note[:200]
        fields.append("cancel_reason")
    if to == Status.NO_SHOW and appointment.starts_at > timezone.now():
        raise ApplicationError(
            _("The appointment is at %(time)s; the owner cannot be a no-show before then.")
            % {"time": format_time(appointment.starts_at)},
            field="status",
            code="too_early",
        )
    if to == Status.CONFIRMED:
        from .appointment_parts import deposit_check

        deposit_check(appointment)  # high-value parts need their deposit first
    if to == Status.ARRIVED:
        appointment.arrived_at = timezone.now()
        fields.append("arrived_at")
    if to == Status.CONFIRMED and appointment.accepted_by_id is None and getattr(actor, "pk", None):
        appointment.accepted_by = actor
        fields.append("accepted_by")
    previous = appointment.status
    appointment.status = to
    appointment.save(update_fields=fields)
    if to == Status.CONFIRMED:
        note = "; ".join(filter(None, [note, _confirmation_sms(appointment, actor)]))
    if to in (Status.CANCELLED, Status.NO_SHOW):
        from .appointment_parts import appointment_parts_release

        if released := appointment_parts_release(actor=actor, appointment=appointment):
            freed = ngettext(
                "%(count)d part reservation released", "%(count)d part reservations released", released
            ) % {"count": released}
            note = "; ".join(filter(None, [note, freed]))
    record_event(appointment, actor, previous, to, note)
    return appointment
