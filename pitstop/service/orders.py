"""The repair order's life: opening it at reception, its totals, and the one transition service
every page, API action and workshop step goes through (STYLE.md: States).

Which role may make which move is decided here too (`may_move`), so a page and the API refuse
the same things with the same words. Preconditions that belong to another step (the owner's
signature before confirming, a passed final inspection before washing) are checked by that
step's service before it calls `order_transition`."""

from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from pitstop.accounts.models import Store, User
from pitstop.core.events import record_event
from pitstop.core.exceptions import ApplicationError
from pitstop.core.money import to_money
from pitstop.core.numbering import next_code
from pitstop.core.scoping import get_scoped_or_404, has_perm_in_store, scoped

from .models import (
    ZERO,
    Appointment,
    Approval,
    BusinessType,
    OrderLabour,
    OrderPart,
    RepairCategory,
    RepairOrder,
)

VIEW = "service.view_repairorder"
ADD = "service.add_repairorder"
CHANGE = "service.change_repairorder"
WORK = "service.work_repairorder"
DISPATCH = "service.dispatch_repairorder"
LEAD = "service.lead_repairorder"
INSPECT = "service.inspect_repairorder"
Status = RepairOrder.Status

# Who may move an order into each state (any one of the permissions, in the order's store).
MOVE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Status.DRAFT: (CHANGE,),
    Status.CONFIRMED: (CHANGE, DISPATCH),
    Status.DISPATCHED: (DISPATCH,),
    Status.IN_PROGRESS: (WORK, DISPATCH, INSPECT),
    Status.WAITING_PARTS: (WORK, DISPATCH),
    Status.WAITING_APPROVAL: (WORK, CHANGE),
    Status.CHECKING: (WORK,),
    Status.WASHING: (INSPECT, CHANGE),
    Status.READY: (INSPECT, CHANGE),
    # Only billing.delivery moves an order here (settled or on credit), as the advisor.
    Status.DELIVERED: (CHANGE,),
    Status.CANCELLED: (CHANGE,),
}


# ---------------------------------------------------------------- selectors


def orders_for(user, store: Store | None = None, perm: str = VIEW) -> QuerySet[RepairOrder]:
    return scoped(RepairOrder.objects.all(), user, perm, store=store).select_related(
        "customer", "vehicle", "advisor"
    )


def order_detail(*, user, pk: int, perm: str = VIEW) -> RepairOrder:
    return get_scoped_or_404(
        RepairOrder.objects.select_related("store", "customer", "vehicle", "advisor", "appointment"),
        user,
        perm,
        pk=pk,
    )


def may_move(user, order: RepairOrder, to: str) -> bool:
    return any(has_perm_in_store(user, perm, order.store_id) for perm in MOVE_PERMISSIONS.get(to, ()))


def next_states(user, order: RepairOrder) -> list[str]:
    """The moves this user may offer on this order (buttons); the services decide again."""
    return [to for to in RepairOrder.ALLOWED.get(order.status, ()) if may_move(user, order, to)]


# ---------------------------------------------------------------- services


def refuse_move(order: RepairOrder, to: str) -> ApplicationError:
    label = Status(to).label if to in Status.values else to
    return ApplicationError(
        _("A work order that is %(from)s cannot become %(to)s.")
        % {"from": Status(order.status).label, "to": label},
        field="status",
        code="transition",
    )


def lock_order(order: RepairOrder) -> RepairOrder:
    return RepairOrder.objects.select_for_update(of=("self",)).select_related("store").get(pk=order.pk)


