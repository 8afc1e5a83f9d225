"""Purchase orders (F-5.2): draft → ordered → partly received → received → closed, or
cancelled. Receiving against an order puts the parts into stock through the ledger; each
delivery gets its own receiving note number (RK…), carried by its movements as
Reference("purchase_order", order id, RK number). Returns to the supplier (退货, TH…) take
parts out at the average cost."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from pitstop.accounts.models import Store, User
from pitstop.core.events import record_event
from pitstop.core.exceptions import ApplicationError
from pitstop.core.money import plain, to_money
from pitstop.core.numbering import next_code
from pitstop.core.scoping import scoped

from . import services
from .models import (
    ZERO,
    Part,
    PurchaseOrder,
    PurchaseOrderLine,
    StockMovement,
    Supplier,
    SupplierReturn,
    SupplierReturnLine,
    Warehouse,
)

Status = PurchaseOrder.Status
# Movements of a delivery against an order carry this type, the order's id and the delivery's
# receiving note number.
RECEIPT_TYPE = "purchase_order"
RETURN_TYPE = "supplier_return"
VIEW_ORDER = "parts.view_purchaseorder"
VIEW_RETURN = "parts.view_supplierreturn"


@transaction.atomic
def purchase_order_create(
    *,
    actor: User | None,
    store: Store,
    supplier: Supplier,
    warehouse: Warehouse,
    lines: list[tuple[Part, object, object]],
    expected_on: datetime.date | None = None,
    note: str = "",
) -> PurchaseOrder:
    if warehouse.store_id != store.pk:
        raise ApplicationError(_("The warehouse belongs to another store."), field="warehouse")
    checked = _clean_order_lines(lines)
    order = PurchaseOrder.objects.create(
        store=store,
        number=next_code("CG", store.code),
        supplier=supplier,
        warehouse=warehouse,
        expected_on=expected_on,
        note=note[:200],
        created_by=actor if actor and actor.pk else None,
    )
    PurchaseOrderLine.objects.bulk_create(
        [
            PurchaseOrderLine(order=order, part=part, quantity=qty, unit_cost=cost)
            for part, qty, cost in checked
        ]
    )
    record_event(order, actor, "", Status.DRAFT)
    return order


def _clean_order_lines(lines) -> list[tuple[Part, Decimal, Decimal]]:
    """(part, quantity, unit cost) checked; no cost given means the part's cost price."""
    if not lines:
        raise ApplicationError(_("Add at least one line."), field="lines")
    checked = [
        (
            part,
            services.clean_quantity(qty),
            services.clean_unit_cost(part.cost_price if cost is None else cost),
        )
        for part, qty, cost in lines
    ]
    if len({part.pk for part, _q, _c in checked}) != len(checked):
        raise ApplicationError(_("Each part once per order; add the quantities up."), field="lines")
    return checked


@transaction.atomic
def purchase_order_update(
    *,
    actor: User | None,
    order: PurchaseOrder,
    supplier: Supplier,
    warehouse: Warehouse,
    lines: list[tuple[Part, object, object]],
    expected_on: datetime.date | None = None,
    note: str = "",
) -> PurchaseOrder:
    """Change a draft: its header and all its lines. Once ordered, an order is not edited."""
    order = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
    if order.status != Status.DRAFT:
        raise ApplicationError(
            _("Only a draft can be changed; this order is %(status)s.")
            % {"status": Status(order.status).label},
            field="status",
            code="transition",
        )
    if warehouse.store_id != order.store_id:
        raise ApplicationError(_("The warehouse belongs to another store."), field="warehouse")
    checked = _clean_order_lines(lines)
    order.supplier, order.warehouse, order.expected_on, order.note = (
        supplier,
        warehouse,
        expected_on,
        note[:200],
    )
    order.save(update_fields=["supplier", "warehouse", "expected_on", "note", "updated_at"])
    order.lines.all().delete()  # a draft's lines are not posted anywhere yet
    PurchaseOrderLine.objects.bulk_create(
        [
            PurchaseOrderLine(order=order, part=part, quantity=qty, unit_cost=cost)
            for part, qty, cost in checked
        ]
    )
    record_event(order, actor, Status.DRAFT, Status.DRAFT, _("Lines changed"))
    return order


