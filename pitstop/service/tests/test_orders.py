"""The repair order's one transition service: every allowed move with its event row, every
refused move naming both states, the role that may make a move, the times a move stamps,
opening an order at reception, and the stored totals of the lines that count."""

from decimal import Decimal

import pytest
from django.utils import timezone

from pitstop.core.exceptions import ApplicationError
from pitstop.customers.tests.factories import VehicleFactory
from pitstop.service import orders
from pitstop.service.models import Approval, RepairOrder, RepairOrderEvent

from .factories import OrderLabourFactory, OrderPartFactory, RepairOrderFactory

pytestmark = pytest.mark.django_db
Status = RepairOrder.Status


@pytest.fixture
def order(store_a, advisor):
    return RepairOrderFactory(vehicle=VehicleFactory(owner__store=store_a), advisor=advisor)


def _walk(order, user, *states):
    for state in states:
        order = orders.order_transition(actor=user, order=order, to=state, check_permission=False)
    return order


def test_every_allowed_move_is_made_and_recorded(order, manager):
    path = [
        Status.CONFIRMED,
        Status.DISPATCHED,
        Status.IN_PROGRESS,
        Status.WAITING_PARTS,
        Status.IN_PROGRESS,
        Status.WAITING_APPROVAL,
        Status.IN_PROGRESS,
        Status.CHECKING,
        Status.IN_PROGRESS,
        Status.CHECKING,
        Status.WASHING,
        Status.READY,
    ]
    order = _walk(order, manager, *path)
    assert order.status == Status.READY
    events = list(RepairOrderEvent.objects.filter(order=order).order_by("id"))
    assert [e.to_status for e in events] == path
    assert events[0].from_status == Status.DRAFT and all(e.actor == manager for e in events)
    assert order.started_at and order.finished_at and order.ready_at


@pytest.mark.parametrize(
    "start,to",
    [
        (Status.DRAFT, Status.DISPATCHED),
        (Status.DRAFT, Status.READY),
        (Status.CONFIRMED, Status.IN_PROGRESS),
        (Status.IN_PROGRESS, Status.READY),
        (Status.IN_PROGRESS, Status.CANCELLED),
        (Status.READY, Status.IN_PROGRESS),
        (Status.CANCELLED, Status.DRAFT),
        (Status.WASHING, Status.IN_PROGRESS),
    ],
)
def test_a_move_the_state_does_not_allow_is_refused_and_changes_nothing(order, manager, start, to):
    RepairOrder.objects.filter(pk=order.pk).update(status=start)
    with pytest.raises(ApplicationError) as refused:
        orders.order_transition(actor=manager, order=order, to=to)
    assert refused.value.code == "transition"
    assert str(RepairOrder.Status(start).label) in refused.value.message
    order.refresh_from_db()
    assert order.status == start and not order.events.exists()


def test_a_role_moves_only_what_it_may(order, make_staff, store_a, advisor):
    technician = make_staff("technician", store_a)
    dispatcher = make_staff("dispatcher", store_a)
    with pytest.raises(ApplicationError) as refused:
        orders.order_transition(actor=technician, order=order, to=Status.CONFIRMED)
    assert refused.value.code == "permission"
    order = orders.order_transition(actor=advisor, order=order, to=Status.CONFIRMED)
    with pytest.raises(ApplicationError):
        orders.order_transition(actor=advisor, order=order, to=Status.DISPATCHED)
    order = orders.order_transition(actor=dispatcher, order=order, to=Status.DISPATCHED)
    assert orders.next_states(technician, order) == [Status.IN_PROGRESS]
    assert orders.order_transition(actor=technician, order=order, to=Status.IN_PROGRESS).status == (
        Status.IN_PROGRESS
    )


def test_a_user_of_another_store_may_make_no_move(order, advisor_b):
    assert orders.next_states(advisor_b, order) == []
    with pytest.raises(ApplicationError):
        orders.order_transition(actor=advisor_b, order=order, to=Status.CONFIRMED)


def test_cancelling_needs_a_reason_which_is_kept(order, advisor):
    with pytest.raises(ApplicationError) as refused:
        orders.order_transition(actor=advisor, order=order, to=Status.CANCELLED, note="  ")
    assert refused.value.code == "reason"
    order = orders.order_transition(actor=advisor, order=order, to=Status.CANCELLED, note="车主改期")
    assert order.cancel_reason == "车主改期" and order.events.get().note == "车主改期"


def test_opening_an_order_numbers_it_and_takes_the_owner_and_the_appointment(store_a, advisor):
    from .booking import at, book, workshop

    workshop(store_a, maintenance=1)
    vehicle = VehicleFactory(owner__store=store_a, owner__mobile="13911112222")
    appointment = book(advisor, store_a, at(10), vehicle=vehicle, content="更换刹车片", mobile="13700001111")
    order = orders.order_open(actor=advisor, store=store_a, vehicle=vehicle, appointment=appointment)
    assert order.number.startswith("WXBJ01") and order.status == Status.DRAFT
    assert order.customer == vehicle.owner and order.advisor == advisor
    assert order.mobile == "13700001111" and order.owner_description == "更换刹车片"
    assert order.received_at is not None and order.received_at <= timezone.now()
    assert order.events.get().to_status == Status.DRAFT


def test_an_order_cannot_be_opened_for_another_stores_vehicle(store_a, store_b, advisor):
    vehicle = VehicleFactory(owner__store=store_b)
    with pytest.raises(ApplicationError) as refused:
        orders.order_open(actor=advisor, store=store_a, vehicle=vehicle)
    assert refused.value.code == "store"
    assert not RepairOrder.objects.exists()


def test_totals_count_only_approved_lines(order):
    OrderLabourFactory(order=order, hours=Decimal("1.5"), amount=Decimal("180.00"))
    OrderLabourFactory(
        order=order, hours=Decimal("2"), amount=Decimal("240.00"), is_addon=True, approval=Approval.PENDING
    )
    OrderPartFactory(order=order, amount=Decimal("58.00"))
    OrderPartFactory(order=order, amount=Decimal("300.00"), is_addon=True, approval=Approval.DECLINED)
    order = orders.order_recalculate(order)
    assert order.labour_total == Decimal("180.00") and order.parts_total == Decimal("58.00")
    assert order.total == Decimal("238.00") and order.hours_total == Decimal("1.5")


def test_a_line_is_discounted_and_rounded_half_up():
    assert orders.line_amount(Decimal("33.33"), Decimal("15")) == Decimal("28.33")
    assert orders.line_amount(Decimal("0.05"), Decimal("50")) == Decimal("0.03")
    assert orders.line_amount(Decimal("100.00"), Decimal("0")) == Decimal("100.00")
