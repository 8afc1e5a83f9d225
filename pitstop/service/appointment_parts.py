"""Parts for an appointment (F-2.5, B-4): what the job will need is reserved in the store's
parts store when the appointment is made, so the car does not wait on arrival; what is not in
stock is a shortage, listed for the warehouse as purchase suggestions and turned into a draft
purchase order in one step. High-value parts need a deposit of at least half their price
before the appointment is confirmed. Cancelling or a no-show releases the reservations.

A line (AppointmentPart) holds at most one reservation; reserving again ("top up" when stock
has arrived) releases it and reserves anew the most that is available, under the stock row's
lock. Dependencies stay one way: parts' services and selectors are called, its tables are not
written here."""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from pitstop.accounts.models import Store, User
from pitstop.core.events import record_event
from pitstop.core.exceptions import ApplicationError
from pitstop.core.money import plain, to_money
from pitstop.core.scoping import permitted_store_ids
from pitstop.parts import services as stock
from pitstop.parts.models import Part, PurchaseOrder, Reservation, StockLevel, Supplier, Warehouse

from .appointments import VIEW, day_range
from .models import ZERO, Appointment, AppointmentPart

Status = Appointment.Status
OPEN = (Status.REQUESTED, Status.CONFIRMED)
VIEW_ORDERS = "parts.view_purchaseorder"
ADD_ORDER = "parts.add_purchaseorder"


def deposit_threshold() -> Decimal:
    """A part line worth at least this much (sale price × quantity) is high-value."""
    return to_money(str(getattr(settings, "DEPOSIT_PART_THRESHOLD", 1000)))


def store_warehouse(store: Store) -> Warehouse | None:
    """Where appointment parts are reserved: the store's first active parts store (by code)."""
    return (
        Warehouse.objects.filter(store=store, is_active=True, kind=Warehouse.Kind.MAIN)
        .order_by("code", "pk")
        .first()
    )


def reserved_of(line: AppointmentPart) -> Decimal:
    reservation = line.reservation
    if reservation is None or reservation.status == Reservation.Status.RELEASED:
        return ZERO
    return reservation.quantity


@dataclass(frozen=True)
class PartNeed:
    line: AppointmentPart
    reserved: Decimal
    short: Decimal
    value: Decimal  # sale price × quantity
    high_value: bool


def _need(line: AppointmentPart, threshold: Decimal) -> PartNeed:
    reserved = reserved_of(line)
    value = to_money(line.part.sale_price * line.quantity)
    return PartNeed(line, reserved, max(line.quantity - reserved, ZERO), value, value >= threshold)


# ---------------------------------------------------------------- selectors


def appointment_parts(appointment: Appointment) -> list[PartNeed]:
    """Each part line of the appointment with what is reserved and what is short (one query)."""
    threshold = deposit_threshold()
    lines = AppointmentPart.objects.filter(appointment=appointment).select_related("part", "reservation")
    return [_need(line, threshold) for line in lines]


def deposit_required(appointment: Appointment, needs: list[PartNeed] | None = None) -> Decimal:
    """Half the price of the high-value part lines, rounded half-up to the cent."""
    needs = appointment_parts(appointment) if needs is None else needs
    return to_money(sum((need.value for need in needs if need.high_value), ZERO) / 2)


def deposit_check(appointment: Appointment) -> None:
    """Refuse when the deposit taken is less than the high-value parts need."""
    required = deposit_required(appointment)
    if appointment.deposit < required:
        raise ApplicationError(
            _(
                "High-value parts are ordered for this appointment: take a deposit of at least "
                "¥%(required)s first (received ¥%(deposit)s)."
            )
            % {"required": required, "deposit": appointment.deposit},
            field="deposit",
            code="deposit",
        )


@dataclass(frozen=True)
class Shortage:
    need: PartNeed
    appointment: Appointment


