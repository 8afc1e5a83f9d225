"""The estimate (维修估价单) and the signed work order (任务委托书), F-3.4 and F-3.5.

Labour comes from the chain's labour catalogue priced for the store, or as free text at the
store's rate; canned jobs add their labour and parts in one click; parts come from the
catalogue at the customer's price type with the store's stock shown, genuine or aftermarket,
or supplied by the customer (no charge, no guarantee). The customer's tier discounts apply
per line: a line is rounded, then the lines are summed (`order_recalculate` after every
change). Approved shop-supplied parts are reserved in the store's parts store when enough is
available, else they are to be ordered. The owner signs on the tablet or on paper, and the
order moves from draft to confirmed.

Selectors first, then services; every write locks the order, is audited and recalculates."""

import base64
import binascii
import datetime
import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Max, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from pitstop.accounts.models import User
from pitstop.core.audit import audit_record, snapshot
from pitstop.core.exceptions import ApplicationError
from pitstop.core.money import to_money, to_quantity
from pitstop.core.scoping import has_perm_in_store

from . import capacity
from .catalogue import RETAIL, labour_price, store_rates
from .models import (
    ZERO,
    Approval,
    ApprovalVia,
    BayType,
    CannedJob,
    Finding,
    LabourOperation,
    OrderLabour,
    OrderPart,
    RepairOrder,
)
from .orders import CHANGE, WORK, line_amount, lock_order, order_recalculate, order_transition
from .setup import workshop_settings

Status = RepairOrder.Status
Supply = OrderPart.Supply
SIGNATURE_PREFIX = "data:image/png;base64,"
SIGNATURE_MAX_BYTES = 300 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
LABOUR_FIELDS = ["name", "code", "bay_type", "hours", "rate", "price", "discount_pct", "amount", "approval"]
PART_FIELDS = [
    "name",
    "code",
    "quantity",
    "unit_price",
    "discount_pct",
    "amount",
    "genuine",
    "customer_supplied",
    "supply",
    "approval",
]
# States in which the workshop may still propose add-on work.
ADDON_STATES = (
    Status.DRAFT,
    Status.CONFIRMED,
    Status.DISPATCHED,
    Status.IN_PROGRESS,
    Status.WAITING_PARTS,
    Status.WAITING_APPROVAL,
    Status.CHECKING,
)


# ---------------------------------------------------------------- selectors


def order_lines(order: RepairOrder) -> tuple[list[OrderLabour], list[OrderPart]]:
    """The labour and part lines of the order in their order (two queries)."""
    labour = list(OrderLabour.objects.filter(order=order).select_related("operation", "canned_job"))
    parts = list(OrderPart.objects.filter(order=order).select_related("part", "canned_job", "reservation"))
    return labour, parts


def parts_warehouses(store) -> QuerySet:
    """The store's active parts stores (not the old-parts store), the first one first."""
    from pitstop.parts.models import Warehouse

    return Warehouse.objects.filter(store=store, is_active=True, kind=Warehouse.Kind.MAIN).order_by(
        "code", "pk"
    )


def stock_available(store, parts) -> dict[int, Decimal]:
    """{part id: quantity available (on hand less reserved)} over the store's parts stores, in
    one query; a part without stock there is 0."""
    from pitstop.parts.models import StockLevel

    ids = [getattr(part, "pk", part) for part in parts]
    found = {pk: ZERO for pk in ids}
    rows = (
        StockLevel.objects.filter(
            part_id__in=ids,
            warehouse__store=store,
            warehouse__is_active=True,
            warehouse__kind="main",
        )
        .values("part_id")
        .annotate(on_hand=Sum("on_hand"), reserved=Sum("reserved"))
    )
    for row in rows:
        found[row["part_id"]] = max(ZERO, (row["on_hand"] or ZERO) - (row["reserved"] or ZERO))
    return found


def customer_price_type(order: RepairOrder) -> str:
    tier = order.customer.tier if order.customer_id else None
    return (tier.price_type if tier else "") or RETAIL


def tier_discounts(order: RepairOrder) -> tuple[Decimal, Decimal]:
    """(labour %, parts %) of the customer's tier; none without a tier."""
    tier = order.customer.tier if order.customer_id else None
    if tier is None:
        return ZERO, ZERO
    return tier.labour_discount_pct or ZERO, tier.parts_discount_pct or ZERO


