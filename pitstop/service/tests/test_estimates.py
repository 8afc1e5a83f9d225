"""Estimate and work-order services (F-3.4, F-3.5): labour and part lines priced for the store
and the customer's tier, canned jobs, reservations, editing rules, the promised time and the
owner's signature moving the order from draft to confirmed."""

import base64
import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from pitstop.core.exceptions import ApplicationError
from pitstop.core.models import AuditEntry
from pitstop.customers.tests.factories import CustomerFactory, TierFactory, VehicleFactory
from pitstop.parts.models import Reservation, StockLevel, Warehouse
from pitstop.parts.services import stock_receive
from pitstop.parts.tests.factories import PartFactory, WarehouseFactory
from pitstop.service import estimates
from pitstop.service.models import (
    Appointment,
    AppointmentItem,
    AppointmentPart,
    Approval,
    ApprovalVia,
    BayType,
    OrderLabour,
    OrderPart,
    RepairOrder,
    RepairOrderEvent,
)

from .booking import workshop
from .factories import (
    CannedJobFactory,
    CannedJobLineFactory,
    LabourOperationFactory,
    LabourRateFactory,
    RepairOrderFactory,
)

pytestmark = pytest.mark.django_db
Status = RepairOrder.Status
Supply = OrderPart.Supply

# A 1×1 transparent PNG.
PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhf"
    "DwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


@pytest.fixture
def shop(store_a):
    return workshop(store_a, maintenance=2, body=1)


@pytest.fixture
def gold(store_a):
    return TierFactory(
        store=store_a,
        price_type="member",
        labour_discount_pct=Decimal("10"),
        parts_discount_pct=Decimal("5"),
    )


@pytest.fixture
def order(shop, store_a, advisor):
    owner = CustomerFactory(store=store_a, name="张伟")
    return RepairOrderFactory(vehicle=VehicleFactory(owner=owner, plate="京A12345"), advisor=advisor)


@pytest.fixture
def warehouse(store_a):
    return WarehouseFactory(store=store_a, code="W01", name="配件库")


def stock(warehouse, part, quantity):
    stock_receive(actor=None, warehouse=warehouse, lines=[(part, Decimal(quantity), Decimal("30"))])


# --- labour ----------------------------------------------------------------------------------


def test_labour_from_the_catalogue_is_priced_at_the_store_rate_and_approved(order, advisor, store_a):
    LabourRateFactory(store=store_a, bay_type=BayType.MAINTENANCE, rate=Decimal("150.00"))
    operation = LabourOperationFactory(code="BY001", name="更换机油机滤", standard_hours=Decimal("0.5"))
    line = estimates.labour_line_add(actor=advisor, order=order, operation=operation)
    assert (line.code, line.hours, line.rate, line.price, line.amount) == (
        "BY001",
        Decimal("0.500"),
        Decimal("150.00"),
        Decimal("75.00"),
        Decimal("75.00"),
    )
    assert line.approval == Approval.APPROVED and line.position == 1
    order.refresh_from_db()
    assert (order.labour_total, order.hours_total, order.total) == (
        Decimal("75.00"),
        Decimal("0.500"),
        Decimal("75.00"),
    )
    assert AuditEntry.objects.filter(object_id=str(line.pk), action="create").exists()


def test_free_text_labour_uses_the_workshop_rate_and_the_tier_discount(order, advisor, gold):
    order.customer.tier = gold
    order.customer.save()
    line = estimates.labour_line_add(actor=advisor, order=order, name="异响检查", hours="1.25")
    # 1.25 h × 120.00 = 150.00, less 10 % = 135.00
    assert (line.price, line.discount_pct, line.amount) == (
        Decimal("150.00"),
        Decimal("10.00"),
        Decimal("135.00"),
    )
    assert order.labour_total == Decimal("135.00")  # the caller's object is kept up to date


def test_a_fixed_price_operation_keeps_its_price(order, advisor):
    operation = LabourOperationFactory(fixed_price=Decimal("299.00"), standard_hours=Decimal("2"))
    line = estimates.labour_line_add(actor=advisor, order=order, operation=operation)
    assert line.price == Decimal("299.00") and line.hours == Decimal("2.000")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": " "}, "name"),
        ({"name": "检查", "hours": "-1"}, "hours"),
        ({"name": "检查", "hours": "x"}, "hours"),
    ],
)
def test_bad_labour_changes_nothing(order, advisor, kwargs, field):
    with pytest.raises(ApplicationError) as error:
        estimates.labour_line_add(actor=advisor, order=order, **kwargs)
    assert error.value.field == field
    assert not OrderLabour.objects.exists()


