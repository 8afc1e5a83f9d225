"""Quality control in a real browser: the QC inspector fails the final inspection of a 二级维护
job (reason, responsible, penalty, hours lost), the technician self-checks again on a tablet,
the team leader checks, the inspector passes the final, and the completion certificate is
printed; then a technician records a new car's PDI and prints the sheet."""

import pytest
from playwright.sync_api import expect

from pitstop.customers.tests.factories import CustomerFactory, VehicleFactory, make_vin
from pitstop.messaging.models import OutboundMessage
from pitstop.service.models import RepairCategory, RepairOrder
from pitstop.service.tests.factories import OrderLabourFactory, OrderPartFactory, RepairOrderFactory
from pitstop.workshop.checks import check_record
from pitstop.workshop.models import PdiCheck, QualityCheck

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TABLET = (1024, 768)


def _tick_all_and(page, result: str) -> None:
    page.click("[data-tick-all=check-items]")
    page.click(f"label[for=result-{result}]")
    page.wait_for_timeout(300)  # the button's colour transition, for the screenshots


def test_a_failed_final_is_reworked_passed_and_certified(page_for, shot, live_server, store_a, make_staff):
    advisor = make_staff("advisor", store_a, full_name="陈静")
    tech = make_staff("technician", store_a, full_name="王建国")
    lead = make_staff("team_leader", store_a, full_name="李组长")
    qc = make_staff("qc_inspector", store_a, full_name="赵质检")
    owner = CustomerFactory(store=store_a, name="张伟")
    vehicle = VehicleFactory(
        owner=owner, plate="京A12345", brand="大众", model_name="帕萨特 330TSI", engine_no="DKV123456"
    )
    order = RepairOrderFactory(
        advisor=advisor,
        vehicle=vehicle,
        status=RepairOrder.Status.IN_PROGRESS,
        repair_category=RepairCategory.LEVEL_2,
        free_wash=False,
        mileage=45210,
        number="WXBJ01000123",
    )
    OrderLabourFactory(order=order, name="二级维护（4万公里）")
    OrderLabourFactory(order=order, name="更换前刹车片")
    OrderPartFactory(order=order, name="前刹车片")
    check_record(actor=qc, order=order, stage="arrival", passed=True)
    check_record(actor=qc, order=order, stage="during", passed=True)
    check_record(actor=tech, order=order, stage="self", passed=True)
    check_record(actor=lead, order=order, stage="team", passed=True)

    # The inspector finds the car pulling to one side on the road test: the final fails.
    page = page_for(qc)
    page.goto(f"{live_server.url}/workshop/qc/")
    row = page.locator(f"tr[data-order='{order.pk}']")
    expect(row).to_have_attribute("data-due", "final")
    shot(page, "checks-01-qc-queue")
    row.get_by_role("link").first.click()  # the job's checks
    page.click("[data-record=final]")
    page.click("[data-tick-all=check-items]")
    page.uncheck("#item-road_test")
    page.click("label[for=result-fail]")
    expect(page.locator("#fail-fields")).to_be_visible()
    page.fill("#id_reason", "路试制动跑偏，前刹车片安装不到位")
    page.select_option("#id_responsible", str(tech.pk))
    page.fill("#id_penalty", "100")
    page.fill("#id_lost_hours", "1.5")
    page.wait_for_timeout(300)
    shot(page, "checks-02-final-failing")
    page.click("#save-check")
    expect(page.locator("#check-list tr[data-passed='0']")).to_have_count(1)
    order.refresh_from_db()
    assert order.status == RepairOrder.Status.IN_PROGRESS and order.rework_count == 1
    shot(page, "checks-03-order-after-rework")

    # The technician redoes the work and self-checks again on the tablet.
    tablet = page_for(tech, viewport=TABLET)
    tablet.goto(f"{live_server.url}/workshop/orders/{order.pk}/checks/")
    tablet.click("[data-record=self]")
    expect(tablet.locator("#fail-fields")).to_be_hidden()
    _tick_all_and(tablet, "pass")
    shot(tablet, "checks-04-self-check-tablet", full_page=False)
    tablet.click("#save-check")
    expect(tablet.locator("[data-status]").first).to_have_attribute("data-status", "checking")

    # A pass with an item unticked is refused on the page.
    leader = page_for(lead, viewport=TABLET)
    leader.goto(f"{live_server.url}/workshop/orders/{order.pk}/checks/team/")
    leader.click("label[for=result-pass]")
    leader.click("#save-check")
    expect(leader.locator(".alert-danger")).to_be_visible()
    _tick_all_and(leader, "pass")
    leader.click("#save-check")
    expect(leader.locator("#check-list tr[data-stage=team][data-passed='1']")).to_have_count(2)

    # The final passes: the certificate number is issued and the car is ready.
    page.goto(f"{live_server.url}/workshop/orders/{order.pk}/checks/final/")
    _tick_all_and(page, "pass")
    page.fill("#id_note", "路试正常")
    page.click("#save-check")
    expect(page.locator("[data-certificate]").first).to_be_visible()
    order.refresh_from_db()
    assert order.status == RepairOrder.Status.READY and order.certificate_no == "HGBJ01000001"
    assert QualityCheck.objects.filter(order=order).count() == 8
    assert OutboundMessage.objects.filter(
        kind="ready_notice", reference_id=order.pk
    ).exists()  # the owner told
    shot(page, "checks-05-order-certified")
    page.click("#print-certificate")
    expect(page.locator("#certificate")).to_contain_text("HGBJ01000001")
    expect(page.locator("#certificate")).to_contain_text("京A12345")
    expect(page.locator("#certificate")).to_contain_text(vehicle.vin)
    shot(page, "checks-06-certificate")
    page.emulate_media(media="print")
    shot(page, "checks-07-certificate-print")
    page.emulate_media(media="screen")
    page.goto(f"{live_server.url}/workshop/orders/{order.pk}/qc-sheet/")
    shot(page, "checks-08-qc-sheet")

    # The rework shows in the statistics.
    page.goto(f"{live_server.url}/workshop/qc/rework/")
    expect(page.locator("[data-figure=reworks]")).to_have_text("1")
    shot(page, "checks-09-rework-report")