def may_edit_estimate(user, order: RepairOrder) -> bool:
    return order.status == Status.DRAFT and has_perm_in_store(user, CHANGE, order.store_id)


def line_editable(order: RepairOrder, line) -> bool:
    """Estimate lines change only while the order is a draft; a pending add-on until decided."""
    if order.status == Status.DRAFT:
        return True
    return bool(line.is_addon and line.approval == Approval.PENDING and order.status in ADDON_STATES)


# ---------------------------------------------------------------- promised time


def _working_end(ws, start: datetime.datetime, hours: Decimal) -> datetime.datetime:
    """`hours` of work from `start` counted only within opening hours on open days."""
    zone = capacity.local_zone()
    remaining = datetime.timedelta(minutes=int(math.ceil(Decimal(hours) * 60)))
    current = capacity.local(start)
    for _day in range(370):
        day = current.date()
        opens = datetime.datetime.combine(day, ws.opens_at, tzinfo=zone)
        closes = datetime.datetime.combine(day, ws.closes_at, tzinfo=zone)
        if capacity.is_open_on(ws, day) and current < closes:
            current = max(current, opens)
            if current + remaining <= closes:
                return current + remaining
            remaining -= closes - current
        current = datetime.datetime.combine(day + datetime.timedelta(days=1), ws.opens_at, tzinfo=zone)
    return current + remaining


def main_bay_type(labour: list[OrderLabour]) -> str:
    hours: dict[str, Decimal] = {}
    for line in labour:
        hours[line.bay_type] = hours.get(line.bay_type, ZERO) + line.hours
    if not hours:
        return BayType.MAINTENANCE
    return max(hours.items(), key=lambda item: item[1])[0]


def promised_time(order: RepairOrder, *, now: datetime.datetime | None = None) -> datetime.datetime:
    """The expected completion: the approved labour hours started at the next free start of the
    order's main bay type (the one with the most hours) in the workshop's booking load, counted
    within opening hours. With no free start in the search window, the hours run from now
    (or the next opening). At least an hour's work is assumed."""
    now = now or timezone.now()
    labour = list(OrderLabour.objects.filter(order=order, approval=Approval.APPROVED))
    hours = sum((line.hours for line in labour), ZERO)
    hours = max(hours, Decimal("1"))
    bay_type = main_bay_type(labour)
    ws = workshop_settings(order.store)
    start = now
    try:
        free = capacity.nearest_free(
            order.store, now, bay_type, hours, count=1, exclude=order.appointment_id, not_before=now
        )
    except ApplicationError:
        free = []
    if free:
        start = max(free[0], now)
    end = _working_end(ws, start, hours)
    return end.replace(second=0, microsecond=0)


# ---------------------------------------------------------------- helpers


def _check_actor(actor, order: RepairOrder, *, addon: bool) -> None:
    if actor is None:
        return
    perms = (CHANGE, WORK) if addon else (CHANGE,)
    if not any(has_perm_in_store(actor, perm, order.store_id) for perm in perms):
        raise ApplicationError(_("Your role cannot change this work order."), code="permission")


def _check_state(order: RepairOrder, *, addon: bool) -> None:
    if addon:
        if order.status not in ADDON_STATES:
            raise ApplicationError(
                _("Add-on work cannot be proposed on a work order that is %(status)s.")
                % {"status": Status(order.status).label},
                code="state",
            )
    elif order.status != Status.DRAFT:
        raise ApplicationError(
            _("The estimate can only be changed while the work order is a draft."), code="state"
        )


def _next_position(model, order: RepairOrder) -> int:
    return (model.objects.filter(order=order).aggregate(n=Max("position"))["n"] or 0) + 1


def _hours(value, field: str = "hours") -> Decimal:
    try:
        hours = to_quantity(value)
    except (TypeError, ValueError, ArithmeticError, InvalidOperation):
        raise ApplicationError(_("The hours must be a number."), field=field) from None
    if hours < 0 or hours > Decimal("999"):
        raise ApplicationError(_("Hours cannot be negative."), field=field)
    return hours