def test_estimate_lines_only_while_draft_but_add_ons_later(order, advisor, make_staff, store_a):
    order.status = Status.IN_PROGRESS
    order.save()
    with pytest.raises(ApplicationError) as error:
        estimates.labour_line_add(actor=advisor, order=order, name="检查", hours="1")
    assert error.value.code == "state"
    technician = make_staff("technician", store_a)
    addon = estimates.labour_line_add(
        actor=technician, order=order, name="更换刹车盘", hours="1", is_addon=True
    )
    assert addon.approval == Approval.PENDING
    order.refresh_from_db()
    assert order.labour_total == Decimal("0.00")  # pending work is not counted


def test_a_role_without_change_cannot_add_estimate_lines(order, make_staff, store_a):
    cashier = make_staff("cashier", store_a)
    with pytest.raises(ApplicationError) as error:
        estimates.labour_line_add(actor=cashier, order=order, name="检查", hours="1")
    assert error.value.code == "permission"
    assert not OrderLabour.objects.exists()


# --- parts -----------------------------------------------------------------------------------


def test_a_part_in_stock_is_reserved_at_the_customer_price_with_discount(order, advisor, warehouse, gold):
    from pitstop.parts.models import PartPrice

    order.customer.tier = gold
    order.customer.save()
    part = PartFactory(code="06L115562", name="机油滤清器", sale_price=Decimal("58.00"))
    PartPrice.objects.create(part=part, price_type="member", price=Decimal("52.00"))
    stock(warehouse, part, "5")
    line = estimates.part_line_add(actor=advisor, order=order, part=part, quantity="2")
    # 2 × 52.00 = 104.00 less 5 % = 98.80
    assert (line.unit_price, line.amount, line.genuine) == (Decimal("52.00"), Decimal("98.80"), True)
    assert line.supply == Supply.RESERVED
    reservation = line.reservation
    assert (reservation.reference_type, reservation.reference_id, reservation.reference_no) == (
        "repair_order",
        order.pk,
        order.number,
    )
    assert StockLevel.objects.get(part=part, warehouse=warehouse).reserved == Decimal("2.000")
    assert estimates.stock_available(order.store, [part]) == {part.pk: Decimal("3.000")}
    order.refresh_from_db()
    assert order.parts_total == Decimal("98.80")


def test_a_part_short_in_stock_is_to_order(order, advisor, warehouse):
    part = PartFactory(quality="aftermarket")
    stock(warehouse, part, "1")
    line = estimates.part_line_add(actor=advisor, order=order, part=part, quantity="2")
    assert line.supply == Supply.TO_ORDER and line.reservation is None and line.genuine is False
    assert StockLevel.objects.get(part=part).reserved == 0


def test_a_customer_supplied_part_is_free_and_not_reserved(order, advisor, warehouse):
    part = PartFactory()
    stock(warehouse, part, "5")
    line = estimates.part_line_add(
        actor=advisor, order=order, part=part, quantity="1", customer_supplied=True
    )
    assert (line.unit_price, line.amount, line.supply) == (Decimal("0.00"), Decimal("0.00"), Supply.CUSTOMER)
    assert not Reservation.objects.exists()


def test_a_pending_add_on_part_is_not_reserved_until_approved(order, advisor, warehouse):
    part = PartFactory()
    stock(warehouse, part, "5")
    order.status = Status.IN_PROGRESS
    order.save()
    line = estimates.part_line_add(actor=advisor, order=order, part=part, quantity="1", is_addon=True)
    assert line.supply == Supply.TO_ORDER and line.reservation is None
    OrderPart.objects.filter(pk=line.pk).update(approval=Approval.APPROVED)
    line.refresh_from_db()
    line = estimates.part_line_reserve(actor=advisor, line=line)
    assert line.supply == Supply.RESERVED and line.reservation.quantity == Decimal("1.000")


def test_a_free_text_part_needs_a_price(order, advisor):
    with pytest.raises(ApplicationError) as error:
        estimates.part_line_add(actor=advisor, order=order, name="玻璃水", quantity="1")
    assert error.value.field == "unit_price"
    line = estimates.part_line_add(actor=advisor, order=order, name="玻璃水", quantity="2", unit_price="15")
    assert line.amount == Decimal("30.00")


