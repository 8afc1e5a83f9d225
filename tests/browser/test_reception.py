"""As a service advisor on a tablet (1024×768), in a real browser: receive the car of today's
appointment, mark two dents on the car diagram, tick the items in the car, take a photo, save
the diagnosis as 二级维护, and print the check-in sheet."""

import datetime

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from pitstop.customers.tests.factories import CustomerFactory, VehicleFactory
from pitstop.service import capacity
from pitstop.service.models import Appointment, OrderPhoto, RepairOrder
from pitstop.service.tests.booking import workshop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TABLET = (1024, 768)


def _photo(tmp_path):
    path = tmp_path / "front-left.jpg"
    picture = Image.new("RGB", (640, 480), (180, 190, 200))
    for x in range(200, 440):
        for y in range(200, 260):
            picture.putpixel((x, y), (120, 40, 40))
    picture.save(path, format="JPEG")
    return str(path)


def test_advisor_receives_an_appointment_and_checks_the_car_on_a_tablet(
    page_for, shot, live_server, store_a, make_staff, tmp_path
):
    advisor = make_staff("advisor", store_a, full_name="陈静")
    technician = make_staff("technician", store_a, full_name="王师傅")
    workshop(store_a)
    zhang = CustomerFactory(store=store_a, name="张伟", mobile="13812345678")
    passat = VehicleFactory(
        owner=zhang,
        plate="京A12345",
        model_name="帕萨特 330TSI",
        body_colour="白色",
        purchase_date=timezone.localdate() - datetime.timedelta(days=500),
    )
    start = datetime.datetime.combine(timezone.localdate(), datetime.time(10), tzinfo=capacity.local_zone())
    appointment = Appointment.objects.create(
        store=store_a,
        number="YYBJ01000001",
        customer=zhang,
        vehicle=passat,
        plate="京A12345",
        contact_name="张伟",
        mobile="13812345678",
        content="4万公里保养，冷车启动有异响",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=2),
        accepted_by=advisor,
    )

    page = page_for(advisor, viewport=TABLET)
    page.goto(f"{live_server.url}/reception/")
    expect(page.locator("#arrivals")).to_contain_text("京A12345")
    shot(page, "reception-01-start")
    page.click(f"[data-receive-appointment='{appointment.pk}']")
    expect(page.locator("#walkaround-form")).to_be_visible()
    order = RepairOrder.objects.get()

    page.fill("#id_mileage", "40210")
    page.click("label[for=fuel-1]")
    page.fill("#id_key_tag", "A07")
    for zone in ("front_left_door", "rear_right_wing"):
        page.click(f"[data-car-diagram] [data-zone={zone}]")
        expect(page.locator("#mark-picker")).to_be_visible()
        page.click("#mark-picker [data-mark-kind=dent]")
    expect(page.locator("#mark-list [data-mark-row]")).to_have_count(2)
    expect(page.locator("[data-car-diagram] [data-zone=front_left_door]")).to_have_attribute(
        "data-count", "1"
    )
    page.locator("#mark-list [data-mark-row]").first.locator("[data-mark-note-input]").fill("约3cm凹陷")
    for item in ("spare_wheel", "jack", "warning_triangle", "floor_mats"):
        page.click(f"label[for=item-{item}]")
    page.click("label[for=doc-driving_licence]")
    page.click("label[for=doc-service_book]")
    page.fill("#id_valuables", "无")
    page.set_input_files("#id_photos", _photo(tmp_path))
    page.locator("#body-marks").scroll_into_view_if_needed()
    shot(page, "reception-02-walkaround-marked", full_page=False)
    shot(page, "reception-03-walkaround-full")
    page.click("#save-and-diagnose")

    expect(page.locator("#diagnosis-form")).to_be_visible()
    order.refresh_from_db()
    assert [(m["zone"], m["kind"]) for m in order.body_marks] == [
        ("front_left_door", "dent"),
        ("rear_right_wing", "dent"),
    ]
    assert order.body_marks[0]["note"] == "约3cm凹陷"
    assert order.mileage == 40210 and order.fuel_level == "1" and order.key_tag == "A07"
    assert order.items_in_vehicle["jack"] and not order.items_in_vehicle["dashcam"]
    assert order.documents_held == ["driving_licence", "service_book"]
    assert OrderPhoto.objects.filter(order=order, kind="walkaround").count() == 1
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.ARRIVED

    expect(page.locator("#warranty-status")).to_have_attribute("data-eligible", "1")
    page.fill("#id_diagnosis", "发动机皮带老化有裂纹，建议更换；其余正常")
    page.select_option("#id_diagnosed_by", str(technician.pk))
    page.click("label[for=category-level_2]")
    shot(page, "reception-04-diagnosis")
    page.click("#save-diagnosis")
    expect(page.locator("#messages .alert-success")).to_be_visible()
    order.refresh_from_db()
    assert order.repair_category == "level_2" and order.diagnosed_by == technician
    assert order.owner_description.startswith("4万公里保养") and order.warranty_eligible

    page.click("#print-checklist")
    expect(page.locator("#checklist-sheet")).to_contain_text(order.number)
    diagram = page.locator("#print-diagram")
    expect(diagram.locator("[data-zone=front_left_door]")).to_have_attribute("data-count", "1")
    expect(page.locator("#print-marks tbody tr")).to_have_count(2)
    shot(page, "reception-05-checklist-print")
    page.emulate_media(media="print")
    shot(page, "reception-06-checklist-as-printed")
    page.emulate_media(media="screen")
    page.goto(f"{live_server.url}/reception/{order.pk}/diagnosis/print/")
    expect(page.locator("#diagnosis-sheet")).to_contain_text("发动机皮带老化")
    shot(page, "reception-07-diagnosis-print")


def test_a_car_with_an_open_order_is_not_received_twice(page_for, shot, live_server, store_a, make_staff):
    advisor = make_staff("advisor", store_a, full_name="陈静")
    passat = VehicleFactory(owner=CustomerFactory(store=store_a, name="李娜"), plate="京B67890")
    page = page_for(advisor, viewport=TABLET)
    page.goto(f"{live_server.url}/reception/?q=B67890")
    page.click(f"[data-receive-vehicle='{passat.pk}']")
    expect(page.locator("#walkaround-form")).to_be_visible()
    page.goto(f"{live_server.url}/reception/?q=B67890")
    expect(page.locator(f"[data-vehicle='{passat.pk}'] [data-open-order]")).to_be_visible()
    shot(page, "reception-08-search-open-order")
    assert RepairOrder.objects.filter(vehicle=passat).count() == 1