def _money(value, field: str) -> Decimal:
    try:
        amount = to_money(value)
    except (TypeError, ValueError, ArithmeticError, InvalidOperation):
        raise ApplicationError(_("The price must be a number."), field=field) from None
    if amount < 0:
        raise ApplicationError(_("A price cannot be negative."), field=field)
    return amount


def _quantity(value) -> Decimal:
    try:
        quantity = to_quantity(value)
    except (TypeError, ValueError, ArithmeticError, InvalidOperation):
        raise ApplicationError(_("The quantity must be a number."), field="quantity") from None
    if quantity <= 0:
        raise ApplicationError(_("Quantities must be more than zero."), field="quantity")
    return quantity


def _percent(value) -> Decimal:
    if isinstance(value, float):
        raise ApplicationError(_("The discount must be a number."), field="discount_pct")
    try:
        pct = Decimal(value).quantize(Decimal("0.01"))
    except (TypeError, ValueError, ArithmeticError, InvalidOperation):
        raise ApplicationError(_("The discount must be a number."), field="discount_pct") from None
    if pct < 0 or pct > 100:
        raise ApplicationError(_("A discount is between 0 and 100 %."), field="discount_pct")
    return pct


def _check_finding(order: RepairOrder, finding: Finding | None) -> None:
    if finding is not None and finding.order_id != order.pk:
        raise ApplicationError(_("The finding belongs to another work order."), field="finding")


def _sync(target: RepairOrder, source: RepairOrder) -> None:
    """Give the caller's order object the locked row's totals and status."""
    if target is source:
        return
    for name in ("labour_total", "parts_total", "total", "hours_total", "status", "updated_at"):
        setattr(target, name, getattr(source, name))


def _reserve(actor, order: RepairOrder, line: OrderPart) -> None:
    """Reserve an approved shop-supplied part in the first parts store that has enough
    available; else it is to be ordered."""
    from pitstop.parts.services import Reference, reservation_create

    if line.customer_supplied:
        line.supply = Supply.CUSTOMER
        return
    if line.part_id is None or line.approval != Approval.APPROVED:
        line.supply = Supply.TO_ORDER
        return
    from pitstop.parts.models import StockLevel

    levels = {
        level.warehouse_id: level
        for level in StockLevel.objects.filter(
            part_id=line.part_id, warehouse__in=parts_warehouses(order.store)
        )
    }
    for warehouse in parts_warehouses(order.store):
        level = levels.get(warehouse.pk)
        if level is not None and level.available >= line.quantity:
            try:
                line.reservation = reservation_create(
                    actor=actor,
                    warehouse=warehouse,
                    part=line.part,
                    quantity=line.quantity,
                    reference=Reference("repair_order", order.pk, order.number),
                )
            except ApplicationError:
                continue
            line.supply = Supply.RESERVED
            return
    line.reservation = None
    line.supply = Supply.TO_ORDER


def _release(actor, line: OrderPart) -> None:
    from pitstop.parts.services import reservation_release

    if line.reservation_id:
        reservation_release(actor=actor, reservation=line.reservation)
        line.reservation = None


# ---------------------------------------------------------------- services


def _line_added(actor, order: RepairOrder, caller: RepairOrder, line, fields: list[str]):
    """What follows every new line: its audit row, the order's totals, the caller's copy."""
    audit_record(
        actor=actor,
        instance=line,
        action="create",
        after=snapshot(line, fields),
        store=order.store,
        note=order.number,
    )
    order_recalculate(order)
    _sync(caller, order)
    return line


