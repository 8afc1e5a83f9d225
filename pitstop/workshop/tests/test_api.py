"""/api/v1/repair-orders/: the list with its filters, paging, masked mobiles and a fixed number
of queries; one order with vehicle, state, lines, totals and assignments; each state change
through the same services as the pages: allowed, refused naming both states (400), a role
without the permission (403), another store's order (404); and the OpenAPI schema."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from rest_framework.test import APIClient

from pitstop.customers.tests.factories import CustomerFactory, VehicleFactory
from pitstop.service.models import Approval, RepairOrder, RepairOrderEvent
from pitstop.service.tests.factories import (
    OrderLabourFactory,
    OrderPartFactory,
    RepairOrderFactory,
    StoreWorkshopFactory,
)
from pitstop.workshop.models import Assignment, QualityCheck, TimeEntry

from .factories import AssignmentFactory

pytestmark = pytest.mark.django_db
Status = RepairOrder.Status
URL = "/api/v1/repair-orders/"


@pytest.fixture
def api():
    def _api(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return _api


@pytest.fixture
def staff(store_a, make_staff, advisor):
    return {
        "advisor": advisor,
        "dispatcher": make_staff("dispatcher", store_a),
        "technician": make_staff("technician", store_a),
        "team_leader": make_staff("team_leader", store_a),
        "qc": make_staff("qc_inspector", store_a),
        "cashier": make_staff("cashier", store_a),
    }


@pytest.fixture
def make_order(store_a, advisor):
    StoreWorkshopFactory(store=store_a)
    counter = iter(range(1000))

    def _make(status=Status.DRAFT, plate=None, mobile=None, lines=True, **fields):
        mobile = mobile or f"1391234{next(counter):04d}"
        owner = CustomerFactory(store=store_a, name="张伟", mobile=mobile)
        vehicle = VehicleFactory(owner=owner, **({"plate": plate} if plate else {}))
        order = RepairOrderFactory(vehicle=vehicle, advisor=advisor, status=status, mobile=mobile, **fields)
        if lines:
            OrderLabourFactory(
                order=order, name="更换机油机滤", hours=Decimal("1.000"), amount=Decimal("120.00")
            )
            OrderPartFactory(order=order, name="机油滤清器", amount=Decimal("58.00"))
        return order

    return _make


def labels(*states) -> list[str]:
    with translation.override("zh-hans"):
        return [str(Status(state).label) for state in states]


def assert_refused(response, order, to):
    assert response.status_code == 400, response.data
    assert response.data["code"] == "transition"
    message = response.data["status"][0]
    for label in labels(order.status, to):
        assert label in message
    assert RepairOrder.objects.get(pk=order.pk).status == order.status


# --- reading -------------------------------------------------------------------------------------


def test_list_with_filters_paging_and_fixed_queries(
    make_order, staff, api, store_b, make_staff, django_assert_max_num_queries
):
    passat = make_order(Status.DRAFT, plate="京A12345", mobile="13812345678")
    for n in range(4):
        order = make_order(Status.DISPATCHED, plate=f"京B0000{n}")
        assignment = AssignmentFactory(order=order)
        assignment.technicians.set([staff["technician"]])
    client = api(staff["advisor"])
    with django_assert_max_num_queries(12):
        response = client.get(URL)
    assert response.status_code == 200 and response.data["count"] == 5
    row = next(r for r in response.data["results"] if r["id"] == passat.pk)
    assert row["vehicle"] == {
        "id": passat.vehicle_id,
        "plate": "京A12345",
        "vin": passat.vehicle.vin,
        "model": passat.vehicle.model_name,
    }
    assert row["state"] == "draft" and row["mobile"] == "13812345678"
    assert [line["name"] for line in row["labour_lines"]] == ["更换机油机滤"]
    assert [line["name"] for line in row["part_lines"]] == ["机油滤清器"]
    assert set(row["totals"]) == {"labour", "parts", "total", "hours"}
    assert client.get(URL, {"state": "dispatched"}).data["count"] == 4
    assert client.get(URL, {"state": ["dispatched", "draft"]}).data["count"] == 5
    assert [r["id"] for r in client.get(URL, {"plate": "京a12345"}).data["results"]] == [passat.pk]
    assert client.get(URL, {"vehicle": passat.vehicle_id}).data["count"] == 1
    today = timezone.localdate()
    assert (
        client.get(URL, {"opened_from": today.isoformat(), "opened_to": today.isoformat()}).data["count"] == 5
    )
    assert (
        client.get(URL, {"opened_from": (today + datetime.timedelta(days=1)).isoformat()}).data["count"] == 0
    )
    paged = client.get(URL, {"page_size": 2})
    assert len(paged.data["results"]) == 2 and paged.data["next"]
    dispatched = client.get(URL, {"state": "dispatched"}).data["results"][0]
    assert dispatched["assignments"][0]["technicians"] == [staff["technician"].pk]
    # Another store sees nothing.
    assert api(make_staff("advisor", store_b)).get(URL).data["count"] == 0


def test_the_mobile_is_masked_for_roles_without_personal_data(make_order, staff, api):
    order = make_order(mobile="13812345678")
    data = api(staff["technician"]).get(f"{URL}{order.pk}/").data
    assert data["mobile"] == "138****5678"


def test_another_stores_order_is_404(make_order, api, make_staff, store_b):
    order = make_order()
    stranger = make_staff("store_manager", store_b)
    client = api(stranger)
    assert client.get(f"{URL}{order.pk}/").status_code == 404
    for action in ("sign", "cancel", "start", "wait-parts", "washed", "dispatch", "check"):
        assert client.post(f"{URL}{order.pk}/{action}/", {}, format="json").status_code == 404
    assert RepairOrder.objects.get(pk=order.pk).status == Status.DRAFT


# --- the moves -----------------------------------------------------------------------------------


def test_sign(make_order, staff, api):
    order = make_order()
    assert api(staff["technician"]).post(f"{URL}{order.pk}/sign/", {"on_paper": True}).status_code == 403
    client = api(staff["advisor"])
    unsigned = client.post(f"{URL}{order.pk}/sign/", {}, format="json")
    assert unsigned.status_code == 400 and "signature" in unsigned.data
    response = client.post(f"{URL}{order.pk}/sign/", {"on_paper": True, "free_wash": False}, format="json")
    assert response.status_code == 200, response.data
    assert response.data["state"] == "confirmed" and response.data["signed_on_paper"] is True
    assert response.data["free_wash"] is False
    order.refresh_from_db()
    assert_refused(
        client.post(f"{URL}{order.pk}/sign/", {"on_paper": True}, format="json"), order, Status.CONFIRMED
    )


def test_dispatch(make_order, staff, api, store_a):
    order = make_order(Status.CONFIRMED)
    start = timezone.now() + datetime.timedelta(minutes=10)
    body = {
        "bay_type": "maintenance",
        "planned_start": start.isoformat(),
        "planned_end": (start + datetime.timedelta(hours=1)).isoformat(),
        "technicians": [staff["technician"].pk],
    }
    assert api(staff["advisor"]).post(f"{URL}{order.pk}/dispatch/", body, format="json").status_code == 403
    client = api(staff["dispatcher"])
    bad = client.post(f"{URL}{order.pk}/dispatch/", {**body, "bay": 999999}, format="json")
    assert bad.status_code == 400 and "bay" in bad.data
    response = client.post(f"{URL}{order.pk}/dispatch/", body, format="json")
    assert response.status_code == 200, response.data
    assert response.data["state"] == "dispatched"
    assert response.data["assignments"][0]["technicians"] == [staff["technician"].pk]
    draft = make_order()
    assert_refused(client.post(f"{URL}{draft.pk}/dispatch/", body, format="json"), draft, Status.DISPATCHED)
    assert Assignment.objects.count() == 1


@pytest.mark.parametrize("action", ["start", "clock-on"])
def test_start_clocks_on(make_order, staff, api, action):
    order = make_order(Status.DISPATCHED)
    assert api(staff["advisor"]).post(f"{URL}{order.pk}/{action}/").status_code == 403
    response = api(staff["technician"]).post(f"{URL}{order.pk}/{action}/")
    assert response.status_code == 200, response.data
    assert response.data["state"] == "in_progress"
    assert TimeEntry.objects.get().technician == staff["technician"]
    confirmed = make_order(Status.CONFIRMED)
    assert_refused(
        api(staff["technician"]).post(f"{URL}{confirmed.pk}/{action}/"), confirmed, Status.IN_PROGRESS
    )


def test_wait_for_parts_and_resume(make_order, staff, api):
    order = make_order(Status.IN_PROGRESS)
    client = api(staff["technician"])
    response = client.post(f"{URL}{order.pk}/wait-parts/", {"note": "等刹车片到货"}, format="json")
    assert response.status_code == 200 and response.data["state"] == "waiting_parts"
    assert RepairOrderEvent.objects.filter(
        order=order, to_status=Status.WAITING_PARTS, note="等刹车片到货"
    ).exists()
    assert api(staff["cashier"]).post(f"{URL}{order.pk}/resume/").status_code == 403
    response = client.post(f"{URL}{order.pk}/resume/")
    assert response.status_code == 200 and response.data["state"] == "in_progress"
    draft = make_order()
    assert_refused(client.post(f"{URL}{draft.pk}/wait-parts/"), draft, Status.WAITING_PARTS)
    assert_refused(client.post(f"{URL}{draft.pk}/resume/"), draft, Status.IN_PROGRESS)


def test_wait_for_approval_needs_pending_add_ons(make_order, staff, api):
    order = make_order(Status.IN_PROGRESS)
    client = api(staff["technician"])
    refused = client.post(f"{URL}{order.pk}/wait-approval/")
    assert refused.status_code == 400 and refused.data["code"] == "nothing_pending"
    OrderLabourFactory(order=order, name="更换刹车片", is_addon=True, approval=Approval.PENDING)
    response = client.post(f"{URL}{order.pk}/wait-approval/")
    assert response.status_code == 200 and response.data["state"] == "waiting_approval"


def test_check(make_order, staff, api):
    order = make_order(Status.IN_PROGRESS)
    body = {"stage": "self", "passed": True}
    assert api(staff["qc"]).post(f"{URL}{order.pk}/check/", body, format="json").status_code == 403
    response = api(staff["technician"]).post(f"{URL}{order.pk}/check/", body, format="json")
    assert response.status_code == 200, response.data
    assert response.data["state"] == "checking"
    assert QualityCheck.objects.get(order=order).stage == "self"
    # The final inspection before the team leader's check is refused.
    early = api(staff["qc"]).post(
        f"{URL}{order.pk}/check/", {"stage": "final", "passed": True}, format="json"
    )
    assert early.status_code == 400 and "stage" in early.data


def test_washed(make_order, staff, api):
    order = make_order(Status.WASHING)
    assert api(staff["technician"]).post(f"{URL}{order.pk}/washed/").status_code == 403
    response = api(staff["advisor"]).post(f"{URL}{order.pk}/washed/")
    assert response.status_code == 200, response.data
    assert response.data["state"] == "ready" and response.data["ready_at"]
    checking = make_order(Status.CHECKING)
    assert_refused(api(staff["advisor"]).post(f"{URL}{checking.pk}/washed/"), checking, Status.READY)


def test_cancel(make_order, staff, api):
    order = make_order()
    assert api(staff["technician"]).post(f"{URL}{order.pk}/cancel/", {"reason": "x"}).status_code == 403
    client = api(staff["advisor"])
    no_reason = client.post(f"{URL}{order.pk}/cancel/", {"reason": ""}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.data
    response = client.post(f"{URL}{order.pk}/cancel/", {"reason": "车主不修了"}, format="json")
    assert response.status_code == 200 and response.data["state"] == "cancelled"
    assert response.data["cancel_reason"] == "车主不修了"
    working = make_order(Status.IN_PROGRESS)
    assert_refused(
        client.post(f"{URL}{working.pk}/cancel/", {"reason": "x"}, format="json"), working, Status.CANCELLED
    )


# --- the schema ----------------------------------------------------------------------------------


def test_the_schema_lists_every_action_and_validates(advisor, api, tmp_path):
    response = api(advisor).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    for suffix in (
        "",
        "{id}/",
        "{id}/sign/",
        "{id}/dispatch/",
        "{id}/start/",
        "{id}/clock-on/",
        "{id}/wait-parts/",
        "{id}/wait-approval/",
        "{id}/resume/",
        "{id}/check/",
        "{id}/washed/",
        "{id}/cancel/",
    ):
        assert f"/api/v1/repair-orders/{suffix}" in paths
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