@dataclass(frozen=True)
class ShortageTotal:
    part: Part
    short: Decimal  # over all the appointments
    available: Decimal  # free in the parts store now
    on_order: Decimal  # on open purchase orders (drafts too) for that store
    to_order: Decimal  # the suggestion
    appointments: list[Appointment]


def may_see_shortages(user, store: Store) -> bool:
    return store.pk in (permitted_store_ids(user, VIEW) | permitted_store_ids(user, VIEW_ORDERS))


def appointment_shortages(*, user, store: Store, first: datetime.date, last: datetime.date) -> list[Shortage]:
    """Part lines short for the store's open appointments (to confirm, confirmed) from `first`
    to `last`, in time order; empty for a user who sees neither bookings nor purchase orders
    there. One query."""
    if not may_see_shortages(user, store):
        return []
    since, until = day_range(first, last)
    threshold = deposit_threshold()
    lines = (
        AppointmentPart.objects.filter(
            appointment__store=store,
            appointment__status__in=OPEN,
            appointment__starts_at__gte=since,
            appointment__starts_at__lt=until,
        )
        .select_related("appointment", "part", "reservation")
        .order_by("appointment__starts_at", "appointment_id", "id")
    )
    needs = [(line, _need(line, threshold)) for line in lines]
    return [Shortage(need, line.appointment) for line, need in needs if need.short > 0]


def shortage_totals(store: Store, shortages: list[Shortage]) -> list[ShortageTotal]:
    """The shortages per part as purchase suggestions: short less what is free now and what is
    already on order (a draft made from these suggestions counts, so nothing is ordered twice).
    Two queries."""
    from pitstop.parts.purchasing import outstanding_by_part

    warehouse = store_warehouse(store)
    by_part: dict[int, list[Shortage]] = defaultdict(list)
    for shortage in shortages:
        by_part[shortage.need.line.part_id].append(shortage)
    if not by_part:
        return []
    part_ids = sorted(by_part)
    available: dict[int, Decimal] = {}
    on_order: dict[int, Decimal] = {}
    if warehouse is not None:
        for level in StockLevel.objects.filter(warehouse=warehouse, part_id__in=part_ids):
            available[level.part_id] = max(level.available, ZERO)
        for (part_id, warehouse_id), quantity in outstanding_by_part([store.pk], part_ids).items():
            if warehouse_id == warehouse.pk:
                on_order[part_id] = on_order.get(part_id, ZERO) + quantity
    totals = []
    for part_id, rows in by_part.items():
        short = sum((row.need.short for row in rows), ZERO)
        free, coming = available.get(part_id, ZERO), on_order.get(part_id, ZERO)
        appointments = list({row.appointment.pk: row.appointment for row in rows}.values())
        totals.append(
            ShortageTotal(
                rows[0].need.line.part, short, free, coming, max(short - free - coming, ZERO), appointments
            )
        )
    return sorted(totals, key=lambda total: total.part.code)


# ---------------------------------------------------------------- services


def _lock(appointment: Appointment) -> Appointment:
    return Appointment.objects.select_for_update(of=("self",)).select_related("store").get(pk=appointment.pk)


def _check_open(appointment: Appointment) -> None:
    if appointment.status not in OPEN:
        raise ApplicationError(
            _("The parts of an appointment that is %(status)s cannot be changed.")
            % {"status": Status(appointment.status).label},
            field="status",
            code="transition",
        )


def _reserve(actor: User | None, appointment: Appointment, line: AppointmentPart) -> Decimal:
    """Reserve the most of the line that is available now (releasing its earlier reservation
    first); the rest is the shortage. Returns what is reserved."""
    warehouse = store_warehouse(appointment.store)
    if line.reservation_id and line.reservation.status == Reservation.Status.OPEN:
        stock.reservation_release(actor=actor, reservation=line.reservation)
    line.reservation = None
    reserved = ZERO
    if warehouse is not None:
        level = stock.lock_levels([(line.part_id, warehouse.pk)])[(line.part_id, warehouse.pk)]
        reserved = min(line.quantity, max(level.available, ZERO))
        if reserved > 0:
            line.reservation = stock.reservation_create(
                actor=actor,
                warehouse=warehouse,
                part=line.part,
                quantity=reserved,
                reference=stock.Reference("appointment", appointment.pk, appointment.number),
            )
    line.save(update_fields=["reservation"])
    return reserved