@transaction.atomic
def labour_line_add(
    *,
    actor: User | None,
    order: RepairOrder,
    operation: LabourOperation | None = None,
    name: str = "",
    hours=None,
    bay_type: str = "",
    price=None,
    is_addon: bool = False,
    finding: Finding | None = None,
    canned_job: CannedJob | None = None,
) -> OrderLabour:
    """A labour line from the catalogue (priced by `catalogue.labour_price` for the store, for
    the given hours or the standard ones) or as free text (hours × the store's rate for the bay
    type); `price` overrides. The customer's tier labour discount applies. An add-on line waits
    for the owner's decision; an estimate line is approved (the owner signs for it)."""
    caller = order
    order = lock_order(order)
    _check_actor(actor, order, addon=is_addon)
    _check_state(order, addon=is_addon)
    _check_finding(order, finding)
    name = (name or "").strip()
    rates = store_rates(order.store)
    if operation is not None:
        if not operation.is_active:
            raise ApplicationError(_("This labour operation is no longer offered."), field="operation")
        bay_type = bay_type or operation.bay_type
        hours = operation.standard_hours if hours in (None, "") else _hours(hours)
        if price in (None, ""):
            price = labour_price(store=order.store, operation=operation, hours=hours)
        name = name or operation.name
        code = operation.code
    else:
        if not name:
            raise ApplicationError(_("Name the labour or pick it from the catalogue."), field="name")
        hours = ZERO if hours in (None, "") else _hours(hours)
        bay_type = bay_type or BayType.MAINTENANCE
        code = ""
    if bay_type not in BayType.values:
        raise ApplicationError(_("Choose a bay type."), field="bay_type")
    rate = to_money(rates[bay_type])
    price = to_money(hours * rate) if price in (None, "") else _money(price, "price")
    if hours == 0 and price == 0:
        raise ApplicationError(_("Give the hours or a price."), field="hours")
    labour_pct, _parts_pct = tier_discounts(order)
    line = OrderLabour.objects.create(
        order=order,
        position=_next_position(OrderLabour, order),
        operation=operation,
        code=code,
        name=name[:100],
        bay_type=bay_type,
        hours=to_quantity(hours),
        rate=rate,
        price=price,
        discount_pct=labour_pct,
        amount=line_amount(price, labour_pct),
        is_addon=is_addon,
        finding=finding,
        canned_job=canned_job,
        approval=Approval.PENDING if is_addon else Approval.APPROVED,
        recorded_by=actor if actor and actor.pk else None,
    )
    return _line_added(actor, order, caller, line, LABOUR_FIELDS)


@transaction.atomic
def part_line_add(
    *,
    actor: User | None,
    order: RepairOrder,
    part=None,
    name: str = "",
    quantity,
    unit_price=None,
    genuine: bool | None = None,
    customer_supplied: bool = False,
    is_addon: bool = False,
    finding: Finding | None = None,
    canned_job: CannedJob | None = None,
) -> OrderPart:
    """A part line: from the catalogue at the customer's price type (else free text with a
    price), genuine unless said otherwise (a catalogue part: its quality), the tier parts
    discount applied. A customer-supplied part costs nothing and carries no guarantee. An
    approved shop-supplied part is reserved when the store has enough, else to be ordered."""
    from pitstop.parts.models import Part
    from pitstop.parts.selectors import sale_prices

    caller = order
    order = lock_order(order)
    _check_actor(actor, order, addon=is_addon)
    _check_state(order, addon=is_addon)
    _check_finding(order, finding)
    quantity = _quantity(quantity)
    name = (name or "").strip()
    if part is not None:
        if not part.is_active:
            raise ApplicationError(_("This part is no longer in the catalogue."), field="part")
        name = name or part.name
        code, unit = part.code, part.unit
        if genuine is None:
            genuine = part.quality == Part.Quality.GENUINE
        if unit_price in (None, "") and not customer_supplied:
            unit_price = sale_prices([part], customer_price_type(order))[part.pk]
    else:
        if not name:
            raise ApplicationError(_("Name the part or pick it from the catalogue."), field="name")
        code, unit = "", ""
        if unit_price in (None, "") and not customer_supplied:
            raise ApplicationError(_("Give the unit price."), field="unit_price")
    genuine = True if genuine is None else bool(genuine)
    _labour_pct, parts_pct = tier_discounts(order)
    if customer_supplied:
        unit_price, parts_pct = ZERO, ZERO
    unit_price = _money(unit_price, "unit_price")
    line = OrderPart(
        order=order,
        position=_next_position(OrderPart, order),
        part=part,
        code=code,
        name=name[:100],
        unit=unit,
        genuine=genuine,
        customer_supplied=customer_supplied,
        quantity=quantity,
        unit_price=unit_price,
        discount_pct=parts_pct,
        amount=line_amount(to_money(unit_price * quantity), parts_pct),
        is_addon=is_addon,
        finding=finding,
        canned_job=canned_job,
        approval=Approval.PENDING if is_addon else Approval.APPROVED,
        recorded_by=actor if actor and actor.pk else None,
    )
    _reserve(actor, order, line)
    line.save()
    return _line_added(actor, order, caller, line, PART_FIELDS)


