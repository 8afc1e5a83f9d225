"""Parts for a job: the technician asks the warehouse (tied to the order's line, never more than
is still to issue, not for parts the owner has not approved; shop supplies for parts not on the
order), the keeper issues against the work order (the line's reservation used, the ledger
referencing the order, the line's issued quantity and supply) or refuses with a reason; more
than available is refused with the stock service's message and changes nothing; parts not in
stock marked ordered (expected date) and arrived; the pages with their permissions."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from pitstop.core.exceptions import ApplicationError
from pitstop.customers.tests.factories import CustomerFactory, VehicleFactory
from pitstop.parts.models import Reservation, StockLevel, StockMovement
from pitstop.parts.services import Reference, reservation_create, stock_receive
from pitstop.parts.tests.factories import PartFactory, WarehouseFactory
from pitstop.service.models import Approval, OrderPart, RepairOrder
from pitstop.service.tests.factories import OrderPartFactory, RepairOrderFactory
from pitstop.workshop import parts_flow as services
from pitstop.workshop.models import PartsRequest

from .factories import AssignmentFactory

pytestmark = pytest.mark.django_db
Status = RepairOrder.Status
Supply = OrderPart.Supply
Kind = StockMovement.Kind


@pytest.fixture
def tech(make_staff, store_a):
    return make_staff("technician", store_a, full_name="王师傅")


@pytest.fixture
def keeper(make_staff, store_a):
    return make_staff("warehouse", store_a, full_name="赵库管")


@pytest.fixture
def warehouse(store_a):
    return WarehouseFactory(store=store_a, code="W01", name="配件总库")


@pytest.fixture
def pads(warehouse):
    part = PartFactory(code="BP-380", name="前刹车片")
    stock_receive(actor=None, warehouse=warehouse, lines=[(part, 5, Decimal("200"))], kind=Kind.OPENING)
    return part


def make_order(store, advisor, status=Status.IN_PROGRESS, plate=None, technicians=()) -> RepairOrder:
    vehicle = VehicleFactory(owner=CustomerFactory(store=store), **({"plate": plate} if plate else {}))
    order = RepairOrderFactory(vehicle=vehicle, advisor=advisor, status=status)
    if technicians:
        AssignmentFactory(order=order, technicians=list(technicians))
    return order


def reserved_line(order, warehouse, part, quantity=2) -> OrderPart:
    reservation = reservation_create(
        actor=None,
        warehouse=warehouse,
        part=part,
        quantity=quantity,
        reference=Reference("repair_order", order.pk, order.number),
    )
    return OrderPartFactory(
        order=order,
        part=part,
        code=part.code,
        name=part.name,
        quantity=Decimal(quantity),
        supply=Supply.RESERVED,
        reservation=reservation,
    )


@pytest.fixture
def order(store_a, advisor, tech):
    return make_order(store_a, advisor, plate="京A10001", technicians=[tech])


@pytest.fixture
def line(order, warehouse, pads):
    return reserved_line(order, warehouse, pads)


def level(part, warehouse) -> StockLevel:
    return StockLevel.objects.get(part=part, warehouse=warehouse)


# ---------------------------------------------------------------- asking


def test_a_request_for_a_part_on_the_order_is_tied_to_its_line(order, tech, pads, line):
    request = services.parts_request_create(actor=tech, order=order, part=pads, quantity="2")
    assert (
        request.line == line and request.status == PartsRequest.Status.OPEN and request.requested_by == tech
    )


def test_no_more_than_is_still_to_issue_can_be_asked_for(order, tech, pads, line):
    services.parts_request_create(actor=tech, order=order, part=pads, quantity="1", line=line)
    with pytest.raises(ApplicationError) as error:
        services.parts_request_create(actor=tech, order=order, part=pads, quantity="2", line=line)
    assert error.value.code == "too_many"
    assert PartsRequest.objects.count() == 1


def test_a_part_awaiting_the_owner_cannot_be_asked_for(order, tech, pads):
    OrderPartFactory(order=order, part=pads, is_addon=True, approval=Approval.PENDING)
    with pytest.raises(ApplicationError) as error:
        services.parts_request_create(actor=tech, order=order, part=pads, quantity="1")
    assert error.value.code == "not_approved"


def test_a_part_not_on_the_order_is_asked_for_as_shop_supplies(order, tech, warehouse):
    ties = PartFactory(name="扎带")
    request = services.parts_request_create(actor=tech, order=order, part=ties, quantity="10")
    assert request.line is None


@pytest.mark.parametrize("quantity", ["0", "-1", "abc"])
def test_a_bad_quantity_is_refused(order, tech, pads, quantity):
    with pytest.raises(ApplicationError):
        services.parts_request_create(actor=tech, order=order, part=pads, quantity=quantity)
    assert not PartsRequest.objects.exists()


def test_only_technicians_of_the_store_ask_and_only_for_jobs_in_the_workshop(
    order, keeper, tech, pads, make_staff, store_b, store_a, advisor
):
    for user in (keeper, make_staff("technician", store_b)):
        with pytest.raises(ApplicationError) as error:
            services.parts_request_create(actor=user, order=order, part=pads, quantity="1")
        assert error.value.code == "permission"
    ready = make_order(store_a, advisor, status=Status.READY)
    with pytest.raises(ApplicationError) as error:
        services.parts_request_create(actor=tech, order=ready, part=pads, quantity="1")
    assert error.value.code == "state"
    assert not PartsRequest.objects.exists()


# ---------------------------------------------------------------- issuing


def test_issue_uses_the_reservation_and_marks_the_line_issued(order, tech, keeper, pads, line, warehouse):
    request = services.parts_request_create(actor=tech, order=order, part=pads, quantity="2")
    services.parts_request_issue(actor=keeper, request=request)
    request.refresh_from_db()
    line.refresh_from_db()
    assert request.status == PartsRequest.Status.ISSUED and request.handled_by == keeper
    assert line.issued == Decimal("2.000") and line.supply == Supply.ISSUED
    assert Reservation.objects.get(pk=line.reservation_id).status == Reservation.Status.ISSUED
    stock = level(pads, warehouse)
    assert stock.on_hand == Decimal("3.000") and stock.reserved == Decimal("0.000")
    movement = StockMovement.objects.get(kind=Kind.ISSUE)
    assert (movement.reference_type, movement.reference_id, movement.reference_no) == (
        "repair_order",
        order.pk,
        order.number,
    )
    assert movement.taken_by == "王师傅" and movement.quantity == Decimal("-2.000")


def test_a_part_issue_in_two_goes(order, tech, keeper, pads, line):
    first = services.parts_request_create(actor=tech, order=order, part=pads, quantity="1")
    services.parts_request_issue(actor=keeper, request=first)
    line.refresh_from_db()
    assert line.issued == Decimal("1.000") and line.supply == Supply.RESERVED
    second = services.parts_request_create(actor=tech, order=order, part=pads, quantity="1")
    services.parts_request_issue(actor=keeper, request=second)
    line.refresh_from_db()
    assert line.issued == Decimal("2.000") and line.supply == Supply.ISSUED


def test_shop_supplies_go_out_against_the_order_without_a_line(order, tech, keeper, warehouse):
    ties = PartFactory(name="扎带")
    stock_receive(actor=None, warehouse=warehouse, lines=[(ties, 100, Decimal("0.1"))], kind=Kind.OPENING)
    request = services.parts_request_create(actor=tech, order=order, part=ties, quantity="10")
    services.parts_request_issue(actor=keeper, request=request)
    assert not OrderPart.objects.filter(order=order).exists()
    movement = StockMovement.objects.get(kind=Kind.ISSUE)
    assert movement.reference_id == order.pk and movement.quantity == Decimal("-10.000")


def test_issuing_more_than_available_is_refused_and_changes_nothing(order, tech, keeper, warehouse):
    filter_part = PartFactory(name="机油滤清器")
    line = OrderPartFactory(order=order, part=filter_part, quantity=Decimal("1"), supply=Supply.TO_ORDER)
    request = services.parts_request_create(actor=tech, order=order, part=filter_part, quantity="1")
    with pytest.raises(ApplicationError) as error:
        services.parts_request_issue(actor=keeper, request=request, warehouse=warehouse)
    assert error.value.code == "insufficient_stock"
    request.refresh_from_db()
    line.refresh_from_db()
    assert request.status == PartsRequest.Status.OPEN and line.issued == 0 and line.supply == Supply.TO_ORDER
    assert not StockMovement.objects.filter(kind=Kind.ISSUE).exists()


def test_issue_needs_the_keeper_of_the_store_and_an_open_request(
    order, tech, keeper, pads, line, make_staff, store_b
):
    request = services.parts_request_create(actor=tech, order=order, part=pads, quantity="1")
    for user in (tech, make_staff("warehouse", store_b)):
        with pytest.raises(ApplicationError) as error:
            services.parts_request_issue(actor=user, request=request)
        assert error.value.code == "permission"
    other_store_warehouse = WarehouseFactory(store=store_b)
    with pytest.raises(ApplicationError) as error:
        services.parts_request_issue(actor=keeper, request=request, warehouse=other_store_warehouse)
    assert error.value.code == "store"
    services.parts_request_issue(actor=keeper, request=request)
    with pytest.raises(ApplicationError) as error:
        services.parts_request_issue(actor=keeper, request=request)
    assert error.value.code == "state"
    assert StockMovement.objects.filter(kind=Kind.ISSUE).count() == 1


def test_refuse_needs_a_reason(order, tech, keeper, pads, line):
    request = services.parts_request_create(actor=tech, order=order, part=pads, quantity="1")
    with pytest.raises(ApplicationError) as error:
        services.parts_request_refuse(actor=keeper, request=request, reason=" ")
    assert error.value.code == "reason"
    services.parts_request_refuse(actor=keeper, request=request, reason="型号不对")
    request.refresh_from_db()
    assert request.status == PartsRequest.Status.REFUSED and request.note == "型号不对"


def test_the_technician_takes_a_request_back(order, tech, keeper, pads, line):
    request = services.parts_request_create(actor=tech, order=order, part=pads, quantity="1")
    services.parts_request_cancel(actor=tech, request=request)
    request.refresh_from_db()
    assert request.status == PartsRequest.Status.CANCELLED


# ---------------------------------------------------------------- where the part is


def test_ordered_with_the_expected_date_then_arrived(order, keeper, tech):
    line = OrderPartFactory(order=order, part=PartFactory(), supply=Supply.TO_ORDER)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ApplicationError) as error:
        services.part_supply_set(actor=keeper, line=line, supply=Supply.ORDERED)
    assert error.value.code == "required"
    with pytest.raises(ApplicationError):
        services.part_supply_set(
            actor=keeper, line=line, supply=Supply.ORDERED, expected_on=tomorrow - datetime.timedelta(days=3)
        )
    with pytest.raises(ApplicationError) as error:
        services.part_supply_set(actor=tech, line=line, supply=Supply.ORDERED, expected_on=tomorrow)
    assert error.value.code == "permission"
    services.part_supply_set(actor=keeper, line=line, supply=Supply.ORDERED, expected_on=tomorrow)
    line.refresh_from_db()
    assert line.supply == Supply.ORDERED and line.expected_on == tomorrow
    services.part_supply_set(actor=keeper, line=line, supply=Supply.ARRIVED)
    line.refresh_from_db()
    assert line.supply == Supply.ARRIVED
    with pytest.raises(ApplicationError) as error:
        services.part_supply_set(actor=keeper, line=line, supply=Supply.ORDERED, expected_on=tomorrow)
    assert error.value.code == "supply"


def test_parts_ready_when_every_approved_part_is_at_hand(order, warehouse, pads):
    line = reserved_line(order, warehouse, pads)
    other = OrderPartFactory(order=order, part=PartFactory(), supply=Supply.ORDERED)
    OrderPartFactory(order=order, is_addon=True, approval=Approval.PENDING, supply=Supply.TO_ORDER)
    assert not services.parts_ready(services.job_part_lines(order))
    OrderPart.objects.filter(pk=other.pk).update(supply=Supply.ARRIVED)
    assert services.parts_ready(services.job_part_lines(order))
    assert line.supply == Supply.RESERVED


# ---------------------------------------------------------------- pages


def test_the_warehouse_queue_in_fixed_queries(
    login, keeper, tech, store_a, advisor, warehouse, pads, django_assert_max_num_queries
):
    for n in range(6):
        job = make_order(store_a, advisor, plate=f"京B2000{n}")
        services.parts_request_create(actor=tech, order=job, part=pads, quantity="1")
        OrderPartFactory(order=job, part=PartFactory(), supply=Supply.TO_ORDER)
    client = login(keeper)
    client.get(reverse("workshop:parts_requests"))
    with django_assert_max_num_queries(16):
        response = client.get(reverse("workshop:parts_requests"))
    content = response.content.decode()
    assert response.status_code == 200
    assert content.count("data-issue=") == 6 and content.count("data-ordered=") == 6
    assert 'data-available="5"' in content


def test_the_queue_is_the_warehouses(login, tech, advisor):
    assert login(tech).get(reverse("workshop:parts_requests")).status_code == 403
    assert login(advisor).get(reverse("workshop:parts_requests")).status_code == 403


def test_issue_and_refuse_from_the_page(login, keeper, tech, order, pads, line, warehouse):
    first = services.parts_request_create(actor=tech, order=order, part=pads, quantity="1")
    second = services.parts_request_create(actor=tech, order=order, part=pads, quantity="1")
    client = login(keeper)
    response = client.post(
        reverse("workshop:parts_request_issue", args=[first.pk]), {"warehouse": warehouse.pk}
    )
    assert response.status_code == 302
    client.post(reverse("workshop:parts_request_refuse", args=[second.pk]), {"reason": "已无货"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == PartsRequest.Status.ISSUED and second.status == PartsRequest.Status.REFUSED
    page = client.get(reverse("workshop:parts_requests")).content.decode()
    assert 'id="handled-today"' in page


def test_a_refused_issue_shows_the_stock_message(login, keeper, tech, order, warehouse):
    part = PartFactory()
    OrderPartFactory(order=order, part=part, supply=Supply.TO_ORDER)
    request = services.parts_request_create(actor=tech, order=order, part=part, quantity="1")
    response = login(keeper).post(
        reverse("workshop:parts_request_issue", args=[request.pk]), {"warehouse": warehouse.pk}, follow=True
    )
    assert b"alert-danger" in response.content
    request.refresh_from_db()
    assert request.status == PartsRequest.Status.OPEN


def test_another_stores_request_and_line_are_404(login, make_staff, store_b, tech, order, pads, line):
    request = services.parts_request_create(actor=tech, order=order, part=pads, quantity="1")
    client = login(make_staff("warehouse", store_b))
    assert client.post(reverse("workshop:parts_request_issue", args=[request.pk])).status_code == 404
    assert (
        client.post(reverse("workshop:parts_request_refuse", args=[request.pk]), {"reason": "x"}).status_code
        == 404
    )
    assert (
        client.post(reverse("workshop:part_supply", args=[line.pk]), {"supply": "arrived"}).status_code == 404
    )
    other_tech = login(make_staff("technician", store_b))
    assert other_tech.post(reverse("workshop:parts_request_cancel", args=[request.pk])).status_code == 404
    assert other_tech.get(reverse("workshop:job_parts", args=[order.pk])).status_code == 404
    request.refresh_from_db()
    assert request.status == PartsRequest.Status.OPEN


def test_supply_from_the_page(login, keeper, order):
    line = OrderPartFactory(order=order, part=PartFactory(), supply=Supply.TO_ORDER)
    client = login(keeper)
    day = timezone.localdate() + datetime.timedelta(days=2)
    client.post(
        reverse("workshop:part_supply", args=[line.pk]), {"supply": "ordered", "expected_on": day.isoformat()}
    )
    line.refresh_from_db()
    assert line.supply == Supply.ORDERED and line.expected_on == day
    client.post(reverse("workshop:part_supply", args=[line.pk]), {"supply": "ordered", "expected_on": "bad"})
    line.refresh_from_db()
    assert line.expected_on == day


def test_the_technician_asks_from_the_tablet(login, tech, order, pads, line):
    client = login(tech)
    page = client.get(reverse("workshop:job_parts", args=[order.pk]), {"q": "刹车"}).content.decode()
    assert f'data-ask-line="{line.pk}"' in page and f'data-ask-part="{pads.pk}"' in page
    response = client.post(
        reverse("workshop:job_parts", args=[order.pk]), {"part": pads.pk, "line": line.pk, "quantity": "2"}
    )
    assert response.status_code == 302
    assert PartsRequest.objects.get().line == line
    response = client.post(reverse("workshop:job_parts", args=[order.pk]), {"part": pads.pk, "quantity": "1"})
    assert response.status_code == 400 and b'data-code="too_many"' in response.content
    assert PartsRequest.objects.count() == 1
    job = client.get(reverse("workshop:job", args=[order.pk])).content.decode()
    assert 'data-requested="2"' in job and 'data-supply="reserved"' in job


def test_the_waiting_job_says_the_parts_are_at_hand(login, tech, order, line):
    RepairOrder.objects.filter(pk=order.pk).update(status=Status.WAITING_PARTS)
    content = login(tech).get(reverse("workshop:job", args=[order.pk])).content.decode()
    assert 'id="parts-ready-hint"' in content and 'id="resume"' in content


def test_the_advisor_sees_where_the_parts_are(login, advisor, order, line):
    content = login(advisor).get(reverse("workshop:job", args=[order.pk])).content.decode()
    assert f'data-part-line="{line.pk}"' in content and 'id="ask-parts"' not in content
    assert login(advisor).get(reverse("workshop:job_parts", args=[order.pk])).status_code == 403


def test_the_part_search_answers_htmx_with_its_partial(login, tech, order, pads):
    response = login(tech).get(
        reverse("workshop:job_parts", args=[order.pk]),
        {"q": "BP"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="part-results",
    )
    content = response.content.decode()
    assert response.status_code == 200 and content.lstrip().startswith('<div id="part-results">')
    assert f'data-ask-part="{pads.pk}"' in content and "<html" not in content


def test_the_job_parts_partial(login, advisor, order, line):
    response = login(advisor).get(
        reverse("workshop:job", args=[order.pk]), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="job-parts"
    )
    content = response.content.decode()
    assert content.lstrip().startswith('<div class="card mb-3" id="job-parts">') and "<html" not in content