def test_zero_quantity_is_refused(order, advisor):
    with pytest.raises(ApplicationError) as error:
        estimates.part_line_add(actor=advisor, order=order, part=PartFactory(), quantity="0")
    assert error.value.field == "quantity"
    assert not OrderPart.objects.exists()


# --- canned jobs -----------------------------------------------------------------------------


def test_a_canned_job_adds_its_labour_and_parts(order, advisor, warehouse):
    job = CannedJobFactory(name="首保")
    operation = LabourOperationFactory(standard_hours=Decimal("0.5"))
    part = PartFactory(sale_price=Decimal("58.00"))
    stock(warehouse, part, "3")
    CannedJobLineFactory(job=job, labour=operation, quantity=Decimal("0.8"))
    CannedJobLineFactory(job=job, labour=None, part=part, quantity=Decimal("1"))
    lines = estimates.canned_job_add(actor=advisor, order=order, job=job)
    assert len(lines) == 2
    labour, part_line = lines
    assert labour.hours == Decimal("0.800") and labour.price == Decimal("96.00") and labour.canned_job == job
    assert part_line.supply == Supply.RESERVED and part_line.canned_job == job
    order.refresh_from_db()
    assert order.total == Decimal("154.00")


def test_another_stores_canned_job_is_refused(order, advisor, store_b):
    job = CannedJobFactory(store=store_b)
    CannedJobLineFactory(job=job)
    with pytest.raises(ApplicationError) as error:
        estimates.canned_job_add(actor=advisor, order=order, job=job)
    assert error.value.code == "store"
    assert not OrderLabour.objects.exists()


# --- update and remove -----------------------------------------------------------------------


def test_changing_hours_reprices_and_quantity_moves_the_reservation(order, advisor, warehouse):
    labour = estimates.labour_line_add(actor=advisor, order=order, name="检查", hours="1")
    estimates.line_update(actor=advisor, order=order, kind="labour", line_id=labour.pk, hours="2")
    labour.refresh_from_db()
    assert labour.price == Decimal("240.00") and labour.amount == Decimal("240.00")
    part = PartFactory(sale_price=Decimal("10.00"))
    stock(warehouse, part, "5")
    line = estimates.part_line_add(actor=advisor, order=order, part=part, quantity="1")
    first = line.reservation
    line = estimates.line_update(actor=advisor, order=order, kind="part", line_id=line.pk, quantity="3")
    first.refresh_from_db()
    assert first.status == Reservation.Status.RELEASED
    assert line.reservation.quantity == Decimal("3.000") and line.amount == Decimal("30.00")
    assert StockLevel.objects.get(part=part).reserved == Decimal("3.000")
    order.refresh_from_db()
    assert order.total == Decimal("270.00")


def test_bad_update_changes_nothing(order, advisor):
    labour = estimates.labour_line_add(actor=advisor, order=order, name="检查", hours="1")
    with pytest.raises(ApplicationError):
        estimates.line_update(
            actor=advisor, order=order, kind="labour", line_id=labour.pk, discount_pct="120"
        )
    labour.refresh_from_db()
    assert labour.discount_pct == 0 and labour.amount == Decimal("120.00")


def test_removing_a_part_releases_its_reservation(order, advisor, warehouse):
    part = PartFactory()
    stock(warehouse, part, "5")
    line = estimates.part_line_add(actor=advisor, order=order, part=part, quantity="2")
    estimates.line_remove(actor=advisor, order=order, kind="part", line_id=line.pk)
    assert not OrderPart.objects.exists()
    assert StockLevel.objects.get(part=part).reserved == 0
    assert line.reservation.__class__.objects.get().status == Reservation.Status.RELEASED
    order.refresh_from_db()
    assert order.total == 0


def test_signed_lines_cannot_be_removed_but_pending_add_ons_can(order, advisor):
    labour = estimates.labour_line_add(actor=advisor, order=order, name="检查", hours="1")
    estimates.order_sign(actor=advisor, order=order, on_paper=True)
    with pytest.raises(ApplicationError) as error:
        estimates.line_remove(actor=advisor, order=order, kind="labour", line_id=labour.pk)
    assert error.value.code == "state"
    addon = estimates.labour_line_add(actor=advisor, order=order, name="更换刹车盘", hours="1", is_addon=True)
    estimates.line_remove(actor=advisor, order=order, kind="labour", line_id=addon.pk)
    assert list(OrderLabour.objects.values_list("pk", flat=True)) == [labour.pk]