def _would_need_deposit(appointment: Appointment, extra: Decimal) -> None:
    """A confirmed appointment keeps the deposit its high-value parts need: adding one that
    pushes the need above the deposit is refused, naming the amount."""
    if appointment.status != Status.CONFIRMED:
        return
    high = sum((need.value for need in appointment_parts(appointment) if need.high_value), ZERO)
    required = to_money((high + extra) / 2)
    if appointment.deposit < required:
        raise ApplicationError(
            _(
                "This is a high-value part: take a deposit of at least ¥%(required)s first "
                "(received ¥%(deposit)s)."
            )
            % {"required": required, "deposit": appointment.deposit},
            field="deposit",
            code="deposit",
        )


@transaction.atomic
def appointment_part_add(
    *, actor: User | None, appointment: Appointment, part: Part, quantity
) -> AppointmentPart:
    """List a part the job will need: what the parts store has free is reserved for the
    appointment, the rest is recorded as short (a purchase suggestion)."""
    appointment = _lock(appointment)
    _check_open(appointment)
    quantity = stock.clean_quantity(quantity)
    if part is None or not part.is_active:
        raise ApplicationError(_("Choose a part of the catalogue."), field="part", code="part")
    if AppointmentPart.objects.filter(appointment=appointment, part=part).exists():
        raise ApplicationError(
            _("%(part)s is already listed; remove it and add it again with the new quantity.")
            % {"part": part},
            field="part",
            code="duplicate",
        )
    value = to_money(part.sale_price * quantity)
    if value >= deposit_threshold():
        _would_need_deposit(appointment, value)
    line = AppointmentPart.objects.create(appointment=appointment, part=part, quantity=quantity)
    reserved = _reserve(actor, appointment, line)
    note = _("part %(code)s × %(qty)s: %(reserved)s reserved") % {
        "code": part.code,
        "qty": plain(quantity),
        "reserved": plain(reserved),
    }
    if reserved < quantity:
        note += "; " + _("%(short)s short") % {"short": plain(quantity - reserved)}
    record_event(appointment, actor, appointment.status, appointment.status, note)
    return line


@transaction.atomic
def appointment_part_remove(*, actor: User | None, appointment: Appointment, line_id: int) -> None:
    """Take a part off the appointment; its reservation is released."""
    appointment = _lock(appointment)
    _check_open(appointment)
    line = (
        AppointmentPart.objects.select_related("part", "reservation")
        .filter(appointment=appointment, pk=line_id)
        .first()
    )
    if line is None:
        raise ApplicationError(_("That part is not on this appointment."), field="part", code="missing")
    if line.reservation_id and line.reservation.status == Reservation.Status.OPEN:
        stock.reservation_release(actor=actor, reservation=line.reservation)
    code = line.part.code
    line.delete()
    record_event(
        appointment,
        actor,
        appointment.status,
        appointment.status,
        _("part %(code)s removed") % {"code": code},
    )


@transaction.atomic
def appointment_parts_reserve(*, actor: User | None, appointment: Appointment) -> Decimal:
    """Reserve again every short line (stock may have arrived). Returns the quantity newly
    reserved over all lines."""
    appointment = _lock(appointment)
    _check_open(appointment)
    gained = ZERO
    for line in AppointmentPart.objects.filter(appointment=appointment).select_related("part", "reservation"):
        before = reserved_of(line)
        if before >= line.quantity:
            continue
        gained += _reserve(actor, appointment, line) - before
    if gained > 0:
        record_event(
            appointment,
            actor,
            appointment.status,
            appointment.status,
            _("%(qty)s more reserved") % {"qty": plain(gained)},
        )
    return gained