@transaction.atomic
def purchase_order_transition(
    *, actor: User | None, order: PurchaseOrder, to: str, note: str = ""
) -> PurchaseOrder:
    order = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
    if to not in PurchaseOrder.ALLOWED.get(order.status, set()):
        raise ApplicationError(
            _("An order that is %(from)s cannot become %(to)s.")
            % {"from": Status(order.status).label, "to": Status(to).label if to in Status.values else to},
            field="status",
            code="transition",
        )
    previous = order.status
    order.status = to
    order.save(update_fields=["status", "updated_at"])
    record_event(order, actor, previous, to, note)
    return order


@transaction.atomic
def purchase_order_receive(
    *, actor: User | None, order: PurchaseOrder, lines: list[tuple[Part, object, object]], reason: str = ""
) -> list[StockMovement]:
    """Parts delivered against the order, at the delivery's cost (the order's when not given).
    More than ordered only with a reason; a part not on the order is refused. The delivery gets
    its own receiving note number (RK…), which its movements carry as reference_no."""
    order = (
        PurchaseOrder.objects.select_for_update(of=("self",))
        .select_related("warehouse", "store")
        .get(pk=order.pk)
    )
    if order.status not in (Status.ORDERED, Status.PARTLY_RECEIVED):
        raise ApplicationError(
            _("An order that is %(status)s cannot be received.") % {"status": Status(order.status).label},
            field="status",
            code="transition",
        )
    if not lines:
        raise ApplicationError(_("Add at least one line."), field="lines")
    order_lines = {line.part_id: line for line in order.lines.select_for_update()}
    receipts = []
    for part, qty, cost in lines:
        line = order_lines.get(part.pk)
        if line is None:
            raise ApplicationError(
                _("%(part)s is not on order %(number)s.") % {"part": part, "number": order.number},
                field="lines",
            )
        quantity = services.clean_quantity(qty)
        if line.received + quantity > line.quantity and not reason.strip():
            raise ApplicationError(
                _(
                    "%(part)s: %(ordered)s ordered, %(received)s received before, %(now)s now. "
                    "Give a reason to receive more than ordered."
                )
                % {
                    "part": part,
                    "ordered": plain(line.quantity),
                    "received": plain(line.received),
                    "now": plain(quantity),
                },
                field="lines",
                code="over_receipt",
            )
        line.received += quantity
        receipts.append((part, quantity, line.unit_cost if cost is None else cost))
    number = next_code("RK", order.store.code)
    movements = services.stock_receive(
        actor=actor,
        warehouse=order.warehouse,
        lines=receipts,
        reference=services.Reference(RECEIPT_TYPE, order.pk, number),
        note=reason,
    )
    PurchaseOrderLine.objects.bulk_update(order_lines.values(), ["received"])
    previous = order.status
    done = all(line.received >= line.quantity for line in order_lines.values())
    order.status = Status.RECEIVED if done else Status.PARTLY_RECEIVED
    order.save(update_fields=["status", "updated_at"])
    record_event(order, actor, previous, order.status, f"{number} {reason.strip()}".strip())
    return movements


def outstanding_by_part(store_ids, part_ids) -> dict[tuple[int, int], Decimal]:
    """{(part id, warehouse id): quantity still to come} from open orders, for purchase suggestions.
    Drafts count too: a suggestion already turned into a draft is not suggested again."""
    lines = PurchaseOrderLine.objects.filter(
        order__store_id__in=store_ids,
        order__status__in=[Status.DRAFT, Status.ORDERED, Status.PARTLY_RECEIVED],
        part_id__in=part_ids,
    ).select_related("order")
    result: dict[tuple[int, int], Decimal] = {}
    for line in lines:
        key = (line.part_id, line.order.warehouse_id)
        result[key] = result.get(key, ZERO) + line.outstanding
    return result


# --- returns to the supplier (退货) -------------------------------------------------------------