@transaction.atomic
def part_line_reserve(*, actor: User | None, line: OrderPart) -> OrderPart:
    """Reserve an approved shop-supplied part that is still to be ordered (e.g. an add-on the
    owner has just approved); a declined line gives its reservation back."""
    order = lock_order(line.order)
    line = (
        OrderPart.objects.select_for_update(of=("self",))
        .select_related("part", "reservation")
        .get(pk=line.pk)
    )
    if line.approval == Approval.DECLINED:
        _release(actor, line)
        line.supply = Supply.TO_ORDER
    elif line.supply == Supply.TO_ORDER and not line.reservation_id:
        _reserve(actor, order, line)
    line.save(update_fields=["supply", "reservation"])
    return line


@transaction.atomic
def canned_job_add(*, actor: User | None, order: RepairOrder, job: CannedJob) -> list:
    """All the job's labour and part lines, priced for the store and the customer, in one go;
    each can then be changed or removed like any other line."""
    if not job.is_active:
        raise ApplicationError(_("This canned job is no longer offered."), field="job")
    if job.store_id is not None and job.store_id != order.store_id:
        raise ApplicationError(_("This canned job belongs to another store."), field="job", code="store")
    lines = list(job.lines.select_related("labour", "part"))
    if not lines:
        raise ApplicationError(_("This canned job has no lines."), field="job")
    added = []
    for entry in lines:
        if entry.labour_id:
            added.append(
                labour_line_add(
                    actor=actor, order=order, operation=entry.labour, hours=entry.quantity, canned_job=job
                )
            )
        else:
            added.append(
                part_line_add(
                    actor=actor, order=order, part=entry.part, quantity=entry.quantity, canned_job=job
                )
            )
    return added


def _get_line(order: RepairOrder, kind: str, line_id):
    model = {"labour": OrderLabour, "part": OrderPart}.get(kind)
    if model is None:
        raise ApplicationError(_("Unknown kind of line."), field="kind")
    try:
        return model.objects.select_for_update().get(order=order, pk=line_id)
    except (model.DoesNotExist, ValueError, TypeError):
        raise ApplicationError(_("This line is not on the work order."), code="not_found") from None


@transaction.atomic
def line_update(
    *,
    actor: User | None,
    order: RepairOrder,
    kind: str,
    line_id: int,
    name: str | None = None,
    hours=None,
    price=None,
    bay_type: str | None = None,
    quantity=None,
    unit_price=None,
    genuine: bool | None = None,
    customer_supplied: bool | None = None,
    discount_pct=None,
) -> OrderLabour | OrderPart:
    """Change a line while the order is a draft (or a pending add-on): labour name, hours, bay
    type, price (without one, changed hours are priced at the line's rate unless the operation
    has a fixed price), discount; part name, quantity, unit price, genuine, customer-supplied,
    discount. The amount is recomputed and a part's reservation follows its quantity."""
    caller = order
    order = lock_order(order)
    line = _get_line(order, kind, line_id)
    _check_actor(actor, order, addon=line.is_addon and order.status != Status.DRAFT)
    if not line_editable(order, line):
        raise ApplicationError(
            _("This line can no longer be changed; the owner has signed or decided on it."), code="state"
        )
    fields = LABOUR_FIELDS if kind == "labour" else PART_FIELDS
    before = snapshot(line, fields)
    if name is not None:
        name = name.strip()
        if not name:
            raise ApplicationError(_("A line needs a name."), field="name")
        line.name = name[:100]
    if discount_pct not in (None, ""):
        line.discount_pct = _percent(discount_pct)
    if kind == "labour":
        if bay_type not in (None, ""):
            if bay_type not in BayType.values:
                raise ApplicationError(_("Choose a bay type."), field="bay_type")
            if bay_type != line.bay_type:
                line.bay_type = bay_type
                line.rate = to_money(store_rates(order.store)[bay_type])
        # A price sent back unchanged (the edit row posts every field) is no change: changed
        # hours are then repriced at the line's rate.
        old_price = line.price
        price = None if price in (None, "") else _money(price, "price")
        if price == old_price:
            price = None
        if hours not in (None, ""):
            line.hours = _hours(hours)
            fixed = line.operation_id and line.operation.fixed_price is not None
            if price is None and not fixed:
                line.price = to_money(line.hours * line.rate)
        if price is not None:
            line.price = price
        if line.hours == 0 and line.price == 0:
            raise ApplicationError(_("Give the hours or a price."), field="hours")
        line.amount = line_amount(line.price, line.discount_pct)
        line.save()
    else:
        old_quantity, was_customer = line.quantity, line.customer_supplied
        if quantity not in (None, ""):
            line.quantity = _quantity(quantity)
        if genuine is not None:
            line.genuine = bool(genuine)
        if customer_supplied is not None:
            line.customer_supplied = bool(customer_supplied)
        if line.customer_supplied:
            line.unit_price, line.discount_pct = ZERO, ZERO
        elif unit_price not in (None, ""):
            line.unit_price = _money(unit_price, "unit_price")
        elif was_customer and line.part_id:
            from pitstop.parts.selectors import sale_prices

            line.unit_price = to_money(sale_prices([line.part], customer_price_type(order))[line.part_id])
        line.amount = line_amount(to_money(line.unit_price * line.quantity), line.discount_pct)
        if line.quantity != old_quantity or line.customer_supplied != was_customer:
            _release(actor, line)
            _reserve(actor, order, line)
        line.save()
    audit_record(
        actor=actor,
        instance=line,
        action="update",
        before=before,
        after=snapshot(line, fields),
        store=order.store,
        note=order.number,
    )
    order_recalculate(order)
    _sync(caller, order)
    return line


