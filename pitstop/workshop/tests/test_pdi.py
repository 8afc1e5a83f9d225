"""PDI of new cars (F-4.9): the VIN checked, every item answered, a not-ok item needs its note,
passed only when all are ok, numbered per store, linked to the vehicle file; pages with
permissions, another store 404, bad input changing nothing, the printed sheet."""

import pytest
from django.urls import reverse

from pitstop.core.exceptions import ApplicationError
from pitstop.customers.tests.factories import CustomerFactory, VehicleFactory, make_vin
from pitstop.workshop.models import PdiCheck
from pitstop.workshop.pdi import PDI_CHECKLIST, PDI_ITEMS, pdi_create

pytestmark = pytest.mark.django_db
VIN = make_vin(4242)


@pytest.fixture
def tech(make_staff, store_a):
    return make_staff("technician", store_a, full_name="王师傅")


def all_ok(**changes):
    return {code: {"ok": True, "note": ""} for code in PDI_ITEMS} | changes


def create(tech, store, **fields):
    return pdi_create(
        **(
            {"actor": tech, "store": store, "vin": VIN, "model_name": "朗逸 1.5L", "results": all_ok()}
            | fields
        )
    )


def refused(code, **kwargs):
    with pytest.raises(ApplicationError) as error:
        create(**kwargs)
    assert error.value.code == code, error.value.message
    return error.value


def test_all_ok_passes_and_is_numbered(tech, store_a):
    check = create(tech, store_a, vin=VIN.lower(), mileage=15)
    assert check.passed and check.number == "PDIBJ01000001" and check.vin == VIN and check.mileage == 15
    assert check.checked_by == tech and check.vehicle is None
    assert create(tech, store_a).number == "PDIBJ01000002"


def test_a_not_ok_item_fails_and_needs_a_note(tech, store_a):
    refused("note", tech=tech, store=store_a, results=all_ok(paint={"ok": False, "note": " "}))
    check = create(tech, store_a, results=all_ok(paint={"ok": False, "note": "左前门划痕，已抛光"}))
    assert not check.passed and check.results["paint"] == {"ok": False, "note": "左前门划痕，已抛光"}


def test_every_item_must_be_answered_and_known(tech, store_a):
    results = all_ok()
    del results["battery"]
    refused("checklist", tech=tech, store=store_a, results=results)
    refused("checklist", tech=tech, store=store_a, results=all_ok(coffee={"ok": True}))
    assert not PdiCheck.objects.exists()


def test_the_vin_is_checked(tech, store_a):
    error = refused("vin_length", tech=tech, store=store_a, vin="LSV123")
    assert error.field == "vin"
    bad_digit = VIN[:8] + ("0" if VIN[8] != "0" else "1") + VIN[9:]
    refused("vin_check_digit_required", tech=tech, store=store_a, vin=bad_digit)
    imported = "WVW" + bad_digit[3:]
    refused("vin_check_digit", tech=tech, store=store_a, vin=imported)
    assert create(tech, store_a, vin=imported, vin_confirmed=True).vin == imported


def test_bad_mileage_and_permission(tech, store_a, make_staff):
    refused("mileage", tech=tech, store=store_a, mileage="-3")
    refused("permission", tech=make_staff("advisor", store_a), store=store_a)


def test_linked_to_the_vehicle_file(tech, store_a):
    vehicle = VehicleFactory(owner=CustomerFactory(store=store_a), vin=VIN, model_name="朗逸")
    check = create(tech, store_a, model_name="")
    assert check.vehicle == vehicle and check.model_name == "朗逸"


# --- pages ---------------------------------------------------------------------------------------


def form_data(**changes):
    data = {"vin": VIN, "model_name": "朗逸 1.5L", "mileage": "12"}
    for code in PDI_ITEMS:
        data[f"ok_{code}"] = "ok"
    return data | changes


def test_pdi_through_the_pages(tech, store_a, login, django_assert_max_num_queries):
    client = login(tech)
    assert client.get(reverse("workshop:pdi_new")).status_code == 200
    # One item unanswered: refused, nothing saved.
    data = form_data()
    del data["ok_horn_wipers"]
    response = client.post(reverse("workshop:pdi_new"), data)
    assert response.status_code == 400 and b'id="checklist-error"' in response.content
    assert not PdiCheck.objects.exists()
    # A bad VIN: refused on its field.
    assert client.post(reverse("workshop:pdi_new"), form_data(vin="LSV1")).status_code == 400
    response = client.post(
        reverse("workshop:pdi_new"), form_data(ok_paint="not_ok", note_paint="后保险杠轻微划痕，已处理")
    )
    assert response.status_code == 302
    check = PdiCheck.objects.get()
    assert not check.passed and check.results["paint"]["note"] == "后保险杠轻微划痕，已处理"
    detail = client.get(reverse("workshop:pdi_detail", args=[check.pk]))
    assert detail.status_code == 200 and detail.content.count(b'data-ok="0"') == 1
    sheet = client.get(reverse("workshop:pdi_print", args=[check.pk]))
    assert (
        sheet.status_code == 200 and check.number.encode() in sheet.content and VIN.encode() in sheet.content
    )
    assert sheet.content.count(b"pdi-group") == len(PDI_CHECKLIST)
    for n in range(5):
        create(tech, store_a, vin=make_vin(5000 + n))
    with django_assert_max_num_queries(10):
        listing = client.get(reverse("workshop:pdi_list"))
    assert listing.content.count(b"data-pdi=") == 6


def test_pdi_permissions(tech, store_a, login, make_staff, store_b):
    check = create(tech, store_a)
    cashier = login(make_staff("cashier", store_a))
    assert cashier.get(reverse("workshop:pdi_list")).status_code == 403
    assert cashier.get(reverse("workshop:pdi_detail", args=[check.pk])).status_code == 404
    advisor = login(make_staff("advisor", store_a))
    assert advisor.get(reverse("workshop:pdi_detail", args=[check.pk])).status_code == 200
    assert advisor.get(reverse("workshop:pdi_new")).status_code == 403
    other = login(make_staff("technician", store_b))
    for name in ("pdi_detail", "pdi_print"):
        assert other.get(reverse(f"workshop:{name}", args=[check.pk])).status_code == 404
