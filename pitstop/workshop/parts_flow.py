"""Parts for a job (F-4.2, F-4.3): the technician asks the warehouse (领料申请), the keeper issues
the part against the work order or refuses with a reason, and marks parts that were not in stock
ordered (with the expected date) and arrived, so the board and the job say where every part is:
in stock and reserved, to order, ordered (expected date), arrived, issued.

Decisions:
- A request for a part that is on the order (an approved, shop-supplied line) is tied to that
  line and may ask for at most what is still to be issued on it (less what is already asked
  for). More than the order holds is refused: it is add-on work for the owner (a finding).
- A part still waiting for the owner (a pending or declined add-on) cannot be asked for.
- A part that is not on the order at all (cable ties, a clip, a gasket the approved work needs)
  may be asked for as shop supplies (辅料): the keeper sees "not on the order" and decides; it is
  issued against the work order in the stock ledger (its cost goes to the job) but no line is
  added, so the owner is not billed for what they never approved. (The estimate service adds
  approved lines only to a draft; after that every chargeable extra is add-on work the owner
  decides on: the technician reports it as a finding, and once approved asks for it against
  its line like any other part.)
- The issue uses the line's reservation when the keeper issues from the reservation's
  warehouse (no warehouse chosen means that one); from another warehouse it is a plain issue.
- Issuing more than is available is refused with the stock service's own message; the whole
  issue is one transaction, so nothing changes."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from pitstop.accounts.models import Store, User
from pitstop.core.exceptions import ApplicationError
from pitstop.core.money import plain
from pitstop.core.scoping import has_perm_in_store, scoped
from pitstop.parts.models import Part, Reservation, StockLevel, Warehouse
from pitstop.parts.selectors import parts_matching
from pitstop.parts.services import Reference, clean_quantity, stock_issue
from pitstop.service.models import ZERO, Approval, OrderPart, RepairOrder
from pitstop.service.orders import WORK

from .models import PartsRequest

Status = RepairOrder.Status
Supply = OrderPart.Supply
ISSUE = "workshop.change_partsrequest"
VIEW_REQUESTS = "workshop.view_partsrequest"
# Parts may be asked for and issued while the car is in the workshop being worked on.
REQUESTABLE = (Status.DISPATCHED, Status.IN_PROGRESS, Status.WAITING_PARTS, Status.WAITING_APPROVAL)
# Where a part is that lets the job go on (a job waiting for parts may resume).
AT_HAND = (Supply.RESERVED, Supply.ARRIVED, Supply.ISSUED, Supply.CUSTOMER)
# Which supply a keeper may set, from which.
SUPPLY_MOVES = {
    Supply.ORDERED: {Supply.TO_ORDER, Supply.ORDERED},
    Supply.ARRIVED: {Supply.TO_ORDER, Supply.ORDERED},
    Supply.TO_ORDER: {Supply.ORDERED},
}
REFERENCE_TYPE = "repair_order"


def order_reference(order: RepairOrder) -> Reference:
    return Reference(REFERENCE_TYPE, order.pk, order.number)


# ---------------------------------------------------------------- selectors


@dataclass
class Availability:
    warehouse: Warehouse
    available: Decimal
    bin: str


def stock_by_part(store: Store, part_ids) -> dict[int, list[Availability]]:
    """{part id: [(warehouse, available, bin)]} in the store's active warehouses. One query."""
    found: dict[int, list[Availability]] = {}
    levels = (
        StockLevel.objects.filter(
            warehouse__store=store, warehouse__is_active=True, part_id__in=sorted(set(part_ids))
        )
        .select_related("warehouse")
        .order_by("warehouse__code")
    )
    for level in levels:
        found.setdefault(level.part_id, []).append(
            Availability(level.warehouse, level.available, level.bin or "")
        )
    return found


def available_in_store(store: Store, part_ids) -> dict[int, Decimal]:
    return {
        part_id: sum((a.available for a in rows), ZERO)
        for part_id, rows in stock_by_part(store, part_ids).items()
    }


def parts_search(*, store: Store, query: str, limit: int = 20) -> list[tuple[Part, Decimal]]:
    """Parts matching a code, barcode, name or pinyin initials, with what is available in the
    store. Two queries."""
    if not (query or "").strip():
        return []
    parts = list(parts_matching(query).order_by("code")[:limit])
    stock = available_in_store(store, [p.pk for p in parts])
    return [(part, stock.get(part.pk, ZERO)) for part in parts]