@transaction.atomic
def line_remove(*, actor: User | None, order: RepairOrder, kind: str, line_id: int) -> None:
    """Take a line off the estimate while the order is a draft (or a pending add-on); a part's
    reservation is given back."""
    caller = order
    order = lock_order(order)
    line = _get_line(order, kind, line_id)
    _check_actor(actor, order, addon=line.is_addon and order.status != Status.DRAFT)
    if not line_editable(order, line):
        raise ApplicationError(
            _("This line can no longer be changed; the owner has signed or decided on it."), code="state"
        )
    fields = LABOUR_FIELDS if kind == "labour" else PART_FIELDS
    if kind == "part":
        _release(actor, line)
    audit_record(
        actor=actor,
        instance=line,
        action="delete",
        before=snapshot(line, fields),
        store=order.store,
        note=order.number,
    )
    line.delete()
    order_recalculate(order)
    _sync(caller, order)


def appointment_takeover(order: RepairOrder) -> dict:
    """What the order's appointment brought that is not on the order yet: its items and its
    parts (with open reservations). Empty without an appointment or once taken over."""
    appointment = order.appointment
    if appointment is None or order.status != Status.DRAFT:
        return {"items": [], "parts": []}
    taken = audit_taken(order)
    if taken:
        return {"items": [], "parts": []}
    items = list(appointment.items.select_related("labour", "job"))
    parts = list(appointment.parts.select_related("part", "reservation"))
    return {"items": items, "parts": parts}


TAKEOVER_NOTE = "appointment items taken over"


def audit_taken(order: RepairOrder) -> bool:
    from django.contrib.contenttypes.models import ContentType

    from pitstop.core.models import AuditEntry

    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(RepairOrder),
        object_id=str(order.pk),
        note=TAKEOVER_NOTE,
    ).exists()


