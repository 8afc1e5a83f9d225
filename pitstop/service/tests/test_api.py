"""/api/v1/appointments/: list with filters, create through the booking service (a full slot
answers 400 with the nearest free times), the state moves, scoping and the schema."""

import pytest
from rest_framework.test import APIClient

from pitstop.messaging.models import OutboundMessage
from pitstop.service.models import Appointment, BayType

from .booking import at, book, day, workshop

pytestmark = pytest.mark.django_db
URL = "/api/v1/appointments/"


@pytest.fixture
def api():
    def _api(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return _api


@pytest.fixture
def shop(store_a):
    return workshop(store_a, maintenance=1)


def _booking(**changes) -> dict:
    return {
        "starts_at": at(10).isoformat(),
        "bay_type": BayType.MAINTENANCE,
        "hours": "1",
        "plate": "京A12345",
        "mobile": "13812345678",
        "contact_name": "张伟",
        "content": "更换前刹车片",
        **changes,
    }


def test_create_books_and_a_full_slot_answers_with_the_free_times(shop, store_a, advisor, api):
    client = api(advisor)
    response = client.post(URL, _booking(), format="json")
    assert response.status_code == 201, response.data
    assert response.data["number"] == "YYBJ01000001" and response.data["status"] == "confirmed"
    assert response.data["store"] == store_a.pk
    refused = client.post(URL, _booking(plate="京B67890"), format="json")
    assert refused.status_code == 400
    assert "starts_at" in refused.data
    assert refused.data["free"] == [at(9).isoformat(), at(11).isoformat(), at(11, 30).isoformat()]
    assert Appointment.objects.count() == 1


def test_bad_mobile_answers_400_on_the_field(shop, advisor, api):
    response = api(advisor).post(URL, _booking(mobile="1234"), format="json")
    assert response.status_code == 400 and "mobile" in response.data


def test_list_filters_and_scoping(shop, store_a, store_b, advisor, advisor_b, api):
    book(advisor, store_a, at(9), plate="京A00001")
    book(None, store_a, at(9, offset=11), plate="京A00002", source="online")
    listed = api(advisor).get(URL, {"date": day().isoformat()}).data["results"]
    assert [row["plate"] for row in listed] == ["京A00001"]
    listed = api(advisor).get(URL, {"status": "requested"}).data["results"]
    assert [row["plate"] for row in listed] == ["京A00002"]
    assert api(advisor_b).get(URL).data["results"] == []
    mine = Appointment.objects.get(plate="京A00001")
    assert api(advisor_b).get(f"{URL}{mine.pk}/").status_code == 404
    assert api(advisor_b).post(f"{URL}{mine.pk}/arrive/").status_code == 404


def test_state_moves_by_api(shop, store_a, advisor, make_staff, api):
    request = book(None, store_a, at(9), source="online", contact_name="王芳")
    client = api(advisor)
    response = client.post(f"{URL}{request.pk}/confirm/")
    assert response.status_code == 200 and response.data["status"] == "confirmed"
    assert OutboundMessage.objects.filter(reference_no=request.number, kind="appointment_confirmed").exists()
    again = client.post(f"{URL}{request.pk}/confirm/")
    assert again.status_code == 400 and "status" in again.data
    no_reason = client.post(f"{URL}{request.pk}/cancel/", {"note": ""}, format="json")
    assert no_reason.status_code == 400
    technician = make_staff("technician", store_a)
    assert api(technician).post(f"{URL}{request.pk}/arrive/").status_code == 403
    assert api(technician).get(f"{URL}{request.pk}/").status_code == 200
    assert api(technician).post(URL, _booking(starts_at=at(14).isoformat()), format="json").status_code == 403
    cancelled = client.post(f"{URL}{request.pk}/cancel/", {"note": "车主改期"}, format="json")
    assert cancelled.data["status"] == "cancelled" and cancelled.data["cancel_reason"] == "车主改期"


def test_the_schema_lists_the_appointment_actions(advisor, api):
    response = api(advisor).get("/api/schema/", {"format": "json"})
    paths = (
        response.json()["paths"] if response.headers["Content-Type"].startswith("application/json") else None
    )
    if paths is None:
        import yaml

        paths = yaml.safe_load(response.content)["paths"]
    for suffix in ("", "{id}/", "{id}/confirm/", "{id}/arrive/", "{id}/no-show/", "{id}/cancel/"):
        assert f"/api/v1/appointments/{suffix}" in paths


def test_the_api_masks_the_mobile_for_roles_that_do_not_see_personal_data(store_a, make_staff):
    from rest_framework.test import APIClient

    from pitstop.service.models import Appointment

    from .factories import BayFactory, StoreWorkshopFactory

    StoreWorkshopFactory(store=store_a)
    BayFactory(store=store_a, bay_type="maintenance")
    advisor, care = make_staff("advisor", store_a), make_staff("care_agent", store_a)
    api = APIClient()
    api.force_authenticate(advisor)
    Appointment.objects.create(
        store=store_a,
        number="YY1",
        mobile="13812345678",
        content="保养",
        starts_at="2030-01-07T02:00:00Z",
        ends_at="2030-01-07T03:00:00Z",
    )
    assert api.get("/api/v1/appointments/").json()["results"][0]["mobile"] == "13812345678"
    api.force_authenticate(care)
    assert api.get("/api/v1/appointments/").json()["results"][0]["mobile"] == "138****5678"