@transaction.atomic
def supplier_return_create(
    *,
    actor: User | None,
    store: Store,
    supplier: Supplier,
    warehouse: Warehouse,
    lines: list[tuple[Part, object]],
    reason: str,
    order: PurchaseOrder | None = None,
) -> SupplierReturn:
    """Parts sent back to the supplier: out of stock at the average cost, all lines or none.
    Against an order, only parts of that order and no more than was received on it."""
    if warehouse.store_id != store.pk:
        raise ApplicationError(_("The warehouse belongs to another store."), field="warehouse")
    if not reason.strip():
        raise ApplicationError(_("Say why the parts go back."), field="reason")
    if not lines:
        raise ApplicationError(_("Add at least one line."), field="lines")
    merged: dict[int, tuple[Part, Decimal]] = {}
    for part, qty in lines:  # a part scanned twice is one line
        quantity = services.clean_quantity(qty)
        merged[part.pk] = (part, merged[part.pk][1] + quantity if part.pk in merged else quantity)
    if order is not None:
        _check_against_order(order, store, supplier, merged.values())
    ret = SupplierReturn.objects.create(
        store=store,
        number=next_code("TH", store.code),
        supplier=supplier,
        warehouse=warehouse,
        order=order,
        reason=reason.strip()[:200],
        created_by=actor if actor and actor.pk else None,
    )
    movements = services.stock_issue(
        actor=actor,
        warehouse=warehouse,
        lines=list(merged.values()),
        kind=StockMovement.Kind.SUPPLIER_RETURN,
        reference=services.Reference(RETURN_TYPE, ret.pk, ret.number),
        note=f"{supplier.name}: {ret.reason}",
    )
    SupplierReturnLine.objects.bulk_create(
        [
            SupplierReturnLine(
                supplier_return=ret,
                part_id=movement.part_id,
                quantity=-movement.quantity,
                unit_cost=movement.unit_cost,
                amount=to_money(-movement.quantity * movement.unit_cost),
            )
            for movement in movements
        ]
    )
    return ret


def _check_against_order(order: PurchaseOrder, store: Store, supplier: Supplier, lines) -> None:
    order = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
    if order.store_id != store.pk or order.supplier_id != supplier.pk:
        raise ApplicationError(
            _("Order %(number)s is not an order of this store from this supplier.")
            % {"number": order.number},
            field="order",
        )
    received = {line.part_id: line.received for line in order.lines.all()}
    returned: dict[int, Decimal] = {}
    for part_id, qty in SupplierReturnLine.objects.filter(supplier_return__order=order).values_list(
        "part_id", "quantity"
    ):
        returned[part_id] = returned.get(part_id, ZERO) + qty
    for part, quantity in lines:
        left = received.get(part.pk, ZERO) - returned.get(part.pk, ZERO)
        if part.pk not in received:
            raise ApplicationError(
                _("%(part)s is not on order %(number)s.") % {"part": part, "number": order.number},
                field="lines",
            )
        if quantity > left:
            raise ApplicationError(
                _("%(part)s: only %(left)s received on order %(number)s and not yet returned.")
                % {"part": part, "left": plain(max(left, ZERO)), "number": order.number},
                field="lines",
            )


# --- reads ----------------------------------------------------------------------------------------


def orders_for(user, store: Store | None = None):
    """Purchase orders the user may see, of the current store when one is chosen."""
    return scoped(PurchaseOrder.objects.all(), user, VIEW_ORDER, store=store).select_related(
        "supplier", "warehouse", "store"
    )


def returns_for(user, store: Store | None = None):
    return scoped(SupplierReturn.objects.all(), user, VIEW_RETURN, store=store).select_related(
        "supplier", "warehouse", "store", "order"
    )


def order_total(lines) -> Decimal:
    """Each line rounded to the cent, then summed."""
    return sum((to_money(line.quantity * line.unit_cost) for line in lines), ZERO)


@dataclass(frozen=True)
class Delivery:
    number: str
    at: datetime.datetime
    lines: int
    amount: Decimal
    by: object


def deliveries(order: PurchaseOrder) -> list[Delivery]:
    """Each receiving note against the order, oldest first, from the ledger."""
    grouped: dict[str, list[StockMovement]] = {}
    for movement in (
        StockMovement.objects.filter(reference_type=RECEIPT_TYPE, reference_id=order.pk)
        .select_related("created_by")
        .order_by("id")
    ):
        grouped.setdefault(movement.reference_no, []).append(movement)
    return [
        Delivery(
            number=number,
            at=moves[0].at,
            lines=len(moves),
            amount=sum((to_money(m.quantity * m.unit_cost) for m in moves), ZERO),
            by=moves[0].created_by,
        )
        for number, moves in grouped.items()
    ]
