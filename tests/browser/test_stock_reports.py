"""As a store manager, in a real browser: stock value, slow movers, turnover, movement history."""

import datetime
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from pitstop.parts import services
from pitstop.parts.models import PartCategory
from pitstop.parts.tests.factories import PartFactory, WarehouseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _days_ago(days: int):
    moment = timezone.now() - datetime.timedelta(days=days)
    return mock.patch("django.utils.timezone.now", return_value=moment)


def test_manager_reads_the_stock_reports(page_for, shot, live_server, store_a, make_staff):
    manager = make_staff("store_manager", store_a)
    upkeep = PartCategory.objects.create(code="BY", name="保养件")
    filters = PartCategory.objects.create(code="BY01", name="滤清器", parent=upkeep)
    brakes = PartCategory.objects.create(code="ZD", name="制动系统")
    main = WarehouseFactory(store=store_a, code="PJ", name="北京朝阳店配件库")
    second = WarehouseFactory(store=store_a, code="PJ2", name="北京朝阳店二号库")
    oil = PartFactory(code="06A115561B", name="机油滤清器", category=filters)
    pads = PartFactory(code="3Q0698151A", name="前刹车片", category=brakes, unit="套")
    disc = PartFactory(code="5Q0615301F", name="刹车盘", category=brakes)
    job = services.Reference("work_order", 88, "WO-0088")
    with _days_ago(200):
        services.stock_receive(actor=manager, warehouse=second, lines=[(disc, "4", "450")])
    with _days_ago(20):
        services.stock_receive(
            actor=manager, warehouse=main, lines=[(oil, "40", "32.50"), (pads, "6", "310")]
        )
    with _days_ago(10):
        services.stock_issue(
            actor=manager, warehouse=main, lines=[(oil, "12"), (pads, "2")], reference=job, taken_by="赵磊"
        )
    with _days_ago(5):
        services.stock_issue(actor=manager, warehouse=main, lines=[(oil, "2")], kind="counter_sale")

    page = page_for(manager)
    page.goto(live_server.url + reverse("parts:report_stock_value"))
    expect(page.locator("#report-table tfoot")).to_contain_text("¥3885.00")  # 26×32.50 + 4×310 + 4×450
    shot(page, "reports-01-stock-value")
    page.select_option("#id_by", "subcategory")  # HTMX swaps the table only
    expect(page.locator("#report-table")).to_contain_text("滤清器")
    shot(page, "reports-02-stock-value-by-subcategory")

    page.click(".nav-tabs a >> nth=1")
    expect(page.locator("#report-table")).to_contain_text("5Q0615301F")
    expect(page.locator("#report-table")).not_to_contain_text("06A115561B")
    shot(page, "reports-03-slow-movers")

    page.click(".nav-tabs a >> nth=2")
    expect(page.locator("#report-table")).to_contain_text("06A115561B")
    shot(page, "reports-04-turnover")

    page.click(".nav-tabs a >> nth=3")
    page.fill("#id_part", "06A115561B")
    page.click("form[hx-get] button[type=submit]")
    expect(page.locator("#report-table")).to_contain_text("赵磊")
    expect(page.locator("#report-table tbody tr")).to_have_count(3)
    shot(page, "reports-05-movement-history")
