"""As a technician on a tablet (1024×768), in a real browser: open My jobs, clock on, ask the
warehouse for the brake pads on the order; the warehouse keeper (another login) issues them
against the work order; the technician reports a finding with a photo and proposed labour and a
part, and the job stops for the owner's approval."""

import io
from decimal import Decimal

import pytest
from PIL import Image
from playwright.sync_api import expect

from pitstop.customers.tests.factories import CustomerFactory, VehicleFactory
from pitstop.parts.models import StockLevel, StockMovement
from pitstop.parts.services import Reference, reservation_create, stock_receive
from pitstop.parts.tests.factories import PartFactory, WarehouseFactory
from pitstop.service.models import Approval, Finding, OrderLabour, OrderPart, OrderPhoto, RepairOrder
from pitstop.service.tests.factories import (
    BayFactory,
    LabourOperationFactory,
    OrderLabourFactory,
    OrderPartFactory,
    RepairOrderFactory,
    StoreWorkshopFactory,
)
from pitstop.workshop.models import PartsRequest, TimeEntry
from pitstop.workshop.tests.factories import AssignmentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
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
    return path


def test_technician_clocks_on_asks_for_parts_and_reports_a_finding(
    page_for, shot, live_server, store_a, make_staff, tmp_path
):
    advisor = make_staff("advisor", store_a, full_name="陈静")
    tech = make_staff("technician", store_a, full_name="王建国")
    keeper = make_staff("warehouse", store_a, full_name="赵库管")
    StoreWorkshopFactory(store=store_a)
    bay = BayFactory(store=store_a, name="机修2号工位")
    warehouse = WarehouseFactory(store=store_a, code="PJ", name="配件总库")
    pads = PartFactory(code="3Q0698151A", name="前刹车片", unit="套", sale_price=Decimal("420.00"))
    discs = PartFactory(code="5Q0615301F", name="前刹车盘", unit="个", sale_price=Decimal("560.00"))
    stock_receive(
        actor=None,
        warehouse=warehouse,
        lines=[(pads, 4, Decimal("260")), (discs, 6, Decimal("300"))],
        kind="opening",
    )
    LabourOperationFactory(code="BRK02", name="更换前刹车盘", standard_hours=Decimal("1.500"))

    vehicle = VehicleFactory(
        owner=CustomerFactory(store=store_a, name="张伟"), plate="京A12345", model_name="帕萨特 330TSI"
    )
    order = RepairOrderFactory(
        vehicle=vehicle,
        advisor=advisor,
        status=Status.DISPATCHED,
        owner_description="前轮刹车异响，更换前刹车片",
    )
    OrderLabourFactory(order=order, name="更换前刹车片", code="BRK01", hours=Decimal("1.200"))
    OrderLabourFactory(order=order, name="制动系统检查", hours=Decimal("0.300"))
    reservation = reservation_create(
        actor=None,
        warehouse=warehouse,
        part=pads,
        quantity=1,
        reference=Reference("repair_order", order.pk, order.number),
    )
    line = OrderPartFactory(
        order=order,
        part=pads,
        code=pads.code,
        name=pads.name,
        unit="套",
        quantity=Decimal("1"),
        supply=OrderPart.Supply.RESERVED,
        reservation=reservation,
    )
    OrderPartFactory(order=order, name="刹车油 DOT4", code="B000750M3", supply=OrderPart.Supply.ORDERED)
    AssignmentFactory(order=order, bay=bay, technicians=[tech], hours=Decimal("1.5"))
    other = RepairOrderFactory(
        vehicle=VehicleFactory(
            owner=CustomerFactory(store=store_a), plate="京B67890", model_name="朗逸 1.5L"
        ),
        advisor=advisor,
        status=Status.DISPATCHED,
        owner_description="首保",
    )
    AssignmentFactory(order=other, bay=bay, technicians=[tech])

    # My jobs: two cards; clock on the brake job.
    page = page_for(tech, viewport=TABLET)
    page.goto(f"{live_server.url}/workshop/my-jobs/")
    expect(page.locator("[data-job]")).to_have_count(2)
    shot(page, "technician-01-my-jobs")
    page.click(f"[data-clock-on='{order.pk}']")
    expect(page.locator("#running-clock")).to_be_visible()
    expect(page.locator(f"[data-job='{order.pk}']")).to_have_attribute("data-status", "in_progress")
    shot(page, "technician-02-clocked-on")
    assert TimeEntry.objects.get(technician=tech).ended_at is None

    # The job: work to do, where each part is; ask for the pads on the order.
    page.click(f"[data-open-job='{order.pk}']")
    expect(page.locator("#clock-off")).to_be_visible()
    expect(page.locator(f"[data-part-line='{line.pk}']")).to_have_attribute("data-supply", "reserved")
    shot(page, "technician-03-job")
    page.click("#ask-parts")
    page.fill("#part-search", "刹车")
    expect(page.locator(f"[data-part='{discs.pk}']")).to_be_visible()
    shot(page, "technician-04-ask-for-parts")
    page.click(f"[data-ask-line='{line.pk}']")
    expect(page.locator(".alert-success")).to_be_visible()
    request = PartsRequest.objects.get()
    assert request.line_id == line.pk and request.status == PartsRequest.Status.OPEN

    # The warehouse keeper, on another device, issues it against the work order.
    desk = page_for(keeper, viewport=TABLET)
    desk.goto(f"{live_server.url}/workshop/parts-requests/")
    expect(desk.locator(f"[data-request='{request.pk}']")).to_contain_text("京A12345")
    shot(desk, "technician-05-warehouse-queue")
    desk.click(f"[data-issue='{request.pk}']")
    expect(desk.locator(".alert-success")).to_be_visible()
    expect(desk.locator("#handled-today")).to_contain_text("前刹车片")
    shot(desk, "technician-06-warehouse-issued")
    request.refresh_from_db()
    assert request.status == PartsRequest.Status.ISSUED
    movement = StockMovement.objects.get(kind="issue")
    assert movement.reference_no == order.number and movement.taken_by == "王建国"
    assert StockLevel.objects.get(part=pads).on_hand == Decimal("3")

    page.reload()
    expect(page.locator(f"[data-part-line='{line.pk}']")).to_have_attribute("data-supply", "issued")

    # A finding: worn discs, with a photo, the catalogue labour and the part; stop for the owner.
    page.click("#report-finding")
    page.fill("#id_description", "前刹车盘磨损严重，有明显沟槽，建议同时更换")
    page.fill("#id_extra_hours", "1.5")
    page.fill("#labour_0", "刹车盘")
    page.click("#labour_0-suggestions [data-fill-value='BRK02']")
    expect(page.locator("#labour_0")).to_have_value("BRK02")
    page.fill("#part_0", "5Q06")
    page.click(f"#part_0-suggestions [data-fill-value='{discs.code}']")
    page.fill("#part_qty_0", "2")
    page.set_input_files("#id_photos", str(_photo(tmp_path)))
    expect(page.locator("#photo-preview img")).to_have_count(1)
    shot(page, "technician-07-finding-form")
    page.click("#send-finding")
    expect(page.locator(".alert-success")).to_be_visible()
    finding = Finding.objects.get()
    assert OrderLabour.objects.get(finding=finding).approval == Approval.PENDING
    assert OrderPart.objects.get(finding=finding).quantity == Decimal("2")
    assert OrderPhoto.objects.filter(finding=finding, kind="finding").count() == 1
    order.refresh_from_db()
    assert order.status == Status.WAITING_APPROVAL
    assert TimeEntry.objects.get(technician=tech).ended_at is not None  # the clock stopped with the job
    expect(page.locator(f"[data-finding='{finding.pk}']")).to_be_visible()
    shot(page, "technician-08-job-waiting-for-approval")

    # The manager compares hours clocked with hours charged.
    manager = make_staff("store_manager", store_a, full_name="刘经理")
    office = page_for(manager, viewport=TABLET)
    office.goto(f"{live_server.url}/workshop/time/")
    expect(office.locator(f"#time-report [data-technician='{tech.pk}']")).to_be_visible()
    shot(office, "technician-09-time-report")