def test_a_line_of_another_order_is_not_found(order, advisor):
    other = RepairOrderFactory(advisor=advisor, vehicle=VehicleFactory(owner=order.customer))
    line = estimates.labour_line_add(actor=advisor, order=other, name="检查", hours="1")
    with pytest.raises(ApplicationError) as error:
        estimates.line_remove(actor=advisor, order=order, kind="labour", line_id=line.pk)
    assert error.value.code == "not_found"


# --- appointment take-over -------------------------------------------------------------------


def test_the_appointments_items_and_reserved_parts_are_taken_over(order, advisor, store_a, warehouse):
    from pitstop.parts.services import Reference, reservation_create

    now = timezone.now()
    appointment = Appointment.objects.create(
        store=store_a,
        number="YY1",
        mobile="13812345678",
        content="保养",
        starts_at=now,
        ends_at=now + datetime.timedelta(hours=1),
        status=Appointment.Status.ARRIVED,
    )
    AppointmentItem.objects.create(
        appointment=appointment, labour=LabourOperationFactory(), hours=Decimal("0.5")
    )
    AppointmentItem.objects.create(appointment=appointment, description="空调异味检查", hours=Decimal("1"))
    part = PartFactory()
    stock(warehouse, part, "2")
    held = reservation_create(
        actor=None,
        warehouse=warehouse,
        part=part,
        quantity=Decimal("2"),
        reference=Reference("appointment", 1, "YY1"),
    )
    AppointmentPart.objects.create(
        appointment=appointment, part=part, quantity=Decimal("2"), reservation=held
    )
    order.appointment = appointment
    order.save()
    assert len(estimates.appointment_takeover(order)["items"]) == 2
    lines = estimates.appointment_items_add(actor=advisor, order=order)
    assert len(lines) == 3
    part_line = OrderPart.objects.get()
    assert part_line.supply == Supply.RESERVED and part_line.reservation.reference_type == "repair_order"
    held.refresh_from_db()
    assert held.status == Reservation.Status.RELEASED
    assert StockLevel.objects.get(part=part).reserved == Decimal("2.000")
    with pytest.raises(ApplicationError) as error:
        estimates.appointment_items_add(actor=advisor, order=order)
    assert error.value.code == "taken"
    assert estimates.appointment_takeover(order) == {"items": [], "parts": []}


# --- promised time ---------------------------------------------------------------------------


def test_the_promise_is_the_hours_after_the_next_free_start(order, advisor):
    from pitstop.service import capacity

    estimates.labour_line_add(actor=advisor, order=order, name="保养", hours="2")
    monday = datetime.date(2030, 1, 7)
    zone = capacity.local_zone()
    now = datetime.datetime.combine(monday, datetime.time(9, 10), tzinfo=zone)
    promised = estimates.promised_time(order, now=now)
    # the next slot starts 09:30; two hours later
    assert capacity.local(promised) == datetime.datetime.combine(monday, datetime.time(11, 30), tzinfo=zone)


def test_a_long_job_runs_over_into_the_next_opening(order, advisor):
    from pitstop.service import capacity

    estimates.labour_line_add(
        actor=advisor, order=order, name="整车喷漆", hours="12", bay_type=BayType.MAINTENANCE
    )
    zone = capacity.local_zone()
    now = datetime.datetime.combine(datetime.date(2030, 1, 7), datetime.time(8, 30), tzinfo=zone)
    promised = capacity.local(estimates.promised_time(order, now=now))
    # 9.5 h on the first day, 2.5 h the next morning from 08:30
    assert promised == datetime.datetime.combine(datetime.date(2030, 1, 8), datetime.time(11, 0), tzinfo=zone)


# --- signing ---------------------------------------------------------------------------------


