import pytest
from rest_framework.test import APIClient

from pitstop.customers.models import Customer

from .factories import CustomerFactory, VehicleFactory, make_vin


@pytest.fixture
def api(advisor):
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/", {"username": advisor.username, "password": "correct horse battery"}
    )
    assert response.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def test_token_needs_the_right_password(advisor, db):
    response = APIClient().post("/api/v1/auth/token/", {"username": advisor.username, "password": "nope"})
    assert response.status_code == 400
    assert APIClient().get("/api/v1/customers/").status_code == 401


def test_create_and_read_a_customer_and_vehicle(api, store_a):
    response = api.post("/api/v1/customers/", {"name": "孙丽", "mobile": "13987654321"}, format="json")
    assert response.status_code == 201, response.json()
    customer = response.json()
    assert customer["name"] == "孙丽" and customer["mobile"] == "13987654321"  # an advisor may see it
    response = api.post(
        "/api/v1/vehicles/",
        {"vin": make_vin(77), "plate": "京C12345", "owner": customer["id"]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    vehicle = response.json()
    assert (vehicle["vin"], vehicle["plate"], vehicle["owner"]) == (make_vin(77), "京C12345", customer["id"])
    listed = api.get("/api/v1/vehicles/", {"plate": "C123"}).json()
    assert [v["id"] for v in listed["results"]] == [vehicle["id"]]
    found = api.get("/api/v1/search/", {"q": "54321"}).json()
    assert [c["id"] for c in found["customers"]] == [customer["id"]]


def test_errors_name_the_field(api, store_a):
    owner = CustomerFactory(store=store_a)
    response = api.post(
        "/api/v1/vehicles/", {"vin": make_vin(3)[:16] + "Q", "owner": owner.pk}, format="json"
    )
    assert response.status_code == 400 and "vin" in response.json()
    response = api.post("/api/v1/customers/", {"name": "孙丽", "mobile": "999"}, format="json")
    assert response.status_code == 400 and "mobile" in response.json()
    dup = CustomerFactory(store=store_a, mobile="13900000001")
    response = api.post("/api/v1/customers/", {"name": "x", "mobile": dup.mobile}, format="json")
    assert response.status_code == 400 and "mobile" in response.json()
    assert Customer.objects.count() == 2


def test_other_stores_records_answer_404(api, store_b):
    theirs = CustomerFactory(store=store_b)
    vehicle = VehicleFactory(owner=theirs)
    assert api.get(f"/api/v1/customers/{theirs.pk}/").status_code == 404
    assert api.get(f"/api/v1/vehicles/{vehicle.pk}/").status_code == 404
    assert api.patch(f"/api/v1/customers/{theirs.pk}/", {"name": "x"}, format="json").status_code == 404
    response = api.post("/api/v1/vehicles/", {"vin": make_vin(4), "owner": theirs.pk}, format="json")
    assert response.status_code == 400 and "owner" in response.json()
    assert api.get("/api/v1/customers/").json()["count"] == 0


def test_care_agent_gets_masked_mobiles(care_agent, store_a):
    CustomerFactory(store=store_a, mobile="13812345678")
    client = APIClient()
    client.force_authenticate(care_agent)
    assert client.get("/api/v1/customers/").json()["results"][0]["mobile"] == "138****5678"


def test_schema_and_docs_are_served_without_a_cdn(client, db):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200 and b"/api/v1/customers/" in schema.content
    docs = client.get("/api/docs/").content.decode()
    assert "cdn" not in docs.lower() and "/static/drf_spectacular_sidecar/" in docs