def appointment_parts_release(*, actor: User | None, appointment: Appointment) -> int:
    """Release every open reservation of the appointment (cancelled, no-show); the lines stay
    as a record. Called inside the caller's transaction. Returns how many were released."""
    released = 0
    lines = AppointmentPart.objects.filter(
        appointment=appointment, reservation__status=Reservation.Status.OPEN
    ).select_related("reservation")
    for line in lines:
        stock.reservation_release(actor=actor, reservation=line.reservation)
        released += 1
    return released


@transaction.atomic
def appointment_deposit_record(
    *, actor: User | None, appointment: Appointment, deposit, deposit_reference: str
) -> Appointment:
    """The deposit taken for the appointment (定金) and its receipt number."""
    appointment = _lock(appointment)
    _check_open(appointment)
    try:
        amount = to_money(deposit if isinstance(deposit, (Decimal, int)) else str(deposit or "0"))
    except (InvalidOperation, TypeError, ValueError):
        raise ApplicationError(_("Enter an amount."), field="deposit") from None
    if amount < 0:
        raise ApplicationError(_("An amount cannot be negative."), field="deposit")
    reference = (deposit_reference or "").strip()[:60]
    if amount > 0 and not reference:
        raise ApplicationError(_("Enter the receipt number of the deposit."), field="deposit_reference")
    if appointment.status == Status.CONFIRMED and amount < deposit_required(appointment):
        raise ApplicationError(
            _("The high-value parts need a deposit of at least ¥%(required)s.")
            % {"required": deposit_required(appointment)},
            field="deposit",
            code="deposit",
        )
    before = appointment.deposit
    appointment.deposit, appointment.deposit_reference = amount, reference
    appointment.save(update_fields=["deposit", "deposit_reference", "updated_at"])
    record_event(
        appointment,
        actor,
        appointment.status,
        appointment.status,
        _("deposit ¥%(before)s → ¥%(after)s (%(reference)s)")
        % {"before": before, "after": amount, "reference": reference or "—"},
    )
    return appointment


@transaction.atomic
def appointment_shortages_order(
    *,
    actor: User | None,
    store: Store,
    supplier: Supplier,
    first: datetime.date,
    last: datetime.date,
    part_ids: list[int] | None = None,
    expected_on: datetime.date | None = None,
) -> PurchaseOrder:
    """A draft purchase order to `supplier` for what the appointments from `first` to `last`
    are short (the suggestions, or only the parts chosen), through purchase_order_create."""
    from pitstop.parts.purchasing import purchase_order_create

    warehouse = store_warehouse(store)
    if warehouse is None:
        raise ApplicationError(_("The store has no parts store to deliver to."), field="warehouse")
    if supplier is None or not supplier.is_active:
        raise ApplicationError(_("Choose the supplier."), field="supplier", code="supplier")
    totals = shortage_totals(store, appointment_shortages(user=actor, store=store, first=first, last=last))
    chosen = set(part_ids) if part_ids is not None else None
    lines = [
        (total.part, total.to_order, None)
        for total in totals
        if total.to_order > 0 and (chosen is None or total.part.pk in chosen)
    ]
    if not lines:
        raise ApplicationError(
            _("Nothing to order: every shortage is covered."), field="lines", code="nothing"
        )
    ordered = {part.pk for part, _qty, _cost in lines}
    numbers = sorted({a.number for total in totals if total.part.pk in ordered for a in total.appointments})
    note = _("For appointments %(numbers)s") % {"numbers": ", ".join(numbers)}
    return purchase_order_create(
        actor=actor,
        store=store,
        supplier=supplier,
        warehouse=warehouse,
        lines=lines,
        expected_on=expected_on,
        note=note[:200],
    )