def test_a_new_car_pdi_is_recorded_and_printed(page_for, shot, live_server, store_a, make_staff):
    tech = make_staff("technician", store_a, full_name="王建国")
    vin = make_vin(777)
    tablet = page_for(tech, viewport=TABLET)
    tablet.goto(f"{live_server.url}/workshop/pdi/new/")
    tablet.fill("#id_vin", vin)
    tablet.fill("#id_model_name", "大众朗逸 1.5L 舒适版")
    tablet.fill("#id_mileage", "18")
    tablet.click("[data-tick-all=pdi-groups]")
    tablet.click("label[for=bad-paint]")
    tablet.fill("#note-paint", "左后门轻微划痕，已抛光处理")
    shot(tablet, "pdi-01-form-tablet", full_page=False)
    tablet.click("#save-pdi")
    expect(tablet.locator("[data-item=paint]")).to_have_attribute("data-ok", "0")
    check = PdiCheck.objects.get()
    assert check.number == "PDIBJ01000001" and not check.passed
    shot(tablet, "pdi-02-detail")
    tablet.click("#print-pdi")
    expect(tablet.locator("#pdi-sheet")).to_contain_text(vin)
    shot(tablet, "pdi-03-sheet")


def test_a_tool_is_lent_and_returned_damaged(page_for, shot, live_server, store_a, make_staff):
    import datetime

    from django.utils import timezone

    from pitstop.workshop.models import Tool
    from pitstop.workshop.tools import tool_save

    keeper = make_staff("dispatcher", store_a, full_name="周管理")
    tech = make_staff("technician", store_a, full_name="王建国")
    today = timezone.localdate()
    tool_save(
        actor=keeper,
        store=store_a,
        code="JSJ01",
        name="双柱举升机",
        maintenance_due=today - datetime.timedelta(days=3),
    )
    tool_save(
        actor=keeper,
        store=store_a,
        code="ZDY01",
        name="故障诊断仪 VAS6150",
        maintenance_due=today + datetime.timedelta(days=5),
    )
    page = page_for(keeper, viewport=TABLET)
    page.goto(f"{live_server.url}/workshop/tools/")
    page.click("#add-tool")
    page.fill("#id_code", "NLB01")
    page.fill("#id_name", "扭力扳手 40-200Nm")
    page.click("#save-tool")
    page.select_option("#id_borrower", str(tech.pk))
    page.click("#lend")
    expect(page.locator("[data-status]").first).to_have_attribute("data-status", "lent")
    page.fill("#id_damage", "棘轮卡滞")
    shot(page, "tools-01-detail-lent")
    page.click("#return")
    expect(page.locator("[data-status]").first).to_have_attribute("data-status", "repair")
    assert Tool.objects.get(code="NLB01").status == "repair"
    shot(page, "tools-02-returned-damaged")
    page.goto(f"{live_server.url}/workshop/tools/")
    expect(page.locator("tr[data-maintenance=overdue]")).to_have_count(1)
    shot(page, "tools-03-list")
