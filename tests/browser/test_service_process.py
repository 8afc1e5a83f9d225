"""The whole service process of issue 4 in one real browser, across the roles, in order:

the owner books online on the phone → the advisor confirms → the car arrives and is received
(walk-around, diagnosis) → estimate (a canned job and a part from stock) → the owner signs on the
tablet → the dispatcher dispatches → the technician clocks on, asks the warehouse for the part
(issued against the work order), reports a finding → the owner approves the add-on work from the
link in the SMS → self-check, team check, a failed final (rework), self-check and team check
again, the final passes → washing → ready, the ready notice in the outbox."""

import io
from decimal import Decimal

import pytest
from PIL import Image
from playwright.sync_api import expect

from pitstop.customers.tests.factories import CustomerFactory, VehicleFactory
from pitstop.messaging.models import OutboundMessage
from pitstop.parts.models import StockLevel, StockMovement
from pitstop.parts.services import stock_receive
from pitstop.parts.tests.factories import PartFactory, WarehouseFactory
from pitstop.service.models import Appointment, Approval, Finding, OrderLabour, OrderPart, RepairOrder
from pitstop.service.tests.booking import at, day, workshop
from pitstop.service.tests.factories import CannedJobFactory, CannedJobLineFactory, LabourOperationFactory
from pitstop.workshop.models import Assignment, PartsRequest, QualityCheck, TimeEntry
from pitstop.workshop.tests.factories import TeamFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}
TABLET = (1024, 768)
Status = RepairOrder.Status


def _photo(tmp_path):
    path = tmp_path / "刹车盘.jpg"
    image = Image.new("RGB", (640, 480), (90, 90, 95))
    for x in range(200, 440):
        for y in range(180, 300, 6):
            image.putpixel((x, y), (200, 60, 40))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def _phone(browser):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    return context, page


def _check(page, live_server, order, stage: str, result: str = "pass") -> None:
    page.goto(f"{live_server.url}/workshop/orders/{order.pk}/checks/{stage}/")
    page.click("[data-tick-all=check-items]")
    page.click(f"label[for=result-{result}]")
    page.wait_for_timeout(300)  # the button's colour transition, for the screenshots


