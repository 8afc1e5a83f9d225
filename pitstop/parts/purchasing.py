"""Purchase orders (F-5.2): draft → ordered → partly received → received → closed, or
cancelled. Receiving against an order puts the parts into stock through the ledger."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from pitstop.accounts.models import Store, User
from pitstop.core.exceptions import ApplicationError
from pitstop.core.money import plain
from pitstop.core.numbering import next_code

from . import services
from .models import (
    ZERO,
    Part,
    PurchaseOrder,
    PurchaseOrderEvent,
    PurchaseOrderLine,
    StockMovement,
    Supplier,
    Warehouse,
)

Status = PurchaseOrder.Status


def _event(
    order: PurchaseOrder, actor: User | None, from_status: str, to_status: str, note: str = ""
) -> None:
    PurchaseOrderEvent.objects.create(
        order=order,
        actor=actor if actor and actor.pk else None,
        from_status=from_status,
        to_status=to_status,
        note=note[:200],
    )


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
    if not lines:
        raise ApplicationError(_("Add at least one line."), field="lines")
    checked = [
        (part, services.clean_quantity(qty), services.clean_unit_cost(cost)) for part, qty, cost in lines
    ]
    if len({part.pk for part, _q, _c in checked}) != len(checked):
        raise ApplicationError(_("Each part once per order; add the quantities up."), field="lines")
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
    _event(order, actor, "", Status.DRAFT)
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
    _event(order, actor, previous, to, note)
    return order


@transaction.atomic
def purchase_order_receive(
    *, actor: User | None, order: PurchaseOrder, lines: list[tuple[Part, object, object]], reason: str = ""
) -> list[StockMovement]:
    """Parts delivered against the order, at the delivery's cost (the order's when not given).
    More than ordered only with a reason; a part not on the order is refused."""
    order = PurchaseOrder.objects.select_for_update().select_related("warehouse", "store").get(pk=order.pk)
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
    movements = services.stock_receive(
        actor=actor,
        warehouse=order.warehouse,
        lines=receipts,
        reference=services.Reference("purchase_order", order.pk, order.number),
        note=reason,
    )
    PurchaseOrderLine.objects.bulk_update(order_lines.values(), ["received"])
    previous = order.status
    done = all(line.received >= line.quantity for line in order_lines.values())
    order.status = Status.RECEIVED if done else Status.PARTLY_RECEIVED
    order.save(update_fields=["status", "updated_at"])
    _event(order, actor, previous, order.status, reason)
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
