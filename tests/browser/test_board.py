"""As the workshop dispatcher, in a real browser: a signed work order waits for dispatch; the
dispatcher opens it, sees the free bay proposed, ticks the technicians and dispatches; the
board then shows the car in the dispatched column on its bay's line; the TV view for the
workshop wall at 1920×1080."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from pitstop.customers.tests.factories import CustomerFactory, VehicleFactory
from pitstop.service.estimates import labour_line_add, order_sign
from pitstop.service.models import BayType, OrderPart, RepairOrder
from pitstop.service.orders import order_open
from pitstop.service.tests.factories import (
    BayFactory,
    OrderPartFactory,
    RepairOrderFactory,
    StoreWorkshopFactory,
)
from pitstop.workshop.models import Assignment
from pitstop.workshop.tests.factories import AssignmentFactory, TeamFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
Status = RepairOrder.Status


def _signed_order(advisor, store, plate: str, model: str) -> RepairOrder:
    vehicle = VehicleFactory(
        owner=CustomerFactory(store=store, name="张伟"), plate=plate, brand="大众", series=model
    )
    order = order_open(actor=advisor, store=store, vehicle=vehicle, owner_description="4万公里保养，刹车异响")
    labour_line_add(
        actor=advisor, order=order, name="4万公里保养", hours=Decimal("1.5"), bay_type=BayType.MAINTENANCE
    )
    labour_line_add(
        actor=advisor, order=order, name="更换前刹车片", hours=Decimal("1"), bay_type=BayType.MAINTENANCE
    )
    return order_sign(actor=advisor, order=order, on_paper=True)


def _busy_workshop(store, advisor, techs, bays) -> None:
    """Other cars in the workshop, so the board and the TV look like a working day."""
    now = timezone.now()
    rows = [
        ("京B20001", "帕萨特", Status.IN_PROGRESS, bays[0], -2, 1, 0),
        ("京B20002", "迈腾", Status.IN_PROGRESS, bays[2], -1, -0.2, 1),
        ("京B20003", "途观L", Status.WAITING_PARTS, bays[3], -3, 2, 0),
        ("京B20004", "宝来", Status.WAITING_APPROVAL, bays[0], -4, -2.5, 0),
        ("京B20005", "高尔夫", Status.CHECKING, bays[2], -3, -1.5, 0),
        ("京B20006", "速腾", Status.WASHING, None, -5, -3, 0),
        ("京B20007", "凌渡", Status.READY, None, -6, -4, 0),
        ("京B20008", "探岳", Status.CONFIRMED, None, None, None, 2),
    ]
    for plate, model, status, bay, start, end, priority in rows:
        vehicle = VehicleFactory(owner=CustomerFactory(store=store), plate=plate, brand="大众", series=model)
        order = RepairOrderFactory(
            vehicle=vehicle,
            advisor=advisor,
            status=status,
            priority=priority,
            started_at=now + datetime.timedelta(hours=start) if start is not None else None,
            promised_at=now + datetime.timedelta(hours=3),
        )
        if start is not None:
            AssignmentFactory(
                order=order,
                bay=bay,
                bay_type=bay.bay_type if bay else BayType.MAINTENANCE,
                technicians=techs[:1],
                planned_start=now + datetime.timedelta(hours=start),
                planned_end=now + datetime.timedelta(hours=end),
            )
        if status == Status.WAITING_PARTS:
            OrderPartFactory(
                order=order,
                name="前减震器",
                supply=OrderPart.Supply.ORDERED,
                expected_on=timezone.localdate() + datetime.timedelta(days=1),
            )


def test_dispatcher_dispatches_a_signed_order_and_the_board_shows_it(
    page_for, shot, live_server, store_a, make_staff
):
    StoreWorkshopFactory(store=store_a)
    advisor = make_staff("advisor", store_a, full_name="陈静")
    dispatcher = make_staff("dispatcher", store_a, full_name="周调度")
    techs = [
        make_staff("technician", store_a, full_name="王师傅"),
        make_staff("technician", store_a, full_name="李师傅"),
        make_staff("team_leader", store_a, full_name="赵组长"),
    ]
    TeamFactory(store=store_a, name="机修一组", leader=techs[2], members=techs)
    bays = [
        BayFactory(store=store_a, bay_type=BayType.MAINTENANCE, name="快保1"),
        BayFactory(store=store_a, bay_type=BayType.MAINTENANCE, name="快保2"),
        BayFactory(store=store_a, bay_type=BayType.MECHANICAL, name="机修1"),
        BayFactory(store=store_a, bay_type=BayType.BODY, name="钣金1"),
    ]
    _busy_workshop(store_a, advisor, techs, bays)
    order = _signed_order(advisor, store_a, "京A12345", "朗逸")
    assert order.status == Status.CONFIRMED

    page = page_for(dispatcher, viewport=(1024, 768))
    page.goto(f"{live_server.url}/workshop/dispatch/")
    row = page.locator(f"#waiting-table tr[data-order='{order.number}']")
    expect(row).to_contain_text("京A12345")
    expect(row).to_contain_text("2.5")
    shot(page, "board-01-dispatch-list")

    row.locator("[data-dispatch-link]").click()
    expect(page.locator("#dispatch-form")).to_be_visible()
    expect(page.locator("#id_hours")).to_have_value("2.5")
    # Start in half an hour: 快保1 is taken by 京B20001 then, so the free 快保2 is proposed, and
    # the end follows the start and the hours.
    start = timezone.localtime(timezone.now() + datetime.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")
    page.fill("#id_planned_start", start)
    page.dispatch_event("#id_planned_start", "change")
    expect(page.locator("#bay-choices")).to_contain_text("京B20001")
    expect(page.locator("#id_bay")).to_have_value(str(bays[1].pk))
    page.select_option("#id_team", label="机修一组")
    page.locator("#technician-choices label", has_text="王师傅").click()
    page.locator("#technician-choices label", has_text="赵组长").click()
    shot(page, "board-02-dispatch-form")
    page.click("#dispatch-submit")
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("#order-status")).to_have_attribute("data-status", "dispatched")
    assignment = Assignment.objects.get(order=order)
    assert assignment.bay == bays[1] and {t.full_name for t in assignment.technicians.all()} == {
        "王师傅",
        "赵组长",
    }
    assert assignment.planned_end - assignment.planned_start == datetime.timedelta(minutes=150)
    shot(page, "board-03-dispatched")

    page.goto(f"{live_server.url}/workshop/board/")
    line = page.locator(f"tr[data-bay='{bays[1].pk}'] td[data-cell='dispatched']")
    expect(line).to_contain_text("京A12345")
    expect(line).to_contain_text("王师傅")
    expect(page.locator("td[data-cell='waiting_parts'] [data-badge='parts']")).to_be_visible()
    expect(page.locator("[data-late='1']").first).to_be_visible()
    shot(page, "board-04-board-tablet")

    # The board refreshes itself: a change made elsewhere shows up without reloading the page.
    RepairOrder.objects.filter(pk=order.pk).update(status=Status.IN_PROGRESS, started_at=timezone.now())
    page.locator("#board-grid").evaluate(
        "el => htmx.ajax('GET', location.pathname, {target: el, swap: 'outerHTML'})"
    )
    expect(page.locator(f"tr[data-bay='{bays[1].pk}'] td[data-cell='in_progress']")).to_contain_text(
        "京A12345"
    )

    tv = page_for(dispatcher, viewport=(1920, 1080))
    tv.goto(f"{live_server.url}/workshop/board/tv/")
    expect(tv.locator("section[data-column='in_progress']")).to_contain_text("京A12345")
    expect(tv.locator("nav")).to_have_count(0)
    size = tv.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    assert size[0] <= 1920 and size[1] <= 1080
    shot(tv, "board-05-tv-1920x1080", full_page=False)
