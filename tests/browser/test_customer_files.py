"""As a service advisor and as a customer-care agent, in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from pitstop.core.models import AuditEntry
from pitstop.customers.models import Customer, Vehicle
from pitstop.customers.tests.factories import CustomerFactory, VehicleFactory, make_vin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_advisor_finds_a_car_and_files_a_new_customer_and_vehicle(
    page_for, shot, live_server, store_a, advisor
):
    owner = CustomerFactory(store=store_a, name="张伟", mobile="13812345678")
    VehicleFactory(owner=owner, plate="京A8K3Z9", brand="大众", series="帕萨特")
    page = page_for(advisor)
    shot(page, "advisor-01-home")

    page.fill("#global-search", "8K3")
    result = page.locator("#search-results a", has_text="京A8K3Z9")
    expect(result).to_be_visible()
    shot(page, "advisor-02-search-as-you-type", full_page=False)
    result.click()
    expect(page.locator("h1")).to_contain_text("京A8K3Z9")
    expect(page.locator("body")).to_contain_text("张伟")
    shot(page, "advisor-03-vehicle-page")

    page.goto(f"{live_server.url}/customers/new/")
    page.fill("#id_name", "赵敏")
    page.fill("#id_mobile", "135 1234 5678")
    page.fill("#id_address", "北京市朝阳区建国路88号")
    page.fill("#id_tag_names", "新客户")
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_have_text("赵敏")
    customer = Customer.objects.get(name="赵敏")
    assert customer.mobile == "13512345678"
    shot(page, "advisor-04-customer-saved")

    page.click("text=新增车辆")
    good_vin = make_vin(4242)
    wrong_vin = good_vin[:8] + ("1" if good_vin[8] != "1" else "2") + good_vin[9:]
    page.fill("#id_plate", "京B54321")
    page.fill("#id_vin", wrong_vin)
    page.fill("#id_brand", "丰田")
    page.fill("#id_series", "凯美瑞")
    page.click("main button[type=submit]")
    expect(page.locator(".invalid-feedback")).to_contain_text("校验位")
    assert not Vehicle.objects.filter(plate="京B54321").exists()
    shot(page, "advisor-05-wrong-vin-check-digit")

    page.fill("#id_vin", good_vin)
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_contain_text("京B54321")
    vehicle = Vehicle.objects.get(plate="京B54321")
    assert vehicle.owner == customer and vehicle.vin == good_vin
    shot(page, "advisor-06-vehicle-saved")

    # An edit shows up in the change history on the record's page.
    page.click("text=编辑")
    page.fill("#id_body_colour", "珍珠白")
    page.click("main button[type=submit]")
    expect(page.locator("#audit")).to_contain_text("珍珠白")
    assert AuditEntry.objects.filter(object_id=str(vehicle.pk), action="update").exists()
    shot(page, "advisor-07-change-history")


def test_advisor_reveals_a_phone_and_it_is_recorded(page_for, shot, live_server, store_a, advisor):
    customer = CustomerFactory(store=store_a, name="李娜", mobile="13987654321")
    page = page_for(advisor)
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    expect(page.locator("#reveal-mobile")).to_contain_text("139****4321")
    page.click("#reveal-mobile button")
    expect(page.locator("#reveal-mobile")).to_contain_text("13987654321")
    assert AuditEntry.objects.filter(action="reveal", actor=advisor).count() == 1


def test_care_agent_sees_masked_phones(page_for, shot, live_server, store_a, care_agent):
    customer = CustomerFactory(store=store_a, name="王芳", mobile="13698765432")
    VehicleFactory(owner=customer, plate="京C11111")
    page = page_for(care_agent)
    page.goto(f"{live_server.url}/customers/")
    expect(page.locator("#customer-table")).to_contain_text("136****5432")
    assert "13698765432" not in page.content()
    shot(page, "care-01-customer-list-masked")
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    expect(page.locator("#reveal-mobile")).to_have_text(re.compile(r"136\*{4}5432"))
    assert page.locator("#reveal-mobile button").count() == 0
    shot(page, "care-02-customer-masked")


def test_works_on_a_phone_screen(page_for, shot, live_server, store_a, advisor):
    VehicleFactory(owner=CustomerFactory(store=store_a, name="陈静"), plate="京D22222")
    page = page_for(advisor, viewport=(390, 844))
    page.goto(f"{live_server.url}/vehicles/")
    expect(page.locator("#vehicle-table")).to_contain_text("京D22222")
    shot(page, "phone-01-vehicle-list")
    page.click(".navbar-toggler")
    expect(page.locator("#shell-nav")).to_contain_text("客户")
    shot(page, "phone-02-menu", full_page=False)
