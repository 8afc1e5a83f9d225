"""As a store manager: set the workshop's hours, add a bay, put a technician on duty. As the
administrator: add a labour operation and a canned job to the chain's catalogue."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from pitstop.parts.tests.factories import PartFactory
from pitstop.service.models import Bay, CannedJob, LabourOperation, TechnicianDuty
from pitstop.service.setup import workshop_settings
from pitstop.service.tests.factories import BayFactory, LabourOperationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_sets_up_workshop(page_for, shot, live_server, store_a, make_staff):
    manager = make_staff("store_manager", store_a)
    make_staff("technician", store_a, full_name="王师傅")
    BayFactory(store=store_a, name="快保工位1")
    page = page_for(manager)
    page.goto(f"{live_server.url}/service/settings/")
    page.fill("#id_opens_at", "08:00")
    page.fill("#id_closes_at", "17:00")  # 540 minutes
    page.fill("#id_slot_minutes", "50")
    page.click("main button.btn-primary")
    expect(page.locator(".invalid-feedback")).to_contain_text("540")
    shot(page, "workshop-01-settings-refused")
    page.fill("#id_slot_minutes", "60")
    page.fill("#id_labour_rate", "160")
    page.uncheck("#id_open_weekdays_6")  # closed on Sundays
    page.click("main button.btn-primary")
    expect(page.locator(".messages")).to_be_visible()
    row = workshop_settings(store_a)
    assert (row.slot_minutes, row.labour_rate, row.open_weekdays) == (60, Decimal("160.00"), "123456")
    shot(page, "workshop-02-settings-saved")

    page.goto(f"{live_server.url}/service/bays/")
    page.select_option("#id_bay_type", "paint")
    page.fill("#id_name", "喷漆房1")
    page.click("main form button.btn-primary")
    expect(page.locator("#bay-table")).to_contain_text("喷漆房1")
    assert Bay.objects.filter(store=store_a, name="喷漆房1", bay_type="paint").exists()
    shot(page, "workshop-03-bays")

    page.goto(f"{live_server.url}/service/duty/")
    page.locator("tbody select").nth(1).select_option("maintenance")
    page.click("main form button.btn-primary")
    expect(page.locator(".messages")).to_be_visible()
    assert TechnicianDuty.objects.filter(store=store_a, bay_type="maintenance").count() == 1
    shot(page, "workshop-04-duty")


def test_admin_adds_operation_and_canned_job(page_for, shot, live_server, hq_store, store_a, make_staff):
    admin = make_staff("admin", hq_store)
    LabourOperationFactory(
        code="ZD-001", name="更换前刹车片", name_initials="ghqscp", standard_hours=Decimal("1.0")
    )
    PartFactory(code="0986AB1234", name="前刹车片", barcode="6920000000013", sale_price=Decimal("320.00"))
    page = page_for(admin)
    page.goto(f"{live_server.url}/service/labour/")
    page.click("main a[href='/service/labour/new/']")
    page.fill("#id_code", "DP-001")
    page.fill("#id_name", "四轮定位")
    page.fill("#id_system", "底盘")
    page.fill("#id_symptom", "跑偏")
    page.select_option("#id_bay_type", "mechanical")
    page.fill("#id_standard_hours", "1")
    shot(page, "workshop-05-new-operation")
    page.click("main button.btn-primary")
    page.fill("main input[name=q]", "sldw")  # pinyin initials of 四轮定位
    expect(page.locator("#labour-table tbody tr")).to_have_count(1)
    expect(page.locator("#labour-table")).to_contain_text("四轮定位")
    shot(page, "workshop-06-labour-search")
    assert LabourOperation.objects.get(code="DP-001").name_initials == "sldw"

    page.goto(f"{live_server.url}/service/jobs/")
    page.click("main a[href='/service/jobs/new/?scope=chain']")
    page.fill("#id_code", "SCP-F")
    page.fill("#id_name", "更换前刹车片")
    page.fill("#id_line-0-labour_code", "ZD-001")
    page.fill("#id_line-1-part_code", "6920000000013")
    page.fill("#id_line-1-quantity", "1")
    shot(page, "workshop-07-new-job")
    page.click("main button.btn-primary")
    expect(page.locator("h1")).to_contain_text("更换前刹车片")
    job = CannedJob.objects.get(code="SCP-F")
    assert job.store is None and job.lines.count() == 2
    shot(page, "workshop-08-job")
