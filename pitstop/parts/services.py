"""Every change of stock: the balance row and the ledger line are written together, under a
row lock on the balance, taken in primary-key order so two documents never deadlock.

Value rule: the moving-average unit cost (4 places) is the master; a balance's value is
always to_money(on_hand × average_cost), and each movement records the change of that value,
so the ledger's values add up to the stock value exactly.

Stock never goes below zero: an issue asks for at most what is available (on hand less
reservations); the database refuses a negative balance too (check constraint)."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from pitstop.accounts.models import User
from pitstop.core.exceptions import ApplicationError
from pitstop.core.money import plain, to_money, to_quantity, to_rate

from .models import ZERO, Part, Reservation, StockLevel, StockMovement, Warehouse

Kind = StockMovement.Kind
# What a job has taken and given back, for returns and exchanges.
OUT_TO_JOB = (Kind.ISSUE, Kind.EXCHANGE_OUT)
BACK_FROM_JOB = (Kind.RETURN, Kind.EXCHANGE_IN)
# The catalogue fields a person edits (admin, API, later the catalogue page).
PART_FIELDS = [
    "code",
    "name",
    "brand",
    "category",
    "packaging",
    "origin",
    "quality",
    "place_of_origin",
    "use",
    "fits_models",
    "unit",
    "barcode",
    "default_bin",
    "cost_price",
    "sale_price",
    "is_active",
]


@dataclass(frozen=True)
class Reference:
    """What a movement belongs to: a work order, a purchase order, a counter sale…"""

    type: str = ""
    id: int | None = None
    no: str = ""


NO_REFERENCE = Reference()


def clean_quantity(value, field: str = "quantity") -> Decimal:
    try:
        quantity = to_quantity(value)
    except (TypeError, ArithmeticError, ValueError):
        raise ApplicationError(_("The quantity must be a number."), field=field) from None
    if quantity <= 0:
        raise ApplicationError(_("The quantity must be more than zero."), field=field)
    return quantity


def clean_unit_cost(value) -> Decimal:
    try:
        cost = to_rate(value)
    except (TypeError, ArithmeticError, ValueError):
        raise ApplicationError(_("The unit cost must be a number."), field="unit_cost") from None
    if cost < 0:
        raise ApplicationError(_("The unit cost cannot be negative."), field="unit_cost")
    return cost


def lock_levels(pairs: list[tuple[int, int]]) -> dict[tuple[int, int], StockLevel]:
    """The balance rows of (part id, warehouse id), created if missing, then locked in
    primary-key order. A row must exist before it is locked, or two first receipts would race."""
    for part_id, warehouse_id in sorted(set(pairs)):
        if not StockLevel.objects.filter(part_id=part_id, warehouse_id=warehouse_id).exists():
            try:
                with transaction.atomic():
                    StockLevel.objects.create(part_id=part_id, warehouse_id=warehouse_id)
            except IntegrityError:
                pass  # created by a concurrent caller
    # Exactly these rows: a cross product of parts and warehouses would lock others' stock too.
    exact = Q(pk__in=[])
    for part_id, warehouse_id in set(pairs):
        exact |= Q(part_id=part_id, warehouse_id=warehouse_id)
    levels = StockLevel.objects.select_for_update().filter(exact).order_by("pk")
    return {(level.part_id, level.warehouse_id): level for level in levels}


def _post(
    *,
    level: StockLevel,
    kind: str,
    quantity: Decimal,
    unit_cost: Decimal,
    actor: User | None,
    reference: Reference,
    taken_by: str = "",
    note: str = "",
    reversal_of=None,
) -> StockMovement:
    """Apply a signed quantity to a locked balance and write the movement that explains it."""
    old_value = level.value
    new_on_hand = level.on_hand + quantity
    if new_on_hand < 0:
        raise ApplicationError(
            _("Only %(on_hand)s of %(part)s in %(warehouse)s; %(wanted)s cannot go out.")
            % {
                "on_hand": plain(level.on_hand),
                "part": level.part,
                "warehouse": level.warehouse,
                "wanted": plain(-quantity),
            },
            field="quantity",
            code="insufficient_stock",
        )
    if quantity > 0 and new_on_hand > 0:
        level.average_cost = to_rate((old_value + quantity * unit_cost) / new_on_hand)
    level.on_hand = new_on_hand
    level.value = to_money(new_on_hand * level.average_cost) if new_on_hand else ZERO
    level.last_movement_at = timezone.now()
    level.save(update_fields=["on_hand", "average_cost", "value", "last_movement_at"])
    return StockMovement.objects.create(
        store_id=level.warehouse.store_id,
        warehouse_id=level.warehouse_id,
        part_id=level.part_id,
        kind=kind,
        quantity=quantity,
        unit_cost=unit_cost if quantity > 0 else level.average_cost,
        value=level.value - old_value,
        on_hand_after=level.on_hand,
        value_after=level.value,
        reference_type=reference.type,
        reference_id=reference.id,
        reference_no=reference.no,
        taken_by=taken_by[:60],
        reversal_of=reversal_of,
        created_by=actor if actor and actor.pk else None,
        note=note[:200],
    )


def _check_lines(warehouse: Warehouse, lines) -> None:
    if not lines:
        raise ApplicationError(_("Add at least one line."), field="lines")
    if not warehouse.is_active:
        raise ApplicationError(
            _("The warehouse %(name)s is closed.") % {"name": warehouse.name}, field="warehouse"
        )


@transaction.atomic
def stock_receive(
    *,
    actor: User | None,
    warehouse: Warehouse,
    lines: list[tuple[Part, object, object]],
    kind: str = Kind.PURCHASE_RECEIPT,
    reference: Reference = NO_REFERENCE,
    taken_by: str = "",
    note: str = "",
) -> list[StockMovement]:
    """Parts in at a unit cost: purchase receipt, opening balance, return from a job."""
    if kind not in StockMovement.IN_KINDS:
        raise ApplicationError(_("%(kind)s does not bring stock in.") % {"kind": kind})
    _check_lines(warehouse, lines)
    checked = [(part, clean_quantity(qty), clean_unit_cost(cost)) for part, qty, cost in lines]
    levels = lock_levels([(part.pk, warehouse.pk) for part, _q, _c in checked])
    return [
        _post(
            level=_with(levels[(part.pk, warehouse.pk)], part, warehouse),
            kind=kind,
            quantity=qty,
            unit_cost=cost,
            actor=actor,
            reference=reference,
            taken_by=taken_by,
            note=note,
        )
        for part, qty, cost in checked
    ]


def _with(level: StockLevel, part: Part, warehouse: Warehouse) -> StockLevel:
    level.part, level.warehouse = part, warehouse  # for messages, without another query
    return level


@transaction.atomic
def stock_issue(
    *,
    actor: User | None,
    warehouse: Warehouse,
    lines: list[tuple[Part, object]],
    kind: str = Kind.ISSUE,
    reference: Reference = NO_REFERENCE,
    taken_by: str = "",
    reservation: Reservation | None = None,
    note: str = "",
) -> list[StockMovement]:
    """Parts out at the average cost: issue to a job, counter sale, return to supplier, scrap.
    Only what is available may go out, unless it was reserved for this very document."""
    if kind in StockMovement.IN_KINDS:
        raise ApplicationError(_("%(kind)s does not take stock out.") % {"kind": kind})
    _check_lines(warehouse, lines)
    checked = [(part, clean_quantity(qty)) for part, qty in lines]
    levels = lock_levels([(part.pk, warehouse.pk) for part, _q in checked])
    wanted: dict[int, Decimal] = {}
    for part, qty in checked:
        wanted[part.pk] = wanted.get(part.pk, ZERO) + qty
    held = {}
    if reservation is not None:
        reservation = Reservation.objects.select_for_update().get(pk=reservation.pk)
        if reservation.status != Reservation.Status.OPEN or reservation.warehouse_id != warehouse.pk:
            raise ApplicationError(_("That reservation is no longer open."), field="reservation")
        held[reservation.part_id] = min(reservation.outstanding, wanted.get(reservation.part_id, ZERO))
    for part, _qty in checked:
        level = _with(levels[(part.pk, warehouse.pk)], part, warehouse)
        free = level.available + held.get(part.pk, ZERO)
        if wanted[part.pk] > free:
            raise ApplicationError(
                _(
                    "Only %(free)s of %(part)s available in %(warehouse)s (%(reserved)s reserved); "
                    "%(wanted)s asked for."
                )
                % {
                    "free": plain(max(free, ZERO)),
                    "part": part,
                    "warehouse": warehouse.name,
                    "reserved": plain(level.reserved),
                    "wanted": plain(wanted[part.pk]),
                },
                field="quantity",
                code="insufficient_stock",
            )
    movements = [
        _post(
            level=levels[(part.pk, warehouse.pk)],
            kind=kind,
            quantity=-qty,
            unit_cost=ZERO,
            actor=actor,
            reference=reference,
            taken_by=taken_by,
            note=note,
        )
        for part, qty in checked
    ]
    if reservation is not None and held.get(reservation.part_id):
        _consume_reservation(
            reservation, levels[(reservation.part_id, warehouse.pk)], held[reservation.part_id]
        )
    return movements


def _consume_reservation(reservation: Reservation, level: StockLevel, quantity: Decimal) -> None:
    reservation.issued += quantity
    if reservation.issued >= reservation.quantity:
        reservation.status = Reservation.Status.ISSUED
    reservation.save(update_fields=["issued", "status", "updated_at"])
    level.reserved = max(ZERO, level.reserved - quantity)
    level.save(update_fields=["reserved"])


@transaction.atomic
def stock_return(
    *,
    actor: User | None,
    warehouse: Warehouse,
    part: Part,
    quantity,
    reference: Reference,
    unit_cost=None,
    taken_by: str = "",
    note: str = "",
    kind: str = Kind.RETURN,
) -> StockMovement:
    """A part back from a job (退料), at the cost it went out at when that is known. With a
    reference (the job by id, or a slip by number) no more may come back than went out to it."""
    if reference.id is not None:
        document = {"reference_type": reference.type, "reference_id": reference.id}
    elif reference.no:
        document = {"reference_type": reference.type, "reference_no": reference.no}
    else:
        document = None
    if document is not None:
        ledger = StockMovement.objects.filter(part=part, warehouse=warehouse, **document)
        issued = ledger.filter(kind__in=OUT_TO_JOB)
        out = -sum((m.quantity for m in issued), ZERO)
        back = sum((m.quantity for m in ledger.filter(kind__in=BACK_FROM_JOB)), ZERO)
        if clean_quantity(quantity) > out - back:
            raise ApplicationError(
                _("Only %(n)s of %(part)s were issued to this job and not yet returned.")
                % {"n": plain(out - back), "part": part},
                field="quantity",
            )
        last = issued.filter(quantity__lt=0).order_by("-id").first()
        unit_cost = unit_cost if unit_cost is not None else (last.unit_cost if last else None)
    level_cost = unit_cost if unit_cost is not None else part.cost_price
    (movement,) = stock_receive(
        actor=actor,
        warehouse=warehouse,
        lines=[(part, quantity, level_cost)],
        kind=kind,
        reference=reference,
        taken_by=taken_by,
        note=note,
    )
    return movement


@transaction.atomic
def stock_transfer(
    *,
    actor: User | None,
    source: Warehouse,
    target: Warehouse,
    lines: list[tuple[Part, object]],
    reference: Reference = NO_REFERENCE,
    note: str = "",
) -> list[StockMovement]:
    """Out of one warehouse and into another at the cost it had, both or neither."""
    if source.pk == target.pk:
        raise ApplicationError(_("Choose two different warehouses."), field="target")
    checked = [(part, clean_quantity(qty)) for part, qty in lines]
    lock_levels([(part.pk, w.pk) for part, _q in checked for w in (source, target)])
    out = stock_issue(
        actor=actor, warehouse=source, lines=checked, kind=Kind.TRANSFER_OUT, reference=reference, note=note
    )
    into = stock_receive(
        actor=actor,
        warehouse=target,
        lines=[(part, qty, movement.unit_cost) for (part, qty), movement in zip(checked, out, strict=True)],
        kind=Kind.TRANSFER_IN,
        reference=reference,
        note=note,
    )
    return out + into


@transaction.atomic
def stock_count(
    *, actor: User | None, warehouse: Warehouse, part: Part, counted, reference: Reference, note: str = ""
) -> StockMovement | None:
    """Set the book to a count taken just now: the difference is posted as a gain or a loss."""
    counted = to_quantity(counted)
    if counted < 0:
        raise ApplicationError(_("A count cannot be negative."), field="counted")
    level = lock_levels([(part.pk, warehouse.pk)])[(part.pk, warehouse.pk)]
    return _adjust(level, part, warehouse, counted - level.on_hand, actor, reference, note)


@transaction.atomic
def stock_adjust(
    *,
    actor: User | None,
    warehouse: Warehouse,
    part: Part,
    difference,
    reference: Reference,
    note: str = "",
) -> StockMovement | None:
    """Post a stocktake difference found earlier: a gain in, a loss out, at the average cost.
    Movements since the count stay untouched, so a count taken while parts were being issued
    is still right. A loss larger than what is on hand now is refused (never negative)."""
    difference = to_quantity(difference)
    level = lock_levels([(part.pk, warehouse.pk)])[(part.pk, warehouse.pk)]
    return _adjust(level, part, warehouse, difference, actor, reference, note)


def _adjust(level, part, warehouse, difference, actor, reference, note) -> StockMovement | None:
    if not difference:
        return None
    kind = Kind.STOCKTAKE_GAIN if difference > 0 else Kind.STOCKTAKE_LOSS
    cost = level.average_cost if level.average_cost else to_rate(part.cost_price)
    return _post(
        level=_with(level, part, warehouse),
        kind=kind,
        quantity=difference,
        unit_cost=cost,
        actor=actor,
        reference=reference,
        note=note,
    )


@transaction.atomic
def stock_exchange(
    *,
    actor: User | None,
    warehouse: Warehouse,
    back: tuple[Part, object],
    out: tuple[Part, object],
    reference: Reference,
    taken_by: str = "",
    note: str = "",
) -> list[StockMovement]:
    """换料: a part issued to a job comes back (wrong size, wrong side) and another goes out in
    its place, both or neither. The part back returns at the cost it went out at."""
    back_part, back_qty = back
    out_part, out_qty = out
    if back_part.pk == out_part.pk:
        raise ApplicationError(
            _("An exchange swaps one part for another; use a return instead."), field="out"
        )
    lock_levels([(back_part.pk, warehouse.pk), (out_part.pk, warehouse.pk)])
    returned = stock_return(
        actor=actor,
        warehouse=warehouse,
        part=back_part,
        quantity=back_qty,
        reference=reference,
        taken_by=taken_by,
        note=note,
        kind=Kind.EXCHANGE_IN,
    )
    issued = stock_issue(
        actor=actor,
        warehouse=warehouse,
        lines=[(out_part, out_qty)],
        kind=Kind.EXCHANGE_OUT,
        reference=reference,
        taken_by=taken_by,
        note=note,
    )
    return [returned, *issued]


@transaction.atomic
def movement_reverse(*, actor: User | None, movement: StockMovement, reason: str) -> StockMovement:
    """Undo a posted movement with one of the opposite sign; both stay in the ledger."""
    if not reason.strip():
        raise ApplicationError(_("Say why the movement is reversed."), field="reason")
    if movement.reversal_of_id or movement.reversals.exists():
        raise ApplicationError(_("This movement has already been reversed, or is itself a reversal."))
    level = lock_levels([(movement.part_id, movement.warehouse_id)])[
        (movement.part_id, movement.warehouse_id)
    ]
    level.part, level.warehouse = movement.part, movement.warehouse
    # Reversing a receipt whose parts have gone out since is refused by _post (never negative).
    return _post(
        level=level,
        kind=movement.kind,
        quantity=-movement.quantity,
        unit_cost=movement.unit_cost,
        actor=actor,
        reference=Reference(movement.reference_type, movement.reference_id, movement.reference_no),
        note=reason,
        reversal_of=movement,
    )


@transaction.atomic
def reservation_create(
    *, actor: User | None, warehouse: Warehouse, part: Part, quantity, reference: Reference
) -> Reservation:
    quantity = clean_quantity(quantity)
    level = lock_levels([(part.pk, warehouse.pk)])[(part.pk, warehouse.pk)]
    if quantity > level.available:
        raise ApplicationError(
            _("Only %(free)s of %(part)s can be reserved in %(warehouse)s.")
            % {"free": plain(max(level.available, ZERO)), "part": part, "warehouse": warehouse.name},
            field="quantity",
            code="insufficient_stock",
        )
    level.reserved += quantity
    level.save(update_fields=["reserved"])
    return Reservation.objects.create(
        store_id=warehouse.store_id,
        warehouse=warehouse,
        part=part,
        quantity=quantity,
        reference_type=reference.type,
        reference_id=reference.id,
        reference_no=reference.no,
        created_by=actor if actor and actor.pk else None,
    )


@transaction.atomic
def reservation_release(*, actor: User | None, reservation: Reservation) -> Reservation:
    reservation = Reservation.objects.select_for_update().get(pk=reservation.pk)
    if reservation.status != Reservation.Status.OPEN:
        return reservation
    level = lock_levels([(reservation.part_id, reservation.warehouse_id)])[
        (reservation.part_id, reservation.warehouse_id)
    ]
    level.reserved = max(ZERO, level.reserved - reservation.outstanding)
    level.save(update_fields=["reserved"])
    reservation.status = Reservation.Status.RELEASED
    reservation.save(update_fields=["status", "updated_at"])
    return reservation