@transaction.atomic
def order_transition(
    *, actor: User | None, order: RepairOrder, to: str, note: str = "", check_permission: bool = True
) -> RepairOrder:
    """Move the order to `to`: lock it, refuse a move its state does not allow (naming both
    states) or one the actor's role may not make, stamp the times the move marks, write the
    event row. Cancelling needs a reason."""
    order = lock_order(order)
    if to not in RepairOrder.ALLOWED.get(order.status, set()):
        raise refuse_move(order, to)
    if check_permission and actor is not None and not may_move(actor, order, to):
        raise ApplicationError(
            _("Your role cannot move a work order to %(to)s.") % {"to": Status(to).label},
            field="status",
            code="permission",
        )
    note = (note or "").strip()
    now = timezone.now()
    fields = ["status", "updated_at"]
    if to == Status.CANCELLED:
        if not note:
            raise ApplicationError(_("Give the reason for cancelling."), field="note", code="reason")
        order.cancel_reason = note[:200]
        fields.append("cancel_reason")
    if to == Status.IN_PROGRESS and order.started_at is None:
        order.started_at = now
        fields.append("started_at")
    if to == Status.CHECKING:
        order.finished_at = now
        fields.append("finished_at")
    if to == Status.DELIVERED:
        order.delivered_at = now
        fields.append("delivered_at")
    if to == Status.READY:
        order.ready_at = now
        fields.append("ready_at")
    previous = order.status
    order.status = to
    order.save(update_fields=fields)
    record_event(order, actor, previous, to, note)
    return order


@transaction.atomic
def order_open(
    *,
    actor: User,
    store: Store,
    vehicle,
    appointment: Appointment | None = None,
    business_type: str = BusinessType.MAINTENANCE,
    repair_category: str = RepairCategory.LEVEL_1,
    owner_description: str = "",
) -> RepairOrder:
    """A new draft order at reception, for a vehicle on file (from its appointment or not). The
    customer is the vehicle's owner; the contact and mobile come from the appointment if any."""
    if vehicle is None:
        raise ApplicationError(_("Pick the vehicle."), field="vehicle")
    if vehicle.store_id != store.pk:
        raise ApplicationError(_("This vehicle belongs to another store."), field="vehicle", code="store")
    if business_type not in BusinessType.values:
        raise ApplicationError(_("Choose the business type."), field="business_type")
    if repair_category not in RepairCategory.values:
        raise ApplicationError(_("Choose the repair category."), field="repair_category")
    if appointment is not None and appointment.store_id != store.pk:
        raise ApplicationError(_("This appointment belongs to another store."), field="appointment")
    customer = vehicle.owner
    order = RepairOrder.objects.create(
        store=store,
        number=next_code("WX", store.code),
        business_type=business_type,
        repair_category=repair_category,
        appointment=appointment,
        customer=customer,
        vehicle=vehicle,
        contact_name=(appointment.contact_name if appointment else "") or customer.name,
        mobile=(appointment.mobile if appointment else "") or customer.mobile,
        advisor=actor,
        received_at=timezone.now(),
        owner_description=(owner_description or (appointment.content if appointment else "")).strip(),
    )
    record_event(order, actor, "", order.status, appointment.number if appointment else "")
    return order


def order_recalculate(order: RepairOrder) -> RepairOrder:
    """Store the totals of the lines that count (approved): labour, parts (customer-supplied parts
    are free), hours. Called by every service that changes a line, inside its transaction."""
    labour = OrderLabour.objects.filter(order=order, approval=Approval.APPROVED).aggregate(
        amount=Sum("amount"), hours=Sum("hours")
    )
    parts = OrderPart.objects.filter(order=order, approval=Approval.APPROVED).aggregate(amount=Sum("amount"))
    order.labour_total = to_money(labour["amount"] or ZERO)
    order.hours_total = labour["hours"] or ZERO
    order.parts_total = to_money(parts["amount"] or ZERO)
    order.total = order.labour_total + order.parts_total
    order.save(update_fields=["labour_total", "parts_total", "hours_total", "total", "updated_at"])
    return order


def line_amount(price: Decimal, discount_pct: Decimal) -> Decimal:
    """A line's amount after its discount, rounded half-up (a line rounded, then summed)."""
    return to_money(price - price * discount_pct / Decimal("100"))
