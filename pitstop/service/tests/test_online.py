"""The owners' public booking page: no login, the store's free times by HTMX, the request lands
in the advisor's list to confirm; closed and unknown stores; the honeypot; the limits per
mobile, per plate (database) and per address (cache) answering 429; the match to the vehicle
on file only when plate and mobile both match; bad input changing nothing."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse

from pitstop.customers.tests.factories import CustomerFactory, VehicleFactory
from pitstop.messaging.models import OutboundMessage
from pitstop.service import online
from pitstop.service.models import Appointment, BayType, WorkshopSettings

from .booking import at, book, day, workshop
from .factories import CannedJobFactory, CannedJobLineFactory, LabourOperationFactory

pytestmark = pytest.mark.django_db
Status = Appointment.Status


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def shop(store_a):
    store_a.address = "北京市朝阳区酒仙桥路10号"
    store_a.save()
    return workshop(store_a, maintenance=1, body=1)


@pytest.fixture
def job(shop):
    """首保: 1.5 hours of maintenance labour."""
    job = CannedJobFactory(name="首保")
    CannedJobLineFactory(
        job=job, labour=LabourOperationFactory(standard_hours=Decimal("1.5")), quantity="1.5"
    )
    return job


def url(store) -> str:
    return reverse("service:book_online", args=[store.code])


def form(job=None, **changes) -> dict:
    data = {
        "plate": "京N12345",
        "mobile": "13800001111",
        "contact_name": "王先生",
        "service": f"job-{job.pk}" if job else online.OTHER,
        "bay_type": BayType.MAINTENANCE,
        "wish": "" if job else "空调不制冷",
        "day": day(3).isoformat(),
        "time": "10:00",
        "website": "",
    }
    data.update(changes)
    return data


def test_the_page_is_public_and_names_the_store(client, shop, store_a, job, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = client.get(url(store_a))
    assert response.status_code == 200
    content = response.content.decode()
    assert store_a.name in content and store_a.address in content
    assert f'value="job-{job.pk}"' in content and 'id="online-days"' in content
    assert client.get(reverse("service:book_online", args=["NOPE"])).status_code == 404


def test_a_closed_store_says_so_politely(client, shop, store_a):
    WorkshopSettings.objects.filter(store=store_a).update(online_booking=False)
    response = client.get(url(store_a))
    assert response.status_code == 200 and b"data-online-closed" in response.content
    assert b'id="online-form"' not in response.content
    assert client.post(url(store_a), form()).status_code == 200
    assert not Appointment.objects.exists()


def test_the_slots_refresh_by_htmx_for_the_day_and_service(client, shop, store_a, job):
    book(None, store_a, at(10, offset=3), hours="1")  # the one maintenance bay, 10:00–11:00
    response = client.get(
        url(store_a),
        {"day": day(3).isoformat(), "service": f"job-{job.pk}"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="online-slots",
    )
    content = response.content.decode()
    assert response.status_code == 200 and content.lstrip().startswith('<div id="online-slots"')
    assert f'data-day="{day(3).isoformat()}"' in content
    times = [line.split('value="')[1][:5] for line in content.split("<input")[1:]]
    # 1.5 hours: from 08:30 must end by 10:00; the next start is 11:00; last start 16:30.
    assert times[0] == "08:30" and "09:00" not in times and "10:00" not in times and "11:00" in times
    assert times[-1] == "16:30"
    # The body bay (another type) is free at 10:00.
    other = client.get(
        url(store_a),
        {"day": day(3).isoformat(), "service": online.OTHER, "bay_type": BayType.BODY},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="online-slots",
    )
    assert 'value="10:00"' in other.content.decode()


def test_an_owner_books_and_the_advisor_sees_it_to_confirm(client, shop, store_a, job, advisor, login):
    response = client.post(url(store_a), form(job))
    assert response.status_code == 302
    assert response["Location"] == reverse("service:book_online_done", args=[store_a.code])
    appointment = Appointment.objects.get()
    assert appointment.status == Status.REQUESTED and appointment.source == Appointment.Source.ONLINE
    assert appointment.store == store_a and appointment.plate == "京N12345"
    assert appointment.mobile == "13800001111" and appointment.contact_name == "王先生"
    assert appointment.bay_type == BayType.MAINTENANCE and appointment.hours == Decimal("1.5")
    assert appointment.starts_at == at(10, offset=3) and appointment.content == "首保"
    assert appointment.vehicle is None and appointment.customer is None
    assert not OutboundMessage.objects.exists()  # the SMS goes when the advisor confirms
    done = client.get(response["Location"])
    assert done.status_code == 200 and f'data-number="{appointment.number}"'.encode() in done.content
    page = login(advisor).get(reverse("service:appointment_to_confirm"))
    assert appointment.number in page.content.decode()


def test_free_text_needs_words_and_takes_the_kind_of_work(client, shop, store_a):
    assert client.post(url(store_a), form(wish="")).status_code == 400
    assert not Appointment.objects.exists()
    assert client.post(url(store_a), form(bay_type=BayType.BODY)).status_code == 302
    appointment = Appointment.objects.get()
    assert appointment.bay_type == BayType.BODY and appointment.content == "空调不制冷"
    assert appointment.hours == Decimal("1")


@pytest.mark.parametrize(
    "changes",
    [
        {"mobile": "12345"},
        {"plate": "ABC"},
        {"time": ""},
        {"time": "10:10"},  # off the slot grid
        {"day": day(40).isoformat()},  # beyond the days offered
        {"service": ""},
        {"service": "job-999999"},
    ],
)
def test_bad_input_changes_nothing(client, shop, store_a, changes):
    response = client.post(url(store_a), form(**changes))
    assert response.status_code == 400
    assert not Appointment.objects.exists()


def test_a_full_slot_is_refused_on_the_time(client, shop, store_a):
    book(None, store_a, at(10, offset=3), bay_type=BayType.BODY, plate="京C00001")
    response = client.post(url(store_a), form(bay_type=BayType.BODY))
    assert response.status_code == 400
    assert response.context["form"].errors["time"]
    assert Appointment.objects.count() == 1


def test_the_honeypot_keeps_nothing(client, shop, store_a):
    response = client.post(url(store_a), form(website="http://spam.example"))
    assert response.status_code == 302 and not Appointment.objects.exists()


def test_at_most_three_requests_a_day_per_mobile(client, shop, store_a):
    for n, hour in enumerate((9, 11, 14)):
        response = client.post(url(store_a), form(plate=f"京N1000{n}", time=f"{hour:02d}:00"))
        assert response.status_code == 302
    refused = client.post(url(store_a), form(plate="京N10009", time="16:00"))
    assert refused.status_code == 429 and b'id="booking-error"' in refused.content
    assert Appointment.objects.count() == 3


def test_at_most_two_open_requests_per_plate(client, shop, store_a):
    for n, hour in enumerate((9, 11)):
        assert (
            client.post(url(store_a), form(mobile=f"1380000200{n}", time=f"{hour:02d}:00")).status_code == 302
        )
    refused = client.post(url(store_a), form(mobile="13800002009", time="14:00"))
    assert refused.status_code == 429
    assert Appointment.objects.count() == 2
    # A cancelled request no longer counts.
    Appointment.objects.filter(starts_at=at(9, offset=3)).update(status=Status.CANCELLED)
    assert client.post(url(store_a), form(mobile="13800002009", time="14:00")).status_code == 302


def test_per_address_limit_in_the_cache(client, shop, store_a, settings):
    settings.ONLINE_BOOKING_PER_IP_PER_HOUR = 2
    assert (
        client.post(url(store_a), form(mobile="13800003001", plate="京N30001", time="09:00")).status_code
        == 302
    )
    assert client.post(url(store_a), form(mobile="bad")).status_code == 400  # counted too
    refused = client.post(url(store_a), form(mobile="13800003003", plate="京N30003", time="14:00"))
    assert refused.status_code == 429 and Appointment.objects.count() == 1
    # Another address is not held back.
    other = client.post(
        url(store_a), form(mobile="13800003004", plate="京N30004", time="14:00"), REMOTE_ADDR="10.1.2.3"
    )
    assert other.status_code == 302


def test_the_refusal_speaks_the_owners_language(client, shop, store_a, settings):
    settings.ONLINE_BOOKING_PER_IP_PER_HOUR = 0
    chinese = client.post(url(store_a), form())
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.post(url(store_a), form())
    assert chinese.status_code == english.status_code == 429
    assert chinese["Content-Language"] == "zh-hans" and english["Content-Language"] == "en"
    assert chinese.context["booking_error"] and english.context["booking_error"]


def test_the_vehicle_on_file_is_linked_only_when_plate_and_mobile_both_match(client, shop, store_a, store_b):
    zhang = CustomerFactory(store=store_a, name="张伟", mobile="13800001111")
    passat = VehicleFactory(owner=zhang, plate="京N12345")
    assert client.post(url(store_a), form(time="09:00")).status_code == 302
    linked = Appointment.objects.get()
    assert linked.vehicle == passat and linked.customer == zhang and linked.contact_name == "王先生"
    # The same plate with another mobile keeps the typed values.
    assert client.post(url(store_a), form(mobile="13800009999", time="14:00")).status_code == 302
    typed = Appointment.objects.get(mobile="13800009999")
    assert typed.vehicle is None and typed.customer is None
    # Another store's file is never linked.
    other = CustomerFactory(store=store_b, mobile="13700001111")
    VehicleFactory(owner=other, plate="沪A55555")
    response = client.post(url(store_a), form(plate="沪A55555", mobile="13700001111", time="11:00"))
    assert response.status_code == 302
    assert Appointment.objects.get(plate="沪A55555").vehicle is None


def test_show_free_times_works_without_javascript(client, shop, store_a, job):
    response = client.post(url(store_a), {**form(job), "show": "1", "time": ""})
    assert response.status_code == 200 and not Appointment.objects.exists()
    content = response.content.decode()
    assert 'value="京N12345"' in content and 'name="time"' in content
    assert "invalid-feedback" not in content  # nothing judged yet
