"""As a warehouse keeper, in a real browser: receive a delivery, print the note, issue to a job."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from pitstop.parts.models import StockLevel
from pitstop.parts.tests.factories import PartFactory, WarehouseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_keeper_receives_and_issues(page_for, shot, live_server, store_a, make_staff):
    keeper = make_staff("warehouse", store_a)
    WarehouseFactory(store=store_a, code="PJ", name="北京朝阳店配件库")
    oil_filter = PartFactory(code="06A115561B", name="机油滤清器", unit="个")
    PartFactory(code="3Q0698151A", name="前刹车片", unit="套", barcode="6901234567892")
    page = page_for(keeper)
    page.click(".app-sidebar >> text=配件入库")
    page.fill("#id_supplier", "北京恒通汽配")
    page.fill("#id_line-0-part", "06A115561B")
    page.fill("#id_line-0-quantity", "10")
    page.fill("#id_line-0-unit_cost", "32.50")
    page.fill("#id_line-1-part", "6901234567892")  # a scanner types the barcode and Enter
    page.press("#id_line-1-part", "Enter")
    expect(page.locator("#id_line-1-quantity")).to_be_focused()  # Enter moved on, nothing was posted
    page.keyboard.type("2")
    page.fill("#id_line-1-unit_cost", "310")
    shot(page, "warehouse-01-receive-form")
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_have_text("入库单")
    expect(page.locator("tfoot")).to_contain_text("¥945.00")
    shot(page, "warehouse-02-receiving-note")

    page.click(".app-sidebar >> text=维修领料")
    page.fill("#id_work_order", "WO-0088")
    page.fill("#id_taken_by", "赵磊")
    page.fill("#id_line-0-part", "06A115561B")
    page.fill("#id_line-0-quantity", "12")  # more than there is
    page.click("main button[type=submit]")
    expect(page.locator(".alert-danger")).to_contain_text("可用只有 10")
    shot(page, "warehouse-03-issue-refused")
    page.fill("#id_line-0-quantity", "2")
    page.click("main button[type=submit]")
    expect(page.locator(".slip")).to_contain_text("赵磊")
    shot(page, "warehouse-04-issue-slip")
    assert StockLevel.objects.get(part=oil_filter).on_hand == Decimal("8")