@transaction.atomic
def appointment_items_add(*, actor: User | None, order: RepairOrder) -> list:
    """Put the appointment's items (labour, canned jobs, described work) and parts on the
    estimate. A part reserved for the appointment keeps its stock: the reservation is handed
    over to the work order (released and reserved again under the order's number)."""
    from pitstop.parts.services import Reference, reservation_create, reservation_release

    locked = lock_order(order)
    _check_actor(actor, locked, addon=False)
    _check_state(locked, addon=False)
    if locked.appointment_id is None:
        raise ApplicationError(
            _("This work order was not opened from an appointment."), code="no_appointment"
        )
    if audit_taken(locked):
        raise ApplicationError(_("The appointment's items are already on the estimate."), code="taken")
    appointment = locked.appointment
    added: list = []
    for item in appointment.items.select_related("labour", "job"):
        if item.job_id:
            added.extend(canned_job_add(actor=actor, order=order, job=item.job))
        elif item.labour_id:
            added.append(
                labour_line_add(actor=actor, order=order, operation=item.labour, hours=item.hours or None)
            )
        elif item.description and item.hours:
            added.append(labour_line_add(actor=actor, order=order, name=item.description, hours=item.hours))
    for entry in appointment.parts.select_related("part", "reservation", "reservation__warehouse"):
        reservation = entry.reservation
        if reservation is not None and reservation.status == reservation.Status.OPEN:
            reservation_release(actor=actor, reservation=reservation)
            line = part_line_add(actor=actor, order=order, part=entry.part, quantity=entry.quantity)
            if line.supply == Supply.TO_ORDER and line.reservation_id is None:
                # The released stock is in the appointment's warehouse even if not the first.
                try:
                    line.reservation = reservation_create(
                        actor=actor,
                        warehouse=reservation.warehouse,
                        part=entry.part,
                        quantity=line.quantity,
                        reference=Reference("repair_order", locked.pk, locked.number),
                    )
                    line.supply = Supply.RESERVED
                    line.save(update_fields=["reservation", "supply"])
                except ApplicationError:
                    pass
            added.append(line)
        else:
            added.append(part_line_add(actor=actor, order=order, part=entry.part, quantity=entry.quantity))
    audit_record(actor=actor, instance=locked, action="update", store=locked.store, note=TAKEOVER_NOTE)
    return added


@dataclass(frozen=True)
class SignatureImage:
    data_url: str
    size: int


def clean_signature(value: str) -> str:
    """A PNG data URL drawn on the tablet: the prefix, valid base64, a PNG, under 300 KB."""
    value = (value or "").strip()
    if not value.startswith(SIGNATURE_PREFIX):
        raise ApplicationError(_("The signature must be a PNG image."), field="signature", code="signature")
    payload = value[len(SIGNATURE_PREFIX) :]
    if len(payload) > SIGNATURE_MAX_BYTES * 4 // 3 + 8:
        raise ApplicationError(_("The signature image is too large."), field="signature", code="signature")
    try:
        raw = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise ApplicationError(
            _("The signature image is damaged."), field="signature", code="signature"
        ) from None
    if len(raw) > SIGNATURE_MAX_BYTES:
        raise ApplicationError(_("The signature image is too large."), field="signature", code="signature")
    if not raw.startswith(PNG_MAGIC):
        raise ApplicationError(_("The signature must be a PNG image."), field="signature", code="signature")
    return value


@transaction.atomic
def order_sign(
    *,
    actor: User | None,
    order: RepairOrder,
    signature: str = "",
    on_paper: bool = False,
    payment_method: str | None = None,
    old_parts: str | None = None,
    free_wash: bool | None = None,
    promised_at: datetime.datetime | None = None,
) -> RepairOrder:
    """The owner signs the work order (任务委托书) on the tablet or on paper with the terms:
    payment method, the old parts, free wash, the promised time (the workshop's estimate
    unless given). Needs at least one approved line. The estimate's lines are recorded as
    approved by signature, and the order moves from draft to confirmed."""
    caller = order
    order = lock_order(order)
    _check_actor(actor, order, addon=False)
    if order.status != Status.DRAFT:
        raise ApplicationError(
            _("Only a draft work order can be signed; this one is %(status)s.")
            % {"status": Status(order.status).label},
            code="transition",
        )
    signature = (signature or "").strip()
    if signature:
        signature = clean_signature(signature)
        on_paper = False
    elif not on_paper:
        raise ApplicationError(
            _("Let the owner sign on the tablet, or tick that the paper copy is signed."),
            field="signature",
            code="signature",
        )
    if payment_method is not None:
        if payment_method not in RepairOrder.Payment.values:
            raise ApplicationError(_("Choose the payment method."), field="payment_method")
        order.payment_method = payment_method
    if old_parts is not None:
        if old_parts not in RepairOrder.OldParts.values:
            raise ApplicationError(_("Choose what happens to the old parts."), field="old_parts")
        order.old_parts = old_parts
    if free_wash is not None:
        order.free_wash = bool(free_wash)
    approved = (
        OrderLabour.objects.filter(order=order, approval=Approval.APPROVED).exists()
        or OrderPart.objects.filter(order=order, approval=Approval.APPROVED).exists()
    )
    if not approved:
        raise ApplicationError(_("Add at least one line to the estimate before signing."), code="empty")
    now = timezone.now()
    if promised_at is not None:
        if promised_at < now - datetime.timedelta(minutes=5):
            raise ApplicationError(_("The promised time cannot be in the past."), field="promised_at")
        order.promised_at = promised_at
    elif order.promised_at is None or order.promised_at < now:
        order.promised_at = promised_time(order, now=now)
    order.signature = signature
    order.signed_on_paper = bool(on_paper)
    order.signed_at = now
    order.save(
        update_fields=[
            "payment_method",
            "old_parts",
            "free_wash",
            "promised_at",
            "signature",
            "signed_on_paper",
            "signed_at",
            "updated_at",
        ]
    )
    decided = {
        "approval_via": ApprovalVia.SIGNATURE,
        "decided_at": now,
        "decided_by_name": (order.contact_name or order.customer.name or "")[:60],
    }
    OrderLabour.objects.filter(order=order, approval=Approval.APPROVED, is_addon=False).update(**decided)
    OrderPart.objects.filter(order=order, approval=Approval.APPROVED, is_addon=False).update(**decided)
    note = _("signed on paper") if on_paper else _("signed on the tablet")
    order = order_transition(actor=actor, order=order, to=Status.CONFIRMED, note=note)
    for name in (
        "payment_method",
        "old_parts",
        "free_wash",
        "promised_at",
        "signature",
        "signed_on_paper",
        "signed_at",
        "status",
        "updated_at",
    ):
        setattr(caller, name, getattr(order, name))
    return order