def open_requests(*, user, store: Store) -> list[PartsRequest]:
    """The store's requests waiting for the warehouse, oldest first, each with `stock` (where
    the part is available) and `suggested` (the warehouse to issue from). Three queries."""
    requests = list(
        scoped(PartsRequest.objects.all(), user, VIEW_REQUESTS, store_field="order__store_id", store=store)
        .filter(status=PartsRequest.Status.OPEN)
        .select_related("order", "order__vehicle", "part", "requested_by", "line", "line__reservation")
        .order_by("created_at", "id")
    )
    stock = stock_by_part(store, [r.part_id for r in requests])
    for request in requests:
        request.stock = stock.get(request.part_id, [])
        request.suggested = _suggested_warehouse(request.line, request.stock)
        request.enough = any(a.available >= request.quantity for a in request.stock) or _reserved_for(request)
    return requests


def _reserved_for(request: PartsRequest) -> bool:
    reservation = request.line.reservation if request.line_id and request.line else None
    return bool(
        reservation
        and reservation.status == Reservation.Status.OPEN
        and reservation.outstanding >= request.quantity
    )


def _suggested_warehouse(line: OrderPart | None, stock: list[Availability]) -> int | None:
    reservation = line.reservation if line is not None else None
    if reservation is not None and reservation.status == Reservation.Status.OPEN:
        return reservation.warehouse_id
    best = max(stock, key=lambda a: a.available, default=None)
    return best.warehouse.pk if best is not None else None


def lines_to_supply(*, user, store: Store) -> QuerySet[OrderPart]:
    """Approved parts of the store's jobs that were not in stock: to order, ordered (expected
    date first) and arrived but not issued yet."""
    orders = scoped(RepairOrder.objects.all(), user, VIEW_REQUESTS, store=store).filter(
        status__in=RepairOrder.OPEN
    )
    return (
        OrderPart.objects.filter(
            order__in=orders,
            approval=Approval.APPROVED,
            customer_supplied=False,
            supply__in=(Supply.TO_ORDER, Supply.ORDERED, Supply.ARRIVED),
        )
        .select_related("order", "order__vehicle", "part")
        .order_by("expected_on", "order_id", "id")
    )


def job_part_lines(order: RepairOrder) -> list[OrderPart]:
    """The order's part lines (approved first), each with `requested` (open requests) and
    `outstanding` (still to issue). Two queries."""
    lines = list(OrderPart.objects.filter(order=order).select_related("part", "reservation__warehouse"))
    asked: dict[int, Decimal] = {}
    for request in PartsRequest.objects.filter(
        order=order, status=PartsRequest.Status.OPEN, line__isnull=False
    ):
        asked[request.line_id] = asked.get(request.line_id, ZERO) + request.quantity
    for line in lines:
        line.requested = asked.get(line.pk, ZERO)
        line.outstanding = max(line.quantity - line.issued, ZERO)
        line.may_request = (
            line.approval == Approval.APPROVED
            and not line.customer_supplied
            and line.part_id is not None
            and line.outstanding - line.requested > 0
        )
    lines.sort(key=lambda line: (line.approval != Approval.APPROVED, line.position, line.pk))
    return lines


def parts_ready(lines: list[OrderPart]) -> bool:
    """Every approved part of the job is at hand (reserved, arrived, issued or the customer's)."""
    approved = [line for line in lines if line.approval == Approval.APPROVED]
    return bool(approved) and all(line.customer_supplied or line.supply in AT_HAND for line in approved)


# ---------------------------------------------------------------- services


def _asked_on(line: OrderPart) -> Decimal:
    return sum(
        PartsRequest.objects.filter(line=line, status=PartsRequest.Status.OPEN).values_list(
            "quantity", flat=True
        ),
        ZERO,
    )


