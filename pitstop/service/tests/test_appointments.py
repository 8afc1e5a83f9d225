"""Appointment services and pages: booking rules, state moves with their event rows, the
confirmation SMS, scoping (another store 404, a role without the permission 403), the HTMX
partials and fixed query counts."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from pitstop.core.exceptions import ApplicationError
from pitstop.customers.tests.factories import CustomerFactory, VehicleFactory
from pitstop.messaging.models import OutboundMessage
from pitstop.service import appointments as services
from pitstop.service.models import Appointment, AppointmentEvent, BayType

from .booking import at, book, day, workshop

pytestmark = pytest.mark.django_db
Status = Appointment.Status


@pytest.fixture
def shop(store_a):
    return workshop(store_a, maintenance=2, body=1)


# --- booking ---------------------------------------------------------------------------------


def test_a_desk_booking_is_confirmed_numbered_and_the_owner_gets_the_sms(shop, store_a, advisor):
    zhang = CustomerFactory(store=store_a, name="张伟", gender="male", mobile="13812345678")
    passat = VehicleFactory(owner=zhang, plate="京A12345", model_name="帕萨特 2.0T")
    appointment = book(advisor, store_a, at(9), vehicle=passat, plate="", mobile="", hours="1.5")
    assert appointment.number == "YYBJ01000001"
    assert appointment.status == Status.CONFIRMED and appointment.accepted_by == advisor
    assert appointment.customer == zhang and appointment.plate == "京A12345"
    assert appointment.mobile == "13812345678" and appointment.model_name == "帕萨特 2.0T"
    assert appointment.ends_at == at(10, 30)
    event = AppointmentEvent.objects.get(appointment=appointment)
    assert (event.from_status, event.to_status, event.actor) == ("", Status.CONFIRMED, advisor)
    sms = OutboundMessage.objects.get(reference_type="appointment", reference_id=appointment.pk)
    assert sms.kind == "appointment_confirmed" and sms.to == "13812345678"
    assert "张先生" in sms.body and "京A12345" in sms.body and "09:00" in sms.body


def test_an_online_request_waits_for_confirmation_without_sms(shop, store_a):
    appointment = book(None, store_a, at(10), source="online", plate="沪b 12345", contact_name="王芳")
    assert appointment.status == Status.REQUESTED and appointment.plate == "沪B12345"
    assert not OutboundMessage.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"mobile": "12345"}, "mobile"),
        ({"plate": "ABC"}, "plate"),
        ({"content": " "}, "content"),
        ({"hours": "0"}, "hours"),
        ({"deposit": "500", "deposit_reference": ""}, "deposit_reference"),
    ],
)
def test_bad_input_is_refused_on_its_field_and_nothing_is_written(shop, store_a, advisor, changes, field):
    with pytest.raises(ApplicationError) as refused:
        book(advisor, store_a, at(9), **changes)
    assert refused.value.field == field
    assert not Appointment.objects.exists()


def test_a_vehicle_of_another_store_is_refused(shop, store_a, store_b, advisor):
    elsewhere = VehicleFactory(owner=CustomerFactory(store=store_b))
    with pytest.raises(ApplicationError, match="该车辆属于其他门店") as refused:
        book(advisor, store_a, at(9), vehicle=elsewhere)
    assert refused.value.field == "vehicle" and not Appointment.objects.exists()


def test_a_time_in_the_past_is_refused(shop, store_a, advisor):
    with pytest.raises(ApplicationError) as refused:
        book(advisor, store_a, at(9, offset=-3))
    assert refused.value.code == "past"


# --- state moves -----------------------------------------------------------------------------


def test_confirming_an_online_request_writes_the_event_and_queues_the_sms(shop, store_a, advisor):
    request = book(None, store_a, at(10), source="online", contact_name="王芳")
    confirmed = services.appointment_transition(actor=advisor, appointment=request, to=Status.CONFIRMED)
    assert confirmed.status == Status.CONFIRMED and confirmed.accepted_by == advisor
    event = confirmed.events.last()
    assert (event.from_status, event.to_status, event.actor) == (Status.REQUESTED, Status.CONFIRMED, advisor)
    sms = OutboundMessage.objects.get(reference_no=confirmed.number)
    assert sms.body.startswith("【北京朝阳店】王芳您好")


def test_arrived_and_no_show_and_cancel(shop, store_a, advisor):
    first = book(advisor, store_a, at(9))
    arrived = services.appointment_transition(actor=advisor, appointment=first, to=Status.ARRIVED)
    assert arrived.status == Status.ARRIVED and arrived.arrived_at is not None
    second = book(advisor, store_a, at(11))
    with pytest.raises(ApplicationError) as early:
        services.appointment_transition(actor=advisor, appointment=second, to=Status.NO_SHOW)
    assert early.value.code == "too_early"
    Appointment.objects.filter(pk=second.pk).update(starts_at=timezone.now() - datetime.timedelta(hours=2))
    assert (
        services.appointment_transition(actor=advisor, appointment=second, to=Status.NO_SHOW).status
        == "no_show"
    )
    third = book(advisor, store_a, at(14))
    with pytest.raises(ApplicationError) as no_reason:
        services.appointment_transition(actor=advisor, appointment=third, to=Status.CANCELLED, note=" ")
    assert no_reason.value.code == "reason"
    cancelled = services.appointment_transition(
        actor=advisor, appointment=third, to=Status.CANCELLED, note="车主出差，改期再约"
    )
    assert cancelled.cancel_reason == "车主出差，改期再约"
    assert list(cancelled.events.values_list("from_status", "to_status", "note"))[-1] == (
        Status.CONFIRMED,
        Status.CANCELLED,
        "车主出差，改期再约",
    )


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (Status.ARRIVED, Status.CANCELLED),
        (Status.CANCELLED, Status.CONFIRMED),
        (Status.NO_SHOW, Status.ARRIVED),
        (Status.REQUESTED, Status.ARRIVED),
        (Status.CONFIRMED, Status.CONFIRMED),
    ],
)
def test_a_move_the_state_does_not_allow_is_refused_naming_both(shop, store_a, advisor, start, to):
    appointment = book(advisor, store_a, at(9))
    Appointment.objects.filter(pk=appointment.pk).update(status=start)
    with pytest.raises(ApplicationError) as refused:
        services.appointment_transition(actor=advisor, appointment=appointment, to=to, note="原因")
    message = str(refused.value.message)
    assert str(Status(start).label) in message and str(Status(to).label) in message
    assert appointment.events.count() == 1


def test_moving_checks_capacity_without_counting_itself(shop, store_a, advisor):
    workshop(store_a, maintenance=0)  # still the two bays of the fixture
    mine = book(advisor, store_a, at(9), hours="2")
    book(advisor, store_a, at(11), plate="京B67890")
    book(advisor, store_a, at(11), plate="京C11111")
    moved = services.appointment_move(actor=advisor, appointment=mine, starts_at=at(9, 30), hours="1.5")
    assert moved.starts_at == at(9, 30) and moved.ends_at == at(11)
    with pytest.raises(ApplicationError) as refused:
        services.appointment_move(actor=advisor, appointment=mine, starts_at=at(10, 30))
    assert refused.value.code == "slot_full" and refused.value.extra["free"]
    note = moved.events.last().note
    assert "改期" in note and note.index("09:00") < note.index("09:30")


# --- pages -----------------------------------------------------------------------------------


def test_booking_from_the_page_and_a_full_slot_shows_the_nearest_free_times(shop, store_a, advisor, login):
    client = login(advisor)
    data = {
        "plate": "京A12345",
        "mobile": "13812345678",
        "contact_name": "张伟",
        "bay_type": BayType.BODY,
        "day": day().isoformat(),
        "time": "10:00",
        "hours": "1",
        "content": "右前门钣金喷漆",
        "reminder": "sms",
    }
    response = client.post(reverse("service:appointment_new"), data)
    first = Appointment.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "service:appointment_detail", args=[first.pk]
    )
    response = client.post(reverse("service:appointment_new"), {**data, "plate": "京B67890"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "11:00" in page and 'name="pick"' in page
    picked = at(11).isoformat()
    response = client.post(reverse("service:appointment_new"), {**data, "plate": "京B67890", "pick": picked})
    assert response.status_code == 302
    assert Appointment.objects.get(plate="京B67890").starts_at == at(11)


def test_the_slot_choices_partial_lists_the_free_times(shop, store_a, advisor, login):
    book(advisor, store_a, at(8, 30), hours="9.5", bay_type=BayType.BODY)  # the body bay all day
    client = login(advisor)
    url = reverse("service:appointment_new")
    params = {"bay_type": BayType.BODY, "day": day().isoformat(), "hours": "1"}
    response = client.get(url, params, headers={"HX-Request": "true", "HX-Target": "slot-choices"})
    page = response.content.decode()
    assert response.status_code == 200 and page.lstrip().startswith('<div id="slot-choices"')
    assert 'value="09:00"' not in page
    params["bay_type"] = BayType.MAINTENANCE
    page = client.get(
        url, params, headers={"HX-Request": "true", "HX-Target": "slot-choices"}
    ).content.decode()
    assert 'value="09:00"' in page and 'value="17:00"' in page
    assert 'value="17:30"' not in page  # an hour from 17:30 runs past closing


def test_the_day_view_shows_used_and_capacity_in_fixed_queries(
    shop, store_a, advisor, login, django_assert_num_queries
):
    client = login(advisor)
    url = reverse("service:appointment_day") + f"?date={day().isoformat()}"
    book(advisor, store_a, at(9), plate="京A00001")
    client.get(url)  # sessions and permissions warmed up

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries)

    few = count()
    for n, hour in enumerate((10, 11, 13, 14, 15)):
        book(advisor, store_a, at(hour), plate=f"京A1000{n}")
    with django_assert_num_queries(few):
        response = client.get(url)
    page = response.content.decode()
    assert "京A10004" in page and "1 / 2" in page
    partial = client.get(url, headers={"HX-Request": "true", "HX-Target": "day-board"}).content.decode()
    assert partial.lstrip().startswith('<div id="day-board"') and "<html" not in partial


def test_the_week_view_and_tomorrow_and_to_confirm(shop, store_a, advisor, make_staff, login):
    book(None, store_a, at(9, offset=1), source="online", plate="京A12345", content="首保")
    dispatcher = make_staff("dispatcher", store_a)
    client = login(dispatcher)
    assert "京A12345" in client.get(reverse("service:appointment_tomorrow")).content.decode()
    week = client.get(reverse("service:appointment_week") + f"?date={day(1).isoformat()}").content.decode()
    assert "京A12345" in week
    to_confirm = client.get(reverse("service:appointment_to_confirm")).content.decode()
    assert "京A12345" in to_confirm and 'value="confirmed"' not in to_confirm  # the dispatcher only views
    assert client.get(reverse("service:appointment_new")).status_code == 403


def test_the_page_moves_the_state_and_refuses_what_is_not_allowed(shop, store_a, advisor, login):
    appointment = book(None, store_a, at(9), source="online", contact_name="李娜")
    client = login(advisor)
    url = reverse("service:appointment_status", args=[appointment.pk])
    client.post(url, {"to": "confirmed"})
    appointment.refresh_from_db()
    assert appointment.status == Status.CONFIRMED
    response = client.post(url, {"to": "cancelled", "note": ""}, follow=True)
    assert "请填写取消原因。" in response.content.decode()  # the refusal, not the field label
    appointment.refresh_from_db()
    assert appointment.status == Status.CONFIRMED
    detail = client.get(reverse("service:appointment_detail", args=[appointment.pk])).content.decode()
    assert "appointment-events" in detail and 'value="arrived"' in detail
    slip = client.get(reverse("service:appointment_slip", args=[appointment.pk])).content.decode()
    assert "北京朝阳店" in slip and appointment.number in slip


def test_another_store_answers_404_and_a_role_without_permission_403(
    shop, store_a, store_b, advisor, advisor_b, make_staff, login
):
    appointment = book(advisor, store_a, at(9))
    client = login(advisor_b)
    for name in ("appointment_detail", "appointment_slip", "appointment_move"):
        assert client.get(reverse(f"service:{name}", args=[appointment.pk])).status_code == 404
    assert (
        client.post(
            reverse("service:appointment_status", args=[appointment.pk]), {"to": "arrived"}
        ).status_code
        == 404
    )
    warehouse = make_staff("warehouse", store_a)
    client = login(warehouse)
    assert client.get(reverse("service:appointment_day")).status_code == 403
    assert client.get(reverse("service:appointment_detail", args=[appointment.pk])).status_code == 404
    technician = make_staff("technician", store_a)
    client = login(technician)
    assert client.get(reverse("service:appointment_detail", args=[appointment.pk])).status_code == 200
    assert (
        client.post(
            reverse("service:appointment_status", args=[appointment.pk]), {"to": "arrived"}
        ).status_code
        == 403
    )
    assert client.get(reverse("service:appointment_move", args=[appointment.pk])).status_code == 403
    appointment.refresh_from_db()
    assert appointment.status == Status.CONFIRMED


def test_customer_care_sees_the_mobile_masked(shop, store_a, care_agent, login):
    book(None, store_a, at(9), source="online", mobile="13812345678", contact_name="赵敏")
    page = login(care_agent).get(reverse("service:appointment_to_confirm")).content.decode()
    assert "138****5678" in page and "13812345678" not in page