def test_the_whole_service_process_across_the_roles(
    browser, page_for, shot, live_server, store_a, make_staff, settings, tmp_path
):
    settings.PUBLIC_BASE_URL = live_server.url
    store_a.address, store_a.phone = "北京市朝阳区酒仙桥路10号", "010-64321234"
    store_a.save()
    advisor = make_staff("advisor", store_a, full_name="陈静")
    dispatcher = make_staff("dispatcher", store_a, full_name="周调度")
    tech = make_staff("technician", store_a, full_name="王建国")
    lead = make_staff("team_leader", store_a, full_name="李组长")
    qc = make_staff("qc_inspector", store_a, full_name="赵质检")
    keeper = make_staff("warehouse", store_a, full_name="钱库管")
    TeamFactory(store=store_a, name="机修一组", leader=lead, members=[tech, lead])
    workshop(store_a, maintenance=2)

    warehouse = WarehouseFactory(store=store_a, code="PJ01", name="配件总库")
    oil_filter = PartFactory(code="06L115562", name="机油滤清器", sale_price=Decimal("58.00"))
    pads = PartFactory(code="3Q0698151A", name="前刹车片", unit="套", sale_price=Decimal("420.00"))
    discs = PartFactory(code="5Q0615301F", name="前刹车盘", unit="个", sale_price=Decimal("560.00"))
    stock_receive(
        actor=None,
        warehouse=warehouse,
        lines=[
            (oil_filter, Decimal("6"), Decimal("30")),
            (pads, Decimal("4"), Decimal("260")),
            (discs, Decimal("6"), Decimal("300")),
        ],
    )
    change_oil = LabourOperationFactory(code="BY001", name="更换机油机滤", standard_hours=Decimal("1"))
    LabourOperationFactory(code="BRK02", name="更换前刹车盘", standard_hours=Decimal("1.5"))
    job = CannedJobFactory(code="TC01", name="常规保养（1万公里）")
    CannedJobLineFactory(job=job, labour=change_oil, quantity=Decimal("1"))
    CannedJobLineFactory(job=job, labour=None, part=oil_filter, quantity=Decimal("1"))
    zhang = CustomerFactory(store=store_a, name="张伟", gender="male", mobile="13812345678")
    passat = VehicleFactory(owner=zhang, plate="京A12345", brand="大众", model_name="帕萨特 330TSI")

    # --- 1. the owner books on the phone, without logging in; plate and mobile match the file
    context, phone = _phone(browser)
    phone.goto(f"{live_server.url}/book/{store_a.code}/")
    expect(phone.locator("#store-name")).to_have_text(store_a.name)
    phone.fill("#id_plate", "京A12345")
    phone.fill("#id_mobile", "13812345678")
    phone.fill("#id_contact_name", "张先生")
    phone.select_option("#id_service", f"job-{job.pk}")
    phone.locator(f"label[data-day='{day(3).isoformat()}']").click()
    expect(phone.locator("#online-slots")).to_have_attribute("data-day", day(3).isoformat())
    phone.locator("label.online-time", has_text="10:00").click()
    phone.fill("#id_wish", "前轮刹车有异响")
    phone.wait_for_timeout(300)
    shot(phone, "process-01-online-booking")
    phone.click("#online-submit")
    expect(phone.locator("#online-done")).to_be_visible()
    appointment = Appointment.objects.get(plate="京A12345")
    assert appointment.status == Appointment.Status.REQUESTED
    assert appointment.source == Appointment.Source.ONLINE and appointment.starts_at == at(10, offset=3)
    assert appointment.vehicle == passat and appointment.customer == zhang  # matched to the file
    expect(phone.locator("#online-request")).to_contain_text(appointment.number)
    shot(phone, "process-02-online-booked")
    context.close()

    # --- 2. the advisor confirms it
    page = page_for(advisor, viewport=TABLET)
    page.goto(f"{live_server.url}/appointments/to-confirm/")
    row = page.locator("#to-confirm tr", has_text="京A12345")
    expect(row).to_contain_text(appointment.number)
    shot(page, "process-03-to-confirm")
    row.locator("a", has_text=appointment.number).click()
    page.locator("form[action$='/status/']:has(input[name=to][value=confirmed]) button").first.click()
    expect(page.locator(".alert-success")).to_be_visible()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CONFIRMED
    assert OutboundMessage.objects.filter(
        reference_no=appointment.number, kind="appointment_confirmed"
    ).exists()
    shot(page, "process-04-confirmed")

    # --- 3. the car arrives: received from the appointment, walk-around, diagnosis
    page.click("#receive")
    expect(page.locator("#walkaround-form")).to_be_visible()
    order = RepairOrder.objects.get(vehicle=passat)
    assert order.appointment == appointment and order.status == Status.DRAFT
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.ARRIVED
    page.fill("#id_mileage", "40210")
    page.click("label[for=fuel-1]")
    page.fill("#id_key_tag", "A07")
    page.click("[data-car-diagram] [data-zone=front_left_door]")
    expect(page.locator("#mark-picker")).to_be_visible()
    page.click("#mark-picker [data-mark-kind=dent]")
    expect(page.locator("#mark-list [data-mark-row]")).to_have_count(1)
    for item in ("spare_wheel", "jack", "warning_triangle"):
        page.click(f"label[for=item-{item}]")
    page.click("label[for=doc-driving_licence]")
    shot(page, "process-05-walkaround")
    page.click("#save-and-diagnose")
    expect(page.locator("#diagnosis-form")).to_be_visible()
    order.refresh_from_db()
    assert order.mileage == 40210 and order.key_tag == "A07"
    assert [(m["zone"], m["kind"]) for m in order.body_marks] == [("front_left_door", "dent")]
    assert order.items_in_vehicle["jack"] and order.documents_held == ["driving_licence"]
    page.fill("#id_diagnosis", "前刹车片磨损至极限，需更换；机油到期")
    page.select_option("#id_diagnosed_by", str(tech.pk))
    page.click("label[for=category-level_1]")
    shot(page, "process-06-diagnosis")
    page.click("#save-and-estimate")
    expect(page.locator("#order-header")).to_contain_text(order.number)
    order.refresh_from_db()
    assert order.repair_category == "level_1" and order.diagnosed_by == tech

    # --- 4. the estimate: the canned job, and the brake pads from stock
    page.select_option("#job-select", str(job.pk))
    page.click("#add-job")
    expect(page.locator("#labour-lines")).to_contain_text("更换机油机滤")
    expect(page.locator("#part-lines")).to_contain_text("机油滤清器")
    page.fill("#part-search", "3Q06")
    expect(page.locator('[data-add-part="3Q0698151A"]')).to_be_visible()
    page.click('[data-add-part="3Q0698151A"]')
    expect(page.locator("#part-lines")).to_contain_text("前刹车片")
    pads_line = OrderPart.objects.get(order=order, part=pads)
    assert OrderLabour.objects.filter(order=order).count() == 1
    assert OrderPart.objects.filter(order=order).count() == 2
    order.refresh_from_db()
    assert order.total > 0
    page.locator("#estimate-lines").scroll_into_view_if_needed()
    shot(page, "process-07-estimate")

    # --- 5. the owner signs on the tablet; free wash on
    page.click("#sign-link")
    page.select_option("#id_payment_method", "mobile")
    page.check("#id_free_wash")
    box = page.locator("#signature-pad").bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.1, y + h * 0.6)
    page.mouse.down()
    for step in range(1, 31):
        page.mouse.move(x + w * (0.1 + step * 0.025), y + h * (0.45 if step % 2 else 0.7), steps=3)
    page.mouse.up()
    shot(page, "process-08-signature")
    page.click("#sign-submit")
    expect(page.locator("#signed-at")).to_be_visible()
    order.refresh_from_db()
    assert order.status == Status.CONFIRMED and order.free_wash
    assert order.signature.startswith("data:image/png;base64,")
    shot(page, "process-09-signed")

    # --- 6. the dispatcher dispatches it
    desk = page_for(dispatcher, viewport=TABLET)
    desk.goto(f"{live_server.url}/workshop/dispatch/")
    waiting = desk.locator(f"#waiting-table tr[data-order='{order.number}']")
    expect(waiting).to_contain_text("京A12345")
    waiting.locator("[data-dispatch-link]").click()
    expect(desk.locator("#dispatch-form")).to_be_visible()
    desk.select_option("#id_team", label="机修一组")
    desk.locator("#technician-choices label", has_text="王建国").click()
    shot(desk, "process-10-dispatch-form")
    desk.click("#dispatch-submit")
    expect(desk.locator(".alert-success")).to_be_visible()
    expect(desk.locator("#order-status")).to_have_attribute("data-status", "dispatched")
    assignment = Assignment.objects.get(order=order)
    assert list(assignment.technicians.all()) == [tech]
    order.refresh_from_db()
    assert order.status == Status.DISPATCHED
    shot(desk, "process-11-dispatched")

    # --- 7. the technician: clock on, ask for the pads, the warehouse issues them, a finding
    tablet = page_for(tech, viewport=TABLET)
    tablet.goto(f"{live_server.url}/workshop/my-jobs/")
    expect(tablet.locator(f"[data-job='{order.pk}']")).to_be_visible()
    tablet.click(f"[data-clock-on='{order.pk}']")
    expect(tablet.locator("#running-clock")).to_be_visible()
    expect(tablet.locator(f"[data-job='{order.pk}']")).to_have_attribute("data-status", "in_progress")
    assert TimeEntry.objects.get(technician=tech, order=order).ended_at is None
    shot(tablet, "process-12-clocked-on")
    tablet.click(f"[data-open-job='{order.pk}']")
    expect(tablet.locator(f"[data-part-line='{pads_line.pk}']")).to_have_attribute("data-supply", "reserved")
    tablet.click("#ask-parts")
    tablet.click(f"[data-ask-line='{pads_line.pk}']")
    expect(tablet.locator(".alert-success")).to_be_visible()
    request = PartsRequest.objects.get(order=order)
    assert request.line_id == pads_line.pk and request.status == PartsRequest.Status.OPEN
    shot(tablet, "process-13-parts-asked")

    store_room = page_for(keeper, viewport=TABLET)
    store_room.goto(f"{live_server.url}/workshop/parts-requests/")
    expect(store_room.locator(f"[data-request='{request.pk}']")).to_contain_text("京A12345")
    shot(store_room, "process-14-warehouse-queue")
    store_room.click(f"[data-issue='{request.pk}']")
    expect(store_room.locator(".alert-success")).to_be_visible()
    request.refresh_from_db()
    assert request.status == PartsRequest.Status.ISSUED
    issue = StockMovement.objects.get(kind="issue", part=pads)
    assert issue.reference_no == order.number
    assert StockLevel.objects.get(part=pads, warehouse=warehouse).on_hand == Decimal("3")  # 4 − 1
    shot(store_room, "process-15-warehouse-issued")

    tablet.goto(f"{live_server.url}/workshop/my-jobs/")
    tablet.click(f"[data-open-job='{order.pk}']")
    expect(tablet.locator(f"[data-part-line='{pads_line.pk}']")).to_have_attribute("data-supply", "issued")
    tablet.click("#report-finding")
    tablet.fill("#id_description", "前刹车盘磨损严重，有明显沟槽，建议同时更换")
    tablet.fill("#id_extra_hours", "1.5")
    tablet.fill("#labour_0", "刹车盘")
    tablet.click("#labour_0-suggestions [data-fill-value='BRK02']")
    expect(tablet.locator("#labour_0")).to_have_value("BRK02")
    tablet.fill("#part_0", "5Q06")
    tablet.click(f"#part_0-suggestions [data-fill-value='{discs.code}']")
    tablet.fill("#part_qty_0", "2")
    tablet.set_input_files("#id_photos", _photo(tmp_path))
    expect(tablet.locator("#photo-preview img")).to_have_count(1)
    shot(tablet, "process-16-finding")
    tablet.click("#send-finding")
    expect(tablet.locator(".alert-success")).to_be_visible()
    finding = Finding.objects.get(order=order)
    addon_labour = OrderLabour.objects.get(finding=finding)
    addon_part = OrderPart.objects.get(finding=finding)
    assert addon_labour.approval == Approval.PENDING and addon_part.approval == Approval.PENDING
    assert addon_part.part == discs and addon_part.quantity == Decimal("2")
    order.refresh_from_db()
    assert order.status == Status.WAITING_APPROVAL
    shot(tablet, "process-17-waiting-for-approval")

    # --- 8. the advisor sends the link; the owner approves on the phone
    page.goto(f"{live_server.url}/orders/{order.pk}/approval/")
    expect(page.locator("#pending-count")).to_have_attribute("data-count", "2")
    page.click("#send-link")
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("#approval-link")).to_be_visible()
    shot(page, "process-18-approval-link-sent")
    order.refresh_from_db()
    sms = OutboundMessage.objects.get(kind="approval_link", reference_id=order.pk)
    link = f"{live_server.url}/a/{order.approval_token}/"
    assert link in sms.body and sms.to == "13812345678"

    context, owner = _phone(browser)
    owner.goto(link)
    expect(owner.locator("#owner-plate")).to_have_text("京A12345")
    expect(owner.locator(f'[data-line="labour-{addon_labour.pk}"]')).to_be_visible()
    expect(owner.locator(f'[data-line="part-{addon_part.pk}"]')).to_be_visible()
    shot(owner, "process-19-owner-approval-page")
    owner.click("#approve-all")
    expect(owner.locator(f'[data-line="labour-{addon_labour.pk}"]')).to_have_attribute(
        "data-approval", "approved"
    )
    expect(owner.locator(f'[data-line="part-{addon_part.pk}"]')).to_have_attribute(
        "data-approval", "approved"
    )
    shot(owner, "process-20-owner-approved")
    context.close()
    addon_labour.refresh_from_db()
    addon_part.refresh_from_db()
    assert addon_labour.approval == addon_part.approval == Approval.APPROVED
    assert addon_labour.approval_via == "link"
    order.refresh_from_db()
    assert order.status == Status.IN_PROGRESS

    # --- 9. self-check, team check, the final fails (rework), again, the final passes
    _check(tablet, live_server, order, "self")
    shot(tablet, "process-21-self-check")
    tablet.click("#save-check")
    expect(tablet.locator("#check-list tr[data-stage=self][data-passed='1']")).to_have_count(1)
    order.refresh_from_db()
    assert order.status == Status.CHECKING

    leader = page_for(lead, viewport=TABLET)
    _check(leader, live_server, order, "team")
    leader.click("#save-check")
    expect(leader.locator("#check-list tr[data-stage=team][data-passed='1']")).to_have_count(1)
    shot(leader, "process-22-team-check")

    inspector = page_for(qc, viewport=TABLET)
    inspector.goto(f"{live_server.url}/workshop/qc/")
    expect(inspector.locator(f"tr[data-order='{order.pk}']")).to_have_attribute("data-due", "final")
    _check(inspector, live_server, order, "final", "fail")
    inspector.uncheck("#item-road_test")
    expect(inspector.locator("#fail-fields")).to_be_visible()
    inspector.fill("#id_reason", "路试制动跑偏，前刹车盘安装不到位")
    inspector.select_option("#id_responsible", str(tech.pk))
    inspector.fill("#id_penalty", "100")
    shot(inspector, "process-23-final-failing")
    inspector.click("#save-check")
    expect(inspector.locator("#check-list tr[data-passed='0']")).to_have_count(1)
    order.refresh_from_db()
    assert order.status == Status.IN_PROGRESS and order.rework_count == 1
    failed = QualityCheck.objects.get(order=order, passed=False)
    assert failed.stage == "final" and failed.responsible == tech and failed.penalty == Decimal("100.00")
    shot(inspector, "process-24-rework")

    _check(tablet, live_server, order, "self")
    tablet.click("#save-check")
    expect(tablet.locator("#check-list tr[data-stage=self][data-passed='1']")).to_have_count(2)
    _check(leader, live_server, order, "team")
    leader.click("#save-check")
    expect(leader.locator("#check-list tr[data-stage=team][data-passed='1']")).to_have_count(2)
    _check(inspector, live_server, order, "final")
    inspector.fill("#id_note", "路试正常")
    inspector.click("#save-check")
    expect(inspector.locator("#check-list tr[data-stage=final][data-passed='1']")).to_have_count(1)
    order.refresh_from_db()
    assert order.status == Status.WASHING and order.rework_count == 1
    assert QualityCheck.objects.filter(order=order).count() == 6
    shot(inspector, "process-25-final-passed")

    # --- 10. washing: washed → ready
    page.goto(f"{live_server.url}/workshop/washing/")
    washing_row = page.locator(f'tr[data-order="{order.pk}"]')
    expect(washing_row).to_contain_text("京A12345")
    shot(page, "process-26-washing-queue")
    washing_row.locator('[data-action="washed"]').click()
    expect(page.locator(".alert-success")).to_be_visible()
    order.refresh_from_db()
    assert order.status == Status.READY and order.ready_at is not None
    shot(page, "process-27-washed")

    # --- 11. the owner is told: the ready notice in the outbox
    ready = OutboundMessage.objects.get(kind="ready_notice", reference_id=order.pk)
    assert ready.to == "13812345678" and "京A12345" in ready.body
    page.goto(f"{live_server.url}/messages/")
    expect(page.locator("#outbox-table tbody tr")).to_have_count(3)  # confirmed, approval link, ready
    expect(page.locator("#outbox-table tbody tr").first).to_contain_text(ready.body[:40])
    shot(page, "process-28-outbox")
    page.select_option("#id_kind", "ready_notice")
    expect(page.locator("#outbox-table tbody tr")).to_have_count(1)
    expect(page.locator("#outbox-table tbody tr")).to_contain_text("13812345678")
    page.locator("#outbox-table tbody tr a").first.click()
    expect(page.locator("main")).to_contain_text(ready.body)
    assert set(OutboundMessage.objects.filter(vehicle=passat).values_list("kind", flat=True)) >= {
        "appointment_confirmed",
        "approval_link",
        "ready_notice",
    }
    shot(page, "process-29-ready-notice")
