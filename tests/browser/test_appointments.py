"""As a service advisor, in a real browser: book a car into the last free unit of a slot while a
colleague tries the same time (refused, the nearest free times offered, booked at one of them),
confirm an owner's online request, look at the day and week, and print the appointment slip."""

import datetime

import pytest
from playwright.sync_api import expect

from pitstop.customers.tests.factories import CustomerFactory, VehicleFactory
from pitstop.messaging.models import OutboundMessage
from pitstop.service.models import Appointment
from pitstop.service.tests.booking import at, book, day, workshop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fill_booking(page, plate: str, contact: str, mobile: str, content: str) -> None:
    page.fill("#id_plate", plate)
    page.fill("#id_contact_name", contact)
    page.fill("#id_mobile", mobile)
    page.fill("#id_content", content)
    page.select_option("#id_time", "10:00")


def test_advisor_books_the_last_unit_and_a_second_booking_is_offered_free_times(
    page_for, shot, live_server, store_a, make_staff
):
    advisor = make_staff("advisor", store_a, full_name="陈静")
    workshop(store_a, maintenance=2, body=1)
    when = day(2)
    book(advisor, store_a, at(10, offset=2), plate="京C33333", content="首保")  # one of two units taken
    zhang = CustomerFactory(store=store_a, name="张伟", gender="male", mobile="13812345678")
    VehicleFactory(owner=zhang, plate="京A12345", model_name="帕萨特 330TSI")
    online = book(
        None,
        store_a,
        at(14, offset=2),
        plate="沪B54321",
        source="online",
        contact_name="王芳",
        mobile="13900001111",
        content="空调不制冷，检查",
    )

    page = page_for(advisor)
    page.goto(f"{live_server.url}/appointments/new/?date={when.isoformat()}")
    page.fill("#id_customer", "张伟")
    page.locator("#id_customer-suggestions button", has_text="张伟").click()
    _fill_booking(page, "京A12345", "张伟", "13812345678", "4万公里保养，更换机油机滤、空滤")
    page.fill("#id_parts_expected", "机油滤清器 ×1，空气滤清器 ×1")
    page.fill("#id_estimate", "880")
    shot(page, "appointments-01-new-form")

    # A colleague at the next desk opens the same form and wants the same time.
    other = page.context.new_page()
    other.goto(f"{live_server.url}/appointments/new/?date={when.isoformat()}")
    _fill_booking(other, "京B67890", "李娜", "13700002222", "更换前刹车片")

    page.click("#book")
    expect(page.locator(".alert-success")).to_be_visible()
    first = Appointment.objects.get(plate="京A12345")
    assert first.starts_at == at(10, offset=2) and first.status == Appointment.Status.CONFIRMED
    shot(page, "appointments-02-booked")

    other.click("#book")
    expect(other.locator("#nearest-free")).to_be_visible()
    expect(other.locator("#appointment-form")).to_contain_text("11:00")
    shot(other, "appointments-03-slot-full-nearest-free")
    other.locator("#nearest-free button", has_text="11:00").click()
    expect(other.locator(".alert-success")).to_be_visible()
    second = Appointment.objects.get(plate="京B67890")
    assert second.starts_at == at(11, offset=2)
    other.close()

    page.goto(f"{live_server.url}/appointments/?date={when.isoformat()}")
    expect(page.locator("table[data-bay-type=maintenance]")).to_contain_text("2 / 2")
    shot(page, "appointments-04-day-view")
    page.goto(f"{live_server.url}/appointments/week/?date={when.isoformat()}")
    expect(page.locator("#week-board")).to_contain_text("京A12345")
    shot(page, "appointments-05-week-view")

    page.goto(f"{live_server.url}/appointments/to-confirm/")
    row = page.locator("#to-confirm tr", has_text="沪B54321")
    row.locator("button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    online.refresh_from_db()
    assert online.status == Appointment.Status.CONFIRMED
    assert OutboundMessage.objects.filter(reference_no=online.number, kind="appointment_confirmed").exists()
    shot(page, "appointments-06-confirmed")

    page.goto(f"{live_server.url}/appointments/{first.pk}/")
    expect(page.locator("#appointment-events")).to_contain_text("陈静")
    shot(page, "appointments-07-detail")
    page.goto(f"{live_server.url}/appointments/{first.pk}/slip/")
    expect(page.locator(".slip")).to_contain_text("北京朝阳店")
    expect(page.locator(".slip")).to_contain_text("京A12345")
    page.emulate_media(media="print")
    shot(page, "appointments-08-slip-print")
    assert when == first.starts_at.astimezone(datetime.timezone(datetime.timedelta(hours=8))).date()

    # The advisor looks back at the period: the bookings just made are counted.
    page.emulate_media(media="screen")
    page.goto(f"{live_server.url}/appointments/analysis/?from={when - datetime.timedelta(days=1)}&to={when}")
    expect(page.locator("[data-figure=bookings]")).not_to_have_text("0")
    shot(page, "appointments-09-analysis")