@transaction.atomic
def promised_at_set(*, actor: User | None, order: RepairOrder, promised_at: datetime.datetime) -> RepairOrder:
    """The advisor changes the promised time before the owner signs."""
    caller = order
    order = lock_order(order)
    _check_actor(actor, order, addon=False)
    _check_state(order, addon=False)
    if promised_at < timezone.now() - datetime.timedelta(minutes=5):
        raise ApplicationError(_("The promised time cannot be in the past."), field="promised_at")
    before = snapshot(order, ["promised_at"])
    order.promised_at = promised_at
    order.save(update_fields=["promised_at", "updated_at"])
    audit_record(
        actor=actor,
        instance=order,
        action="update",
        before=before,
        after=snapshot(order, ["promised_at"]),
        store=order.store,
    )
    caller.promised_at = promised_at
    return order


@transaction.atomic
def order_reopen(*, actor: User | None, order: RepairOrder, reason: str) -> RepairOrder:
    """Back from confirmed to draft to change the estimate (with the reason): the signature no
    longer covers the new estimate, so it is cleared and the owner signs again."""
    caller = order
    order = lock_order(order)
    _check_actor(actor, order, addon=False)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Give the reason for reopening the estimate."), field="note", code="reason")
    if order.status != Status.CONFIRMED:
        raise ApplicationError(
            _("Only a confirmed work order that is not dispatched yet can be reopened."), code="transition"
        )
    order.signature, order.signed_on_paper, order.signed_at = "", False, None
    order.save(update_fields=["signature", "signed_on_paper", "signed_at", "updated_at"])
    order = order_transition(actor=actor, order=order, to=Status.DRAFT, note=reason)
    for name in ("signature", "signed_on_paper", "signed_at", "status", "updated_at"):
        setattr(caller, name, getattr(order, name))
    return order


def order_search(*, user, store=None, query: str = "", status: str = "") -> QuerySet[RepairOrder]:
    """The work orders the user may see (one store when given), by plate or number (either
    part of it), optionally in one state; newest first."""
    from django.db.models import Q

    from pitstop.core.text import normalise_code

    from .orders import orders_for

    orders = orders_for(user, store)
    text = (query or "").strip()
    if text:
        code = normalise_code(text).replace(" ", "")
        orders = orders.filter(
            Q(number__icontains=code) | Q(vehicle__plate__icontains=code) | Q(contact_name__icontains=text)
        )
    if status == "open":
        orders = orders.filter(status__in=RepairOrder.OPEN)
    elif status in Status.values:
        orders = orders.filter(status=status)
    return orders.order_by("-id")