@transaction.atomic
def parts_request_create(
    *, actor: User, order: RepairOrder, part: Part, quantity, line: OrderPart | None = None, note: str = ""
) -> PartsRequest:
    """The technician asks the warehouse for a part for the job (see the module's decisions)."""
    if not has_perm_in_store(actor, WORK, order.store_id):
        raise ApplicationError(_("Only the workshop's technicians can ask for parts."), code="permission")
    quantity = clean_quantity(quantity)
    if part is None or not part.is_active:
        raise ApplicationError(_("Pick a part from the catalogue."), field="part", code="part")
    order = RepairOrder.objects.select_for_update(of=("self",)).get(pk=order.pk)
    if order.status not in REQUESTABLE:
        raise ApplicationError(
            _(
                "Parts can be asked for only while the job is in the workshop "
                "(work order %(number)s is %(status)s)."
            )
            % {"number": order.number, "status": Status(order.status).label},
            field="status",
            code="state",
        )
    same_part = OrderPart.objects.filter(order=order, part=part)
    if line is not None:
        line = same_part.filter(pk=line.pk).first()
        if line is None:
            raise ApplicationError(_("That part line is not on this work order."), field="line", code="line")
    else:
        line = same_part.filter(approval=Approval.APPROVED, customer_supplied=False).order_by("id").first()
        if line is None and same_part.exists():
            raise ApplicationError(
                _("%(part)s waits for the owner's decision: it cannot be asked for yet.") % {"part": part},
                field="part",
                code="not_approved",
            )
    if line is not None:
        if line.approval != Approval.APPROVED:
            raise ApplicationError(
                _("%(part)s waits for the owner's decision: it cannot be asked for yet.") % {"part": part},
                field="part",
                code="not_approved",
            )
        if line.customer_supplied:
            raise ApplicationError(
                _("The customer brings this part."), field="part", code="customer_supplied"
            )
        left = line.quantity - line.issued - _asked_on(line)
        if quantity > left:
            raise ApplicationError(
                _(
                    "Only %(left)s of %(part)s is still to be issued on this work order; "
                    "more is add-on work to report as a finding."
                )
                % {"left": plain(max(left, ZERO)), "part": part},
                field="quantity",
                code="too_many",
            )
    return PartsRequest.objects.create(
        order=order,
        part=part,
        quantity=quantity,
        line=line,
        requested_by=actor,
        note=(note or "").strip()[:200],
    )


def _lock_request(request: PartsRequest) -> PartsRequest:
    return (
        PartsRequest.objects.select_for_update(of=("self",))
        .select_related("order", "part", "requested_by")
        .get(pk=request.pk)
    )


def _require_keeper(actor: User, order: RepairOrder) -> None:
    if not has_perm_in_store(actor, ISSUE, order.store_id):
        raise ApplicationError(_("Only the warehouse can do this."), code="permission")


def _require_open(request: PartsRequest) -> None:
    if request.status != PartsRequest.Status.OPEN:
        raise ApplicationError(
            _("This request is already %(status)s.") % {"status": PartsRequest.Status(request.status).label},
            field="status",
            code="state",
        )


def _line_for_issue(request: PartsRequest, order: RepairOrder) -> OrderPart | None:
    """The request's line, else the order's approved line of the part (approved since the
    request was made); None for shop supplies not on the order."""
    lines = OrderPart.objects.select_for_update(of=("self",)).select_related("reservation")
    if request.line_id:
        line = lines.filter(pk=request.line_id, order=order).first()
        if line is not None:
            return line
    return (
        lines.filter(order=order, part=request.part, approval=Approval.APPROVED, customer_supplied=False)
        .order_by("id")
        .first()
    )


def _issue_warehouse(
    order: RepairOrder, line: OrderPart | None, part: Part, warehouse: Warehouse | None
) -> Warehouse:
    if warehouse is not None:
        if warehouse.store_id != order.store_id:
            raise ApplicationError(
                _("That warehouse belongs to another store."), field="warehouse", code="store"
            )
        return warehouse
    reservation = line.reservation if line is not None else None
    if reservation is not None and reservation.status == Reservation.Status.OPEN:
        return reservation.warehouse
    stock = stock_by_part(order.store, [part.pk]).get(part.pk, [])
    best = max(stock, key=lambda a: a.available, default=None)
    if best is not None:
        return best.warehouse
    first = Warehouse.objects.filter(
        store_id=order.store_id, is_active=True, kind=Warehouse.Kind.MAIN
    ).first()
    if first is None:
        raise ApplicationError(_("The store has no warehouse."), field="warehouse", code="warehouse")
    return first


