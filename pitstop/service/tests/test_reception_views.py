"""Reception pages: receiving from today's appointments or a search, the walk-around form (with
and without JavaScript: the mark rows and the select-based row), photos, the diagnosis with
the warranty, adding due and declined work, the printed forms, the photo view; 403 for a role
without the change permission, 404 for another store, bad input changing nothing."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from pitstop.customers.models import MileageReading
from pitstop.customers.tests.factories import CustomerFactory, VehicleFactory
from pitstop.service import reception
from pitstop.service.models import Appointment, Approval, OrderLabour, OrderPhoto, RepairOrder

from .booking import workshop
from .factories import (
    CannedJobFactory,
    CannedJobLineFactory,
    LabourOperationFactory,
    MaintenancePlanFactory,
    MaintenancePlanItemFactory,
    OrderLabourFactory,
    RepairOrderFactory,
    StoreWorkshopFactory,
)

pytestmark = pytest.mark.django_db
Status = RepairOrder.Status


def png(name="car.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def today_at(hour: int) -> datetime.datetime:
    from pitstop.service import capacity

    return datetime.datetime.combine(timezone.localdate(), datetime.time(hour), tzinfo=capacity.local_zone())


def appointment_today(store, car, hour=9, **fields) -> Appointment:
    values = {
        "store": store,
        "number": f"YY{store.code}{car.pk:06d}{hour}",
        "status": Appointment.Status.CONFIRMED,
        "customer": car.owner,
        "vehicle": car,
        "plate": car.plate,
        "mobile": "13812345678",
        "content": "常规保养",
        "starts_at": today_at(hour),
        "ends_at": today_at(hour + 1),
    }
    values.update(fields)
    return Appointment.objects.create(**values)


@pytest.fixture
def passat(store_a):
    owner = CustomerFactory(store=store_a, name="张伟", mobile="13812345678")
    return VehicleFactory(
        owner=owner, plate="京A12345", purchase_date=timezone.localdate() - datetime.timedelta(days=300)
    )


@pytest.fixture
def order(store_a, advisor, passat):
    return reception.reception_start(actor=advisor, store=store_a, vehicle=passat)


def walkaround_data(**changes) -> dict:
    data = {
        "mileage": "30500",
        "fuel_level": "3",
        "mark_zone": ["front_left_door", "bonnet"],
        "mark_kind": ["dent", "scratch"],
        "mark_note": ["约2cm", ""],
        "items": ["spare_wheel", "jack"],
        "documents": ["driving_licence"],
        "key_tag": "K07",
        "interior_notes": "",
        "valuables": "",
    }
    data.update(changes)
    return data


# --- receiving -------------------------------------------------------------------------------


def test_the_start_page_lists_todays_appointments_in_fixed_queries(
    store_a, advisor, passat, login, django_assert_max_num_queries
):
    workshop(store_a)
    appointment_today(store_a, passat, 9)
    for n in range(6):
        car = VehicleFactory(owner=CustomerFactory(store=store_a), plate=f"京B1000{n}")
        appointment_today(store_a, car, 10 + n % 5, number=f"YYX{n}")
    appointment_today(store_a, passat, 16, number="YYNEW", vehicle=None, customer=None, plate="京C77777")
    client = login(advisor)
    with django_assert_max_num_queries(11):
        page = client.get(reverse("service:reception_start"))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("data-receive-appointment=") == 8 and "京C77777" in html


def test_the_search_finds_a_car_by_plate_or_vin_tail_and_shows_its_open_order(
    store_a, advisor, passat, order, login
):
    other = VehicleFactory(owner=passat.owner, plate="京A54321")
    client = login(advisor)
    page = client.get(reverse("service:reception_start"), {"q": other.vin[-6:]}).content.decode()
    assert f'data-receive-vehicle="{other.pk}"' in page
    page = client.get(
        reverse("service:reception_start"),
        {"q": "A12345"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="vehicle-results",
    ).content.decode()
    assert page.lstrip().startswith('<div id="vehicle-results">')
    assert f'data-open-order="{order.pk}"' in page and "<nav" not in page


def test_receiving_an_appointment_opens_the_order_and_goes_to_the_walkaround(store_a, advisor, passat, login):
    workshop(store_a)
    appointment = appointment_today(store_a, passat)
    response = login(advisor).post(reverse("service:reception_start"), {"appointment": appointment.pk})
    order = RepairOrder.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("service:reception_walkaround", args=[order.pk])
    assert order.appointment == appointment and order.vehicle == passat
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.ARRIVED


def test_an_appointment_without_a_vehicle_uses_the_file_with_its_plate(store_a, advisor, passat, login):
    appointment = appointment_today(store_a, passat, vehicle=None, customer=None)
    login(advisor).post(reverse("service:reception_start"), {"appointment": appointment.pk})
    assert RepairOrder.objects.get().vehicle == passat


def test_an_appointment_without_a_vehicle_file_asks_for_one(store_a, advisor, passat, login):
    appointment = appointment_today(store_a, passat, vehicle=None, customer=None, plate="京C77777")
    response = login(advisor).post(reverse("service:reception_start"), {"appointment": appointment.pk})
    assert response.status_code == 400 and 'data-code="no_vehicle"' in response.content.decode()
    assert not RepairOrder.objects.exists()


def test_a_second_order_for_the_car_is_refused_with_a_link_to_the_open_one(advisor, passat, order, login):
    response = login(advisor).post(reverse("service:reception_start"), {"vehicle": passat.pk})
    html = response.content.decode()
    assert response.status_code == 400 and 'data-code="open_order"' in html
    assert reverse("service:reception_walkaround", args=[order.pk]) in html
    assert RepairOrder.objects.count() == 1


def test_reception_permissions(store_a, store_b, make_staff, advisor_b, passat, login):
    technician = make_staff("technician", store_a)
    client = login(technician)
    assert client.get(reverse("service:reception_start")).status_code == 403
    assert client.post(reverse("service:reception_start"), {"vehicle": passat.pk}).status_code == 403
    response = login(advisor_b).post(reverse("service:reception_start"), {"vehicle": passat.pk})
    assert response.status_code == 404
    assert not RepairOrder.objects.exists()


# --- the walk-around ----------------------------------------------------------------------------


def test_the_walkaround_page_draws_the_car_diagram(advisor, order, login):
    html = login(advisor).get(reverse("service:reception_walkaround", args=[order.pk])).content.decode()
    for zone in (
        "front_bumper",
        "bonnet",
        "roof",
        "boot",
        "rear_bumper",
        "front_left_door",
        "rear_right_wing",
    ):
        assert f'data-zone="{zone}"' in html
    assert "data-car-diagram" in html and 'capture="environment"' in html and "walkaround.js" in html
    assert "<script>" not in html and " style=" not in html


def test_the_walkaround_is_saved_with_marks_items_and_photos(advisor, order, passat, login):
    data = walkaround_data(photos=[png("a.png"), png("b.png")], next="diagnosis")
    response = login(advisor).post(reverse("service:reception_walkaround", args=[order.pk]), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("service:reception_diagnosis", args=[order.pk])
    order.refresh_from_db()
    assert [m["zone"] for m in order.body_marks] == ["front_left_door", "bonnet"]
    assert order.body_marks[0]["note"] == "约2cm" and order.fuel_level == "3" and order.key_tag == "K07"
    assert order.items_in_vehicle["jack"] and not order.items_in_vehicle["dashcam"]
    assert OrderPhoto.objects.filter(order=order, kind="walkaround").count() == 2
    assert MileageReading.objects.get(vehicle=passat).mileage == 30500
    page = login(advisor).get(reverse("service:reception_walkaround", args=[order.pk])).content.decode()
    assert page.count("data-mark-row") == 3  # two marks and the row template
    assert 'data-zone="bonnet"' in page and "#f8d7da" in page


def test_without_javascript_a_mark_is_added_from_the_lists_and_removed_by_its_box(advisor, order, login):
    client = login(advisor)
    url = reverse("service:reception_walkaround", args=[order.pk])
    client.post(url, walkaround_data(new_zone="roof", new_kind="crack", new_note="天窗边"))
    order.refresh_from_db()
    assert [m["zone"] for m in order.body_marks] == ["front_left_door", "bonnet", "roof"]
    client.post(
        url,
        walkaround_data(
            mark_zone=["front_left_door", "bonnet", "roof"],
            mark_kind=["dent", "scratch", "crack"],
            mark_note=["", "", ""],
            mark_remove=["1"],
        ),
    )
    order.refresh_from_db()
    assert [m["zone"] for m in order.body_marks] == ["front_left_door", "roof"]


@pytest.mark.parametrize(
    ("changes", "marker"),
    [
        ({"mileage": ""}, 'id="mileage-error"'),
        ({"mileage": "1000"}, 'id="mileage-error"'),  # lower than the last reading, no reason
        ({"mark_zone": ["engine_bay", "bonnet"]}, 'id="marks-error"'),
        ({"mark_note": ["x"]}, 'id="marks-error"'),
        ({"photos": [SimpleUploadedFile("x.png", b"not a picture")]}, 'id="photo-error"'),
    ],
)
def test_bad_walkaround_input_shows_the_error_and_changes_nothing(
    advisor, order, passat, login, changes, marker
):
    from pitstop.customers.services import vehicle_record_mileage

    vehicle_record_mileage(
        actor=advisor,
        vehicle=passat,
        mileage=20000,
        read_on=timezone.localdate() - datetime.timedelta(days=9),
    )
    response = login(advisor).post(
        reverse("service:reception_walkaround", args=[order.pk]), walkaround_data(**changes)
    )
    assert response.status_code == 400 and marker in response.content.decode()
    order.refresh_from_db()
    assert order.body_marks == [] and order.walkaround_done_at is None and order.key_tag == ""
    assert not OrderPhoto.objects.exists() and MileageReading.objects.count() == 1


def test_a_lower_mileage_with_a_reason_is_saved(advisor, order, passat, login):
    from pitstop.customers.services import vehicle_record_mileage

    vehicle_record_mileage(actor=advisor, vehicle=passat, mileage=50000, read_on=timezone.localdate())
    response = login(advisor).post(
        reverse("service:reception_walkaround", args=[order.pk]),
        walkaround_data(mileage="1200", mileage_note="更换仪表"),
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.mileage == 1200


def test_walkaround_permissions(store_a, make_staff, advisor_b, order, login):
    url = reverse("service:reception_walkaround", args=[order.pk])
    technician = login(make_staff("technician", store_a))
    page = technician.get(url)
    assert page.status_code == 200 and "<fieldset disabled>" in page.content.decode()
    assert technician.post(url, walkaround_data()).status_code == 403
    other = login(advisor_b)
    assert other.get(url).status_code == 404
    assert other.post(url, walkaround_data()).status_code == 404
    order.refresh_from_db()
    assert order.walkaround_done_at is None


# --- the diagnosis ------------------------------------------------------------------------------


def test_the_diagnosis_page_shows_the_warranty_categories_due_and_declined_work(
    store_a, advisor, passat, order, login, django_assert_max_num_queries
):
    job = CannedJobFactory(name="常规保养（1万公里）")
    MaintenancePlanItemFactory(plan=MaintenancePlanFactory(brand=passat.brand), job=job, every_km=10000)
    earlier = RepairOrderFactory(advisor=advisor, vehicle=passat, status=Status.READY)
    declined = [OrderLabourFactory(order=earlier, approval=Approval.DECLINED) for _n in range(4)]
    order.mileage = 12000
    order.save()
    client = login(advisor)
    with django_assert_max_num_queries(18):
        html = client.get(reverse("service:reception_diagnosis", args=[order.pk])).content.decode()
    assert 'data-eligible="1"' in html
    for value in ("whole_vehicle", "assembly", "level_2", "level_1", "minor", "special"):
        assert f'id="category-{value}"' in html
    assert f'data-due-job="{job.pk}"' in html
    for line in declined:
        assert f'data-declined="labour-{line.pk}"' in html


def test_the_diagnosis_is_saved_and_a_refused_warranty_job_changes_nothing(
    store_a, make_staff, advisor, passat, order, login
):
    technician = make_staff("technician", store_a)
    client = login(advisor)
    url = reverse("service:reception_diagnosis", args=[order.pk])
    response = client.post(
        url,
        {
            "owner_description": "冷车启动异响",
            "diagnosis": "皮带老化",
            "diagnosed_by": technician.pk,
            "business_type": "repair",
            "repair_category": "level_2",
        },
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.repair_category == "level_2" and order.diagnosed_by == technician and order.warranty_eligible
    passat.purchase_date = datetime.date(2010, 1, 1)
    passat.save()
    response = client.post(
        url, {"owner_description": "刹车异响", "business_type": "warranty", "repair_category": "minor"}
    )
    assert response.status_code == 400 and 'data-eligible="0"' in response.content.decode()
    order.refresh_from_db()
    assert order.business_type == "repair" and order.owner_description == "冷车启动异响"


def test_diagnosis_permissions(store_a, make_staff, advisor_b, order, login):
    url = reverse("service:reception_diagnosis", args=[order.pk])
    data = {"owner_description": "x", "business_type": "repair", "repair_category": "minor"}
    technician = login(make_staff("technician", store_a))
    assert technician.get(url).status_code == 200
    assert technician.post(url, data).status_code == 403
    assert login(advisor_b).get(url).status_code == 404
    assert login(advisor_b).post(url, data).status_code == 404
    order.refresh_from_db()
    assert order.owner_description == ""


def test_due_and_declined_work_added_from_the_diagnosis_page(
    store_a, make_staff, advisor, advisor_b, passat, order, login
):
    StoreWorkshopFactory(store=store_a, labour_rate=Decimal("100.00"))
    job = CannedJobFactory(name="首保")
    CannedJobLineFactory(job=job, labour=LabourOperationFactory(name="更换机油机滤"), quantity=Decimal("0.5"))
    earlier = RepairOrderFactory(advisor=advisor, vehicle=passat, status=Status.READY)
    declined = OrderLabourFactory(
        order=earlier, name="四轮定位", hours=Decimal("1"), approval=Approval.DECLINED
    )
    client = login(advisor)
    response = client.post(reverse("service:reception_add_job", args=[order.pk]), {"job": job.pk})
    assert response.status_code == 302 and response["Location"].endswith("#items-due")
    response = client.post(
        reverse("service:reception_add_declined", args=[order.pk]), {"kind": "labour", "line": declined.pk}
    )
    assert response.status_code == 302
    assert set(OrderLabour.objects.filter(order=order).values_list("name", flat=True)) == {
        "更换机油机滤",
        "四轮定位",
    }
    # Someone else's line, a role without the permission, another store.
    assert (
        client.post(
            reverse("service:reception_add_declined", args=[order.pk]), {"kind": "labour", "line": 999999}
        ).status_code
        == 404
    )
    technician = login(make_staff("technician", store_a))
    assert (
        technician.post(reverse("service:reception_add_job", args=[order.pk]), {"job": job.pk}).status_code
        == 403
    )
    other = login(advisor_b)
    assert (
        other.post(reverse("service:reception_add_job", args=[order.pk]), {"job": job.pk}).status_code == 404
    )
    assert (
        other.post(
            reverse("service:reception_add_declined", args=[order.pk]),
            {"kind": "labour", "line": declined.pk},
        ).status_code
        == 404
    )
    assert OrderLabour.objects.filter(order=order).count() == 2


# --- printed forms and photos -------------------------------------------------------------------


def test_the_printed_check_sheet_and_diagnosis_report(advisor, advisor_b, order, login):
    client = login(advisor)
    client.post(reverse("service:reception_walkaround", args=[order.pk]), walkaround_data(photos=[png()]))
    sheet = client.get(reverse("service:checklist_print", args=[order.pk]))
    html = sheet.content.decode()
    assert sheet.status_code == 200 and order.number in html and "北京朝阳店" in html
    assert 'data-item="jack" data-ticked="1"' in html and 'data-item="dashcam" data-ticked="0"' in html
    assert 'id="print-diagram"' in html and "K07" in html and 'id="print-photos"' in html
    report = client.get(reverse("service:diagnosis_print", args=[order.pk]))
    assert report.status_code == 200 and order.number in report.content.decode()
    other = login(advisor_b)
    assert other.get(reverse("service:checklist_print", args=[order.pk])).status_code == 404
    assert other.get(reverse("service:diagnosis_print", args=[order.pk])).status_code == 404


def test_a_photo_is_served_only_within_its_store(store_a, make_staff, advisor, advisor_b, order, login):
    photo = reception.photo_add(actor=advisor, order=order, image=png(), kind="walkaround")
    url = reverse("service:order_photo", args=[photo.pk])
    response = login(make_staff("technician", store_a)).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert login(advisor_b).get(url).status_code == 404
    assert login(make_staff("cashier", store_a)).get(url).status_code == 200
