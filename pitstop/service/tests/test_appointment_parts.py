"""Parts for appointments: reserved in the store's parts store when available, the rest short;
removed or cancelled / no-show releases; reserving again when stock arrives; the deposit for
high-value parts before confirming; shortages as purchase suggestions and a draft purchase
order from them; the pages with their permissions (another store 404, a role without the
permission 403) and a fixed number of queries."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from pitstop.core.exceptions import ApplicationError
from pitstop.parts.models import PurchaseOrder, Reservation, StockLevel, Supplier
from pitstop.parts.services import stock_receive
from pitstop.parts.tests.factories import PartFactory, WarehouseFactory
from pitstop.service import appointment_parts as parts
from pitstop.service import appointments as services
from pitstop.service.models import Appointment, AppointmentEvent, AppointmentPart

from .booking import at, book, day, workshop

pytestmark = pytest.mark.django_db
Status = Appointment.Status


@pytest.fixture
def shop(store_a):
    return workshop(store_a, maintenance=3)


@pytest.fixture
def warehouse(store_a):
    return WarehouseFactory(store=store_a, code="PJ01", name="配件库")


@pytest.fixture
def oil_filter(warehouse):
    part = PartFactory(code="06L115562", name="机油滤清器", sale_price=Decimal("58.00"))
    stock_receive(actor=None, warehouse=warehouse, lines=[(part, Decimal("5"), Decimal("35"))])
    return part


@pytest.fixture
def gearbox(warehouse):
    """A high-value part: 3,200 × 1 ≥ the default threshold of 1,000."""
    return PartFactory(code="0AM300050", name="双离合变速箱总成", sale_price=Decimal("3200.00"))


@pytest.fixture
def booking(shop, store_a, advisor):
    return book(advisor, store_a, at(10), plate="京A12345")


def level(part, warehouse) -> StockLevel:
    return StockLevel.objects.get(part=part, warehouse=warehouse)


# --- services --------------------------------------------------------------------------------


def test_add_reserves_what_is_free_and_records_the_shortage(booking, advisor, oil_filter, warehouse):
    line = parts.appointment_part_add(actor=advisor, appointment=booking, part=oil_filter, quantity="8")
    reservation = line.reservation
    assert reservation.quantity == Decimal("5") and reservation.status == Reservation.Status.OPEN
    assert (reservation.reference_type, reservation.reference_id, reservation.reference_no) == (
        "appointment",
        booking.pk,
        booking.number,
    )
    assert level(oil_filter, warehouse).reserved == Decimal("5")
    (need,) = parts.appointment_parts(booking)
    assert (need.reserved, need.short) == (Decimal("5"), Decimal("3"))
    assert AppointmentEvent.objects.filter(appointment=booking, note__contains="06L115562").exists()


def test_add_when_all_is_in_stock_leaves_no_shortage(booking, advisor, oil_filter):
    parts.appointment_part_add(actor=advisor, appointment=booking, part=oil_filter, quantity="2")
    (need,) = parts.appointment_parts(booking)
    assert need.short == 0 and need.reserved == Decimal("2")


def test_without_a_parts_store_everything_is_short(booking, advisor, store_a):
    part = PartFactory(code="X1")
    line = parts.appointment_part_add(actor=advisor, appointment=booking, part=part, quantity="1")
    assert line.reservation is None and parts.appointment_parts(booking)[0].short == Decimal("1")


@pytest.mark.parametrize(
    ("case", "code"),
    [("duplicate", "duplicate"), ("zero", "invalid"), ("inactive", "part"), ("cancelled", "transition")],
)
def test_refusals_change_nothing(booking, advisor, oil_filter, warehouse, case, code):
    if case == "duplicate":
        parts.appointment_part_add(actor=advisor, appointment=booking, part=oil_filter, quantity="1")
    if case == "inactive":
        oil_filter.is_active = False
        oil_filter.save()
    if case == "cancelled":
        services.appointment_transition(
            actor=advisor, appointment=booking, to=Status.CANCELLED, note="车主出差"
        )
    before = (AppointmentPart.objects.count(), level(oil_filter, warehouse).reserved)
    with pytest.raises(ApplicationError) as refused:
        parts.appointment_part_add(
            actor=advisor, appointment=booking, part=oil_filter, quantity="0" if case == "zero" else "1"
        )
    assert refused.value.code == code
    assert (AppointmentPart.objects.count(), level(oil_filter, warehouse).reserved) == before


def test_remove_releases_the_reservation(booking, advisor, oil_filter, warehouse):
    line = parts.appointment_part_add(actor=advisor, appointment=booking, part=oil_filter, quantity="3")
    parts.appointment_part_remove(actor=advisor, appointment=booking, line_id=line.pk)
    assert not AppointmentPart.objects.exists()
    assert level(oil_filter, warehouse).reserved == 0
    assert Reservation.objects.get().status == Reservation.Status.RELEASED


@pytest.mark.parametrize("to", [Status.CANCELLED, Status.NO_SHOW])
def test_cancel_and_no_show_release_the_reservations(booking, advisor, oil_filter, warehouse, to):
    parts.appointment_part_add(actor=advisor, appointment=booking, part=oil_filter, quantity="3")
    if to == Status.NO_SHOW:
        past = timezone.now() - datetime.timedelta(hours=2)
        Appointment.objects.filter(pk=booking.pk).update(starts_at=past, ends_at=past)
    services.appointment_transition(actor=advisor, appointment=booking, to=to, note="车主临时有事")
    assert level(oil_filter, warehouse).reserved == 0
    assert Reservation.objects.get().status == Reservation.Status.RELEASED
    assert AppointmentPart.objects.count() == 1  # the line stays as a record
    event = AppointmentEvent.objects.filter(appointment=booking, to_status=to).get()
    assert "1" in event.note


def test_reserve_again_when_stock_arrives(booking, advisor, oil_filter, warehouse):
    parts.appointment_part_add(actor=advisor, appointment=booking, part=oil_filter, quantity="8")
    stock_receive(actor=None, warehouse=warehouse, lines=[(oil_filter, Decimal("10"), Decimal("35"))])
    gained = parts.appointment_parts_reserve(actor=advisor, appointment=booking)
    assert gained == Decimal("3")
    assert parts.appointment_parts(booking)[0].short == 0
    assert level(oil_filter, warehouse).reserved == Decimal("8")
    assert Reservation.objects.filter(status=Reservation.Status.OPEN).count() == 1


# --- the deposit for high-value parts ------------------------------------------------------------


def test_an_online_request_with_a_high_value_part_is_confirmed_only_with_the_deposit(
    shop, store_a, advisor, gearbox
):
    request = book(None, store_a, at(11), source="online", plate="京B22222")
    parts.appointment_part_add(actor=advisor, appointment=request, part=gearbox, quantity="1")
    assert parts.deposit_required(request) == Decimal("1600.00")
    with pytest.raises(ApplicationError) as refused:
        services.appointment_transition(actor=advisor, appointment=request, to=Status.CONFIRMED)
    assert refused.value.code == "deposit"
    assert Appointment.objects.get(pk=request.pk).status == Status.REQUESTED
    with pytest.raises(ApplicationError) as refused:
        parts.appointment_deposit_record(
            actor=advisor, appointment=request, deposit="1600", deposit_reference=""
        )
    assert refused.value.field == "deposit_reference"
    parts.appointment_deposit_record(
        actor=advisor, appointment=request, deposit="1599.99", deposit_reference="SJ0001"
    )
    with pytest.raises(ApplicationError):
        services.appointment_transition(actor=advisor, appointment=request, to=Status.CONFIRMED)
    parts.appointment_deposit_record(
        actor=advisor, appointment=request, deposit="1600", deposit_reference="SJ0001"
    )
    confirmed = services.appointment_transition(actor=advisor, appointment=request, to=Status.CONFIRMED)
    assert confirmed.status == Status.CONFIRMED and confirmed.deposit == Decimal("1600.00")


def test_the_threshold_is_a_setting(shop, store_a, advisor, gearbox, settings):
    settings.DEPOSIT_PART_THRESHOLD = 5000
    request = book(None, store_a, at(11), source="online", plate="京B22222")
    parts.appointment_part_add(actor=advisor, appointment=request, part=gearbox, quantity="1")
    assert parts.deposit_required(request) == 0
    services.appointment_transition(actor=advisor, appointment=request, to=Status.CONFIRMED)


def test_a_confirmed_booking_takes_a_high_value_part_only_with_the_deposit(booking, advisor, gearbox):
    with pytest.raises(ApplicationError) as refused:
        parts.appointment_part_add(actor=advisor, appointment=booking, part=gearbox, quantity="1")
    assert refused.value.code == "deposit" and not AppointmentPart.objects.exists()
    parts.appointment_deposit_record(
        actor=advisor, appointment=booking, deposit="1600", deposit_reference="SJ9"
    )
    parts.appointment_part_add(actor=advisor, appointment=booking, part=gearbox, quantity="1")
    # Lowering the deposit below what the parts need is refused.
    with pytest.raises(ApplicationError):
        parts.appointment_deposit_record(
            actor=advisor, appointment=booking, deposit="100", deposit_reference="SJ9"
        )


# --- shortages as purchase suggestions ----------------------------------------------------------


@pytest.fixture
def short_two(shop, store_a, advisor, oil_filter):
    """Two appointments needing 4 filters each with 5 in stock: 3 short in all."""
    first = book(advisor, store_a, at(9), plate="京A00001")
    second = book(advisor, store_a, at(14, offset=11), plate="京A00002")
    parts.appointment_part_add(actor=advisor, appointment=first, part=oil_filter, quantity="4")
    parts.appointment_part_add(actor=advisor, appointment=second, part=oil_filter, quantity="4")
    return first, second


def test_shortages_list_and_suggest(short_two, store_a, advisor, oil_filter, make_staff, advisor_b):
    first, second = short_two
    rows = parts.appointment_shortages(user=advisor, store=store_a, first=day(0), last=day(11))
    assert [(row.appointment, row.need.short) for row in rows] == [(second, Decimal("3"))]
    (total,) = parts.shortage_totals(store_a, rows)
    assert (total.part, total.short, total.available, total.on_order, total.to_order) == (
        oil_filter,
        Decimal("3"),
        Decimal("0"),
        Decimal("0"),
        Decimal("3"),
    )
    assert parts.appointment_shortages(user=advisor, store=store_a, first=day(0), last=day(0)) == []
    keeper = make_staff("warehouse", store_a)
    assert len(parts.appointment_shortages(user=keeper, store=store_a, first=day(0), last=day(11))) == 1
    assert parts.appointment_shortages(user=advisor_b, store=store_a, first=day(0), last=day(11)) == []
    assert (
        parts.appointment_shortages(
            user=make_staff("cashier", store_a), store=store_a, first=day(0), last=day(11)
        )
        == []
    )


def test_a_purchase_order_from_the_shortages_is_not_suggested_twice(
    short_two, store_a, make_staff, oil_filter
):
    keeper = make_staff("warehouse", store_a)
    supplier = Supplier.objects.create(code="HT", name="北京恒通汽配")
    order = parts.appointment_shortages_order(
        actor=keeper, store=store_a, supplier=supplier, first=day(0), last=day(11)
    )
    assert order.status == PurchaseOrder.Status.DRAFT and order.supplier == supplier
    assert [(line.part, line.quantity) for line in order.lines.all()] == [(oil_filter, Decimal("3"))]
    assert short_two[1].number in order.note
    with pytest.raises(ApplicationError) as refused:
        parts.appointment_shortages_order(
            actor=keeper, store=store_a, supplier=supplier, first=day(0), last=day(11)
        )
    assert refused.value.code == "nothing"
    assert PurchaseOrder.objects.count() == 1


# --- pages ---------------------------------------------------------------------------------------


def test_the_appointment_page_adds_and_removes_parts(booking, advisor, login, oil_filter, warehouse):
    client = login(advisor)
    page = client.get(reverse("service:appointment_detail", args=[booking.pk]))
    assert b'id="appointment-parts"' in page.content
    url = reverse("service:appointment_part_add", args=[booking.pk])
    response = client.post(url, {"part": "06l115562", "quantity": "8"})
    assert response.status_code == 302
    line = AppointmentPart.objects.get()
    assert line.quantity == Decimal("8") and level(oil_filter, warehouse).reserved == Decimal("5")
    page = client.get(reverse("service:appointment_detail", args=[booking.pk]))
    assert b'data-short="3"' in page.content
    removed = client.post(
        reverse("service:appointment_part_remove", args=[booking.pk, line.pk]),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="appointment-parts",
    )
    assert removed.status_code == 200 and removed.content.lstrip().startswith(
        b'<div class="card mb-3" id="appointment-parts"'
    )
    assert not AppointmentPart.objects.exists() and level(oil_filter, warehouse).reserved == 0


def test_bad_part_input_changes_nothing(booking, advisor, login, oil_filter):
    client = login(advisor)
    url = reverse("service:appointment_part_add", args=[booking.pk])
    for data in ({"part": "NOSUCH", "quantity": "1"}, {"part": oil_filter.code, "quantity": "-1"}):
        response = client.post(url, data, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="appointment-parts")
        assert response.status_code == 200 and b"invalid-feedback" in response.content
    assert not AppointmentPart.objects.exists()


def test_the_deposit_form(booking, advisor, login):
    client = login(advisor)
    url = reverse("service:appointment_deposit", args=[booking.pk])
    client.post(url, {"deposit": "500", "deposit_reference": ""})
    assert Appointment.objects.get(pk=booking.pk).deposit == 0
    client.post(url, {"deposit": "500", "deposit_reference": "SJ0009"})
    assert Appointment.objects.get(pk=booking.pk).deposit == Decimal("500.00")


def test_part_pages_permissions(booking, store_a, make_staff, login, oil_filter, advisor_b, client):
    url = reverse("service:appointment_part_add", args=[booking.pk])
    data = {"part": oil_filter.code, "quantity": "1"}
    assert login(make_staff("technician", store_a)).post(url, data).status_code == 403
    assert login(advisor_b).post(url, data).status_code == 404
    assert client.get(url).status_code == 405  # POST only
    assert not AppointmentPart.objects.exists()


def test_the_shortages_page_and_its_order(
    short_two, store_a, advisor, make_staff, login, django_assert_max_num_queries
):
    # More appointments short: the number of queries stays the same.
    for n in range(6):
        extra = book(advisor, store_a, at(9 + n, offset=5), plate=f"京A1000{n}")
        part = PartFactory(code=f"EXTRA{n}")
        parts.appointment_part_add(actor=advisor, appointment=extra, part=part, quantity="2")
    keeper = make_staff("warehouse", store_a)
    client = login(keeper)
    url = reverse("service:appointment_shortages")
    period = {"from": day(0).isoformat(), "to": day(11).isoformat()}
    with django_assert_max_num_queries(16):
        page = client.get(url, period)
    assert page.status_code == 200 and page.content.count(b"data-to-order=") == 7
    supplier = Supplier.objects.create(code="HT", name="北京恒通汽配")
    response = client.post(
        reverse("service:appointment_shortages_order"),
        {**period, "supplier": supplier.pk, "part": [PartFactory._meta.model.objects.get(code="EXTRA0").pk]},
    )
    order = PurchaseOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "parts:purchase_order", args=[order.pk]
    )
    assert [line.part.code for line in order.lines.all()] == ["EXTRA0"]
    # The advisor sees the page but may not order; the cashier sees neither.
    login(advisor)
    assert client.get(url, period).status_code == 200
    assert (
        client.post(
            reverse("service:appointment_shortages_order"), {**period, "supplier": supplier.pk}
        ).status_code
        == 403
    )
    login(make_staff("cashier", store_a))
    assert client.get(url).status_code == 403
    assert PurchaseOrder.objects.count() == 1


def test_another_stores_appointment_parts_are_404(booking, advisor, oil_filter, make_staff, store_b, login):
    line = parts.appointment_part_add(actor=advisor, appointment=booking, part=oil_filter, quantity="1")
    client = login(make_staff("store_manager", store_b))
    for name, args in [
        ("service:appointment_part_add", [booking.pk]),
        ("service:appointment_part_remove", [booking.pk, line.pk]),
        ("service:appointment_parts_reserve", [booking.pk]),
        ("service:appointment_deposit", [booking.pk]),
    ]:
        assert (
            client.post(reverse(name, args=args), {"part": oil_filter.code, "quantity": "1"}).status_code
            == 404
        )
    # The shortages page of store B shows nothing of store A.
    page = client.get(
        reverse("service:appointment_shortages"), {"from": day(0).isoformat(), "to": day(20).isoformat()}
    )
    assert page.status_code == 200 and booking.number.encode() not in page.content
    assert AppointmentPart.objects.count() == 1