@transaction.atomic
def parts_request_issue(
    *, actor: User, request: PartsRequest, warehouse: Warehouse | None = None
) -> PartsRequest:
    """The keeper issues the part against the work order: out of stock (ledger reference the
    order, taken by the technician), onto the order's part line (issued quantity; "issued" when
    all of it is out) when it is on the order, else as shop supplies. All or nothing."""
    request = _lock_request(request)
    order = request.order
    _require_keeper(actor, order)
    _require_open(request)
    if order.status not in REQUESTABLE:
        raise ApplicationError(
            _("Work order %(number)s is %(status)s: nothing can be issued to it now.")
            % {"number": order.number, "status": Status(order.status).label},
            field="status",
            code="state",
        )
    line = _line_for_issue(request, order)
    if line is not None and request.quantity > line.quantity - line.issued:
        raise ApplicationError(
            _("Only %(left)s of %(part)s is still to be issued on this work order.")
            % {"left": plain(max(line.quantity - line.issued, ZERO)), "part": request.part},
            field="quantity",
            code="too_many",
        )
    chosen = _issue_warehouse(order, line, request.part, warehouse)
    reservation = line.reservation if line is not None else None
    if reservation is not None and (
        reservation.status != Reservation.Status.OPEN or reservation.warehouse_id != chosen.pk
    ):
        reservation = None
    note = _("Parts request %(id)s") if line is not None else _("Parts request %(id)s, shop supplies")
    stock_issue(
        actor=actor,
        warehouse=chosen,
        lines=[(request.part, request.quantity)],
        reference=order_reference(order),
        taken_by=str(request.requested_by),
        reservation=reservation,
        note=note % {"id": request.pk},
    )
    if line is not None:
        line.issued += request.quantity
        fields = ["issued"]
        if line.issued >= line.quantity:
            line.supply = Supply.ISSUED
            fields.append("supply")
        line.save(update_fields=fields)
    request.line = line
    request.status = PartsRequest.Status.ISSUED
    request.handled_by = actor
    request.handled_at = timezone.now()
    request.save(update_fields=["line", "status", "handled_by", "handled_at", "updated_at"])
    return request


@transaction.atomic
def parts_request_refuse(*, actor: User, request: PartsRequest, reason: str) -> PartsRequest:
    """The keeper says no, with the reason the technician reads (not in stock, wrong part…)."""
    request = _lock_request(request)
    _require_keeper(actor, request.order)
    _require_open(request)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Give the reason for refusing."), field="reason", code="reason")
    request.status = PartsRequest.Status.REFUSED
    request.note = reason[:200]
    request.handled_by = actor
    request.handled_at = timezone.now()
    request.save(update_fields=["status", "note", "handled_by", "handled_at", "updated_at"])
    return request


@transaction.atomic
def parts_request_cancel(*, actor: User, request: PartsRequest) -> PartsRequest:
    """The technician takes back a request the warehouse has not handled."""
    request = _lock_request(request)
    if not has_perm_in_store(actor, WORK, request.order.store_id):
        raise ApplicationError(_("Only the workshop's technicians can do this."), code="permission")
    _require_open(request)
    request.status = PartsRequest.Status.CANCELLED
    request.handled_by = actor
    request.handled_at = timezone.now()
    request.save(update_fields=["status", "handled_by", "handled_at", "updated_at"])
    return request


@transaction.atomic
def part_supply_set(
    *, actor: User, line: OrderPart, supply: str, expected_on: datetime.date | None = None
) -> OrderPart:
    """Where a part that was not in stock is: ordered (with the expected date; a new date
    later), arrived; or back to "to order" when the supplier let us down."""
    line = OrderPart.objects.select_for_update(of=("self",)).select_related("order").get(pk=line.pk)
    _require_keeper(actor, line.order)
    if line.order.status not in RepairOrder.OPEN:
        raise ApplicationError(_("The work order is closed."), field="status", code="state")
    if line.approval != Approval.APPROVED or line.customer_supplied:
        raise ApplicationError(
            _("Only approved parts the shop supplies are ordered."), field="supply", code="supply"
        )
    if supply not in SUPPLY_MOVES or line.supply not in SUPPLY_MOVES[supply]:
        raise ApplicationError(
            _("A part that is %(from)s cannot be marked %(to)s.")
            % {
                "from": Supply(line.supply).label,
                "to": Supply(supply).label if supply in Supply.values else supply,
            },
            field="supply",
            code="supply",
        )
    if supply == Supply.ORDERED:
        if expected_on is None:
            raise ApplicationError(
                _("Give the date the part is expected."), field="expected_on", code="required"
            )
        if expected_on < timezone.localdate():
            raise ApplicationError(_("The expected date cannot be in the past."), field="expected_on")
        line.expected_on = expected_on
    elif supply == Supply.TO_ORDER:
        line.expected_on = None
    line.supply = supply
    line.save(update_fields=["supply", "expected_on"])
    return line
