"""As a car owner on a phone (390×844, no login): open the store's booking page, fill in the car,
choose a canned service, change the day (the free times come by HTMX), pick a time and send
the request; then as the advisor: the request waits in the list to confirm, the parts for it
are reserved (one short), confirming sends the owner's SMS; and the warehouse sees the
shortage as a purchase suggestion."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from pitstop.messaging.models import OutboundMessage
from pitstop.parts.models import Supplier
from pitstop.parts.services import stock_receive
from pitstop.parts.tests.factories import PartFactory, WarehouseFactory
from pitstop.service.models import Appointment
from pitstop.service.tests.booking import at, book, day, workshop
from pitstop.service.tests.factories import CannedJobFactory, CannedJobLineFactory, LabourOperationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


def test_an_owner_books_on_the_phone_and_the_advisor_confirms(
    browser, page_for, shot, live_server, store_a, make_staff
):
    store_a.address = "北京市朝阳区酒仙桥路10号"
    store_a.phone = "010-64321234"
    store_a.save()
    workshop(store_a, maintenance=1)
    job = CannedJobFactory(name="常规保养（1万公里）")
    CannedJobLineFactory(job=job, labour=LabourOperationFactory(standard_hours=Decimal("1")), quantity="1")
    CannedJobFactory(name="更换前刹车片")
    advisor = make_staff("advisor", store_a, full_name="陈静")
    book(advisor, store_a, at(10, offset=3), plate="京C33333")  # 10:00 on that day is taken

    # --- the owner, on a phone, not logged in
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    phone = context.new_page()
    phone.set_default_timeout(15000)
    phone.goto(f"{live_server.url}/book/{store_a.code}/")
    expect(phone.locator("#store-name")).to_have_text(store_a.name)
    expect(phone.locator("#online-slots-hint")).to_be_visible()
    expect(phone.locator("#online-kind")).to_be_hidden()
    shot(phone, "online-01-empty")
    phone.fill("#id_plate", "京N12345")
    phone.fill("#id_mobile", "13800001111")
    phone.fill("#id_contact_name", "王先生")
    phone.select_option("#id_service", f"job-{job.pk}")
    expect(phone.locator("#online-slots-hint")).to_have_count(0)
    # Another day: the free times of that day replace the others (HTMX).
    phone.locator(f"label[data-day='{day(3).isoformat()}']").click()
    expect(phone.locator("#online-slots")).to_have_attribute("data-day", day(3).isoformat())
    expect(phone.locator("label.online-time", has_text="09:00")).to_be_visible()
    expect(phone.locator("label.online-time", has_text="10:00")).to_have_count(0)
    phone.locator("label.online-time", has_text="11:00").click()
    phone.fill("#id_wish", "顺便检查一下空调")
    phone.wait_for_timeout(300)  # the button's colour transition
    shot(phone, "online-02-filled")
    phone.click("#online-submit")
    expect(phone.locator("#online-done")).to_be_visible()
    request = Appointment.objects.get(plate="京N12345")
    assert request.status == Appointment.Status.REQUESTED and request.source == Appointment.Source.ONLINE
    assert request.starts_at == at(11, offset=3) and request.mobile == "13800001111"
    expect(phone.locator("#online-request")).to_contain_text(request.number)
    shot(phone, "online-03-thanks")
    assert not OutboundMessage.objects.filter(reference_no=request.number).exists()
    context.close()

    # --- the advisor: the request waits to be confirmed; parts reserved for it, one short
    warehouse = WarehouseFactory(store=store_a, code="PJ01", name="配件库")
    oil_filter = PartFactory(code="06L115562", name="机油滤清器")
    stock_receive(actor=None, warehouse=warehouse, lines=[(oil_filter, Decimal("1"), Decimal("35"))])
    page = page_for(advisor, viewport=(1024, 768))
    page.goto(f"{live_server.url}/appointments/to-confirm/")
    row = page.locator("#to-confirm tr", has_text="京N12345")
    expect(row).to_contain_text(request.number)
    shot(page, "online-04-advisor-to-confirm")
    row.locator("a", has_text=request.number).click()
    page.fill("#id_part", "06L115562")
    page.fill("#id_quantity", "2")
    page.click("#part-add")
    expect(page.locator("#appointment-part-lines tr[data-part='06L115562']")).to_have_attribute(
        "data-short", "1"
    )
    shot(page, "online-05-parts-reserved-one-short")
    page.locator("form[action$='/status/']:has(input[name=to][value=confirmed]) button").first.click()
    expect(page.locator(".alert-success")).to_be_visible()
    request.refresh_from_db()
    assert request.status == Appointment.Status.CONFIRMED
    assert OutboundMessage.objects.filter(reference_no=request.number, kind="appointment_confirmed").exists()
    shot(page, "online-06-confirmed")

    # --- the warehouse keeper: the shortage as a purchase suggestion, a draft order in one step
    Supplier.objects.create(code="HT01", name="北京恒通汽配")
    keeper = make_staff("warehouse", store_a, full_name="赵库管")
    stock_page = page_for(keeper, viewport=(1024, 768))
    stock_page.goto(
        f"{live_server.url}/appointments/shortages/?from={day(0).isoformat()}&to={day(7).isoformat()}"
    )
    expect(stock_page.locator("#shortage-totals tr[data-part='06L115562']")).to_have_attribute(
        "data-to-order", "1"
    )
    stock_page.select_option("#id_supplier", label="HT01 北京恒通汽配")
    shot(stock_page, "online-07-shortages")
    stock_page.click("#make-order")
    expect(stock_page.locator(".alert-success")).to_be_visible()
    shot(stock_page, "online-08-purchase-order")


def test_a_refusal_and_a_closed_store_are_polite(browser, shot, live_server, store_a, store_b, settings):
    from pitstop.service.models import WorkshopSettings

    workshop(store_a, maintenance=1)
    workshop(store_b, maintenance=1)
    WorkshopSettings.objects.filter(store=store_b).update(online_booking=False)
    settings.ONLINE_BOOKING_PER_IP_PER_HOUR = 0
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    phone = context.new_page()
    phone.goto(f"{live_server.url}/book/{store_a.code}/")
    phone.fill("#id_plate", "京N12345")
    phone.fill("#id_mobile", "13800001111")
    phone.select_option("#id_service", "other")
    expect(phone.locator("#online-kind")).to_be_visible()
    phone.fill("#id_wish", "发动机异响")
    phone.locator(f"label[data-day='{day(3).isoformat()}']").click()
    phone.locator("label.online-time", has_text="09:00").click()
    with phone.expect_response(lambda response: response.request.method == "POST") as answer:
        phone.click("#online-submit")
    assert answer.value.status == 429
    expect(phone.locator("#booking-error")).to_be_visible()
    shot(phone, "online-09-rate-limited")
    assert not Appointment.objects.exists()
    phone.goto(f"{live_server.url}/book/{store_b.code}/")
    expect(phone.locator("[data-online-closed]")).to_be_visible()
    shot(phone, "online-10-closed")
    context.close()