def test_signing_on_the_tablet_confirms_the_order(order, advisor):
    estimates.labour_line_add(actor=advisor, order=order, name="保养", hours="1")
    promised = timezone.now() + datetime.timedelta(hours=5)
    estimates.order_sign(
        actor=advisor,
        order=order,
        signature=PNG,
        payment_method="cash",
        old_parts="leave",
        free_wash=False,
        promised_at=promised,
    )
    order.refresh_from_db()
    assert order.status == Status.CONFIRMED and order.signed_at is not None
    assert order.signature == PNG and not order.signed_on_paper
    assert (order.payment_method, order.old_parts, order.free_wash, order.promised_at) == (
        "cash",
        "leave",
        False,
        promised,
    )
    line = OrderLabour.objects.get()
    assert line.approval_via == ApprovalVia.SIGNATURE and line.decided_by_name == order.contact_name
    event = RepairOrderEvent.objects.filter(order=order).latest("id")
    assert (event.from_status, event.to_status, event.actor) == (Status.DRAFT, Status.CONFIRMED, advisor)


def test_signing_on_paper_sets_a_promised_time(order, advisor):
    estimates.labour_line_add(actor=advisor, order=order, name="保养", hours="1")
    estimates.order_sign(actor=advisor, order=order, on_paper=True)
    order.refresh_from_db()
    assert order.signed_on_paper and order.promised_at is not None and order.status == Status.CONFIRMED


@pytest.mark.parametrize(
    "signature",
    [
        "data:image/jpeg;base64,AAAA",
        "data:image/png;base64,not base64!!",
        "data:image/png;base64," + base64.b64encode(b"GIF89a").decode(),
        "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * 310_000).decode(),
    ],
)
def test_a_bad_signature_changes_nothing(order, advisor, signature):
    estimates.labour_line_add(actor=advisor, order=order, name="保养", hours="1")
    with pytest.raises(ApplicationError) as error:
        estimates.order_sign(actor=advisor, order=order, signature=signature)
    assert error.value.code == "signature"
    order.refresh_from_db()
    assert order.status == Status.DRAFT and order.signed_at is None and order.signature == ""


def test_no_signature_and_no_paper_is_refused(order, advisor):
    estimates.labour_line_add(actor=advisor, order=order, name="保养", hours="1")
    with pytest.raises(ApplicationError) as error:
        estimates.order_sign(actor=advisor, order=order)
    assert error.value.field == "signature"


def test_an_empty_estimate_cannot_be_signed(order, advisor):
    with pytest.raises(ApplicationError) as error:
        estimates.order_sign(actor=advisor, order=order, on_paper=True)
    assert error.value.code == "empty"
    order.refresh_from_db()
    assert order.status == Status.DRAFT


def test_a_signed_order_cannot_be_signed_again(order, advisor):
    estimates.labour_line_add(actor=advisor, order=order, name="保养", hours="1")
    estimates.order_sign(actor=advisor, order=order, on_paper=True)
    with pytest.raises(ApplicationError) as error:
        estimates.order_sign(actor=advisor, order=order, on_paper=True)
    assert error.value.code == "transition"


def test_a_bad_payment_method_is_refused(order, advisor):
    estimates.labour_line_add(actor=advisor, order=order, name="保养", hours="1")
    with pytest.raises(ApplicationError) as error:
        estimates.order_sign(actor=advisor, order=order, on_paper=True, payment_method="gold")
    assert error.value.field == "payment_method"


def test_a_technician_cannot_sign(order, advisor, make_staff, store_a):
    estimates.labour_line_add(actor=advisor, order=order, name="保养", hours="1")
    with pytest.raises(ApplicationError) as error:
        estimates.order_sign(actor=make_staff("technician", store_a), order=order, on_paper=True)
    assert error.value.code == "permission"


def test_warehouse_kind_old_parts_is_not_used_for_reservations(order, advisor, store_a):
    old = WarehouseFactory(store=store_a, code="A0", kind=Warehouse.Kind.OLD_PARTS)
    part = PartFactory()
    stock(old, part, "5")
    line = estimates.part_line_add(actor=advisor, order=order, part=part, quantity="1")
    assert line.supply == Supply.TO_ORDER


def test_an_unchanged_price_sent_back_with_new_hours_is_repriced(order, advisor):
    line = estimates.labour_line_add(actor=advisor, order=order, name="检查", hours="1")
    line = estimates.line_update(
        actor=advisor, order=order, kind="labour", line_id=line.pk, hours="2", price="120.00"
    )
    assert line.price == Decimal("240.00")
    line = estimates.line_update(actor=advisor, order=order, kind="labour", line_id=line.pk, price="200")
    assert line.price == Decimal("200.00") and line.hours == Decimal("2.000")
