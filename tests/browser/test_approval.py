"""In a real browser: the advisor sends the owner the add-on link; the owner opens it on a phone
(390×844, no login), approves the brake pads and declines the wipers; the advisor sees the
decisions and prints the add-on sheet; a late job's delay is confirmed on the tasks page; the
car is washed and the ready notice is in the outbox."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from pitstop.messaging.models import OutboundMessage
from pitstop.service.models import Approval, OrderLabour, OrderPhoto, RepairOrder
from pitstop.service.orders import order_recalculate, order_transition
from pitstop.service.tests.factories import OrderLabourFactory, OrderPartFactory
from pitstop.service.tests.test_approval import add_finding, make_order, png
from pitstop.workshop.models import AdvisorTask

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
Status = RepairOrder.Status


def test_owner_approves_add_on_work_on_the_phone_and_is_told_when_the_car_is_ready(
    browser, page_for, shot, live_server, store_a, make_staff, settings
):
    settings.PUBLIC_BASE_URL = live_server.url
    store_a.address, store_a.phone = "北京市朝阳区建国路88号", "010-65001234"
    store_a.save()
    advisor = make_staff("advisor", store_a, full_name="陈静")
    technician = make_staff("technician", store_a, full_name="李强")
    order = make_order(store_a, advisor)
    OrderLabourFactory(
        order=order, name="常规保养（1万公里）", amount=Decimal("280.00"), price=Decimal("280.00")
    )
    brakes = add_finding(order, technician, description="左前刹车片磨损到极限，剩余约2mm", extra="1.5")
    OrderPhoto.objects.create(
        order=order, kind=OrderPhoto.Kind.FINDING, finding=brakes, image=png("pads2.png")
    )
    pads_labour = OrderLabourFactory(
        order=order,
        name="更换前刹车片",
        is_addon=True,
        approval=Approval.PENDING,
        finding=brakes,
        hours=Decimal("1.2"),
        price=Decimal("180.00"),
        discount_pct=Decimal("10"),
        amount=Decimal("162.00"),
    )
    OrderPartFactory(
        order=order,
        name="前刹车片（原厂）",
        is_addon=True,
        approval=Approval.PENDING,
        finding=brakes,
        unit="套",
        unit_price=Decimal("420.00"),
        amount=Decimal("420.00"),
    )
    wipers = add_finding(order, technician, description="雨刮片老化，刮不干净", extra="0.2", photo=False)
    wiper = OrderLabourFactory(
        order=order,
        name="更换雨刮片",
        is_addon=True,
        approval=Approval.PENDING,
        finding=wipers,
        hours=Decimal("0.2"),
        price=Decimal("30.00"),
        amount=Decimal("30.00"),
    )
    order_recalculate(order)

    # The advisor sends the link.
    page = page_for(advisor, viewport=(1024, 768))
    page.goto(f"{live_server.url}/orders/{order.pk}/approval/")
    expect(page.locator("#pending-count")).to_have_attribute("data-count", "3")
    shot(page, "approval-01-advisor-before")
    page.click("#send-link")
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("#approval-link")).to_be_visible()
    shot(page, "approval-02-link-sent")
    order.refresh_from_db()
    sms = OutboundMessage.objects.get(kind="approval_link")
    link = f"{live_server.url}/a/{order.approval_token}/"
    assert link in sms.body

    # The owner opens it on the phone, without logging in.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
    owner = phone.new_page()
    owner.goto(link)
    expect(owner.locator("#owner-plate")).to_have_text("京A12345")
    expect(owner.locator("#store-name")).to_have_text("北京朝阳店")
    expect(owner.locator(".owner-photos img").first).to_be_visible()
    assert owner.evaluate("document.querySelector('.owner-photos img').naturalWidth") > 0
    shot(owner, "approval-03-owner-phone", full_page=False)
    shot(owner, "approval-04-owner-phone-full")
    owner.click(f'[data-line="labour-{pads_labour.pk}"] [data-action="approve"]')
    expect(owner.locator(f'[data-line="labour-{pads_labour.pk}"]')).to_have_attribute(
        "data-approval", "approved"
    )
    owner.click(f'[data-line="labour-{wiper.pk}"] [data-action="decline"]')
    expect(owner.locator(f'[data-line="labour-{wiper.pk}"]')).to_have_attribute("data-approval", "declined")
    expect(owner.locator("#approved-total")).to_have_attribute("data-amount", "162.00")
    shot(owner, "approval-05-owner-decided", full_page=False)
    assert OrderLabour.objects.get(pk=wiper.pk).approval == Approval.DECLINED
    phone.close()

    # The advisor sees the decisions; the part is still pending, told on the phone.
    page.reload()
    expect(page.locator(f'tr[data-line="labour-{pads_labour.pk}"]')).to_have_attribute(
        "data-approval", "approved"
    )
    expect(page.locator(f'tr[data-line="labour-{wiper.pk}"]')).to_have_attribute("data-approval", "declined")
    shot(page, "approval-06-advisor-after-link")
    page.fill("#id_phone-decided_by_name", "张伟")
    page.click("#approve-all")
    expect(page.locator(".alert-success")).to_be_visible()
    shot(page, "approval-07-advisor-phone-decision")
    order.refresh_from_db()
    assert order.status == Status.IN_PROGRESS and order.total == Decimal("862.00")

    page.goto(f"{live_server.url}/orders/{order.pk}/addon-sheet/")
    expect(page.locator("#addon-sheet")).to_contain_text(order.number)
    shot(page, "approval-08-addon-sheet")

    # The job runs late: the advisor confirms the delay on the tasks page.
    RepairOrder.objects.filter(pk=order.pk).update(promised_at=timezone.now() - datetime.timedelta(minutes=5))
    page.goto(f"{live_server.url}/workshop/tasks/")
    page.click("#refresh-tasks")
    task = AdvisorTask.objects.get(order=order, kind=AdvisorTask.Kind.LATE)
    card = page.locator(f'[data-task="{task.pk}"]')
    expect(card).to_be_visible()
    new_time = timezone.localtime() + datetime.timedelta(hours=2)
    card.locator("input[type=datetime-local]").fill(new_time.strftime("%Y-%m-%dT%H:%M"))
    card.locator("input[type=text]").fill("等原厂刹车片到货")
    shot(page, "approval-09-advisor-tasks")
    card.locator('[data-action="delay"]').click()
    expect(page.locator(".alert-success")).to_be_visible()
    shot(page, "approval-10-delay-confirmed")
    assert OutboundMessage.objects.filter(kind="delay_notice").count() == 1

    # Checks passed, the car is in washing; washed → ready, the owner told.
    order_transition(actor=None, order=order, to=Status.CHECKING, check_permission=False)
    order_transition(actor=None, order=order, to=Status.WASHING, check_permission=False)
    page.goto(f"{live_server.url}/workshop/washing/")
    expect(page.locator(f'tr[data-order="{order.pk}"]')).to_be_visible()
    shot(page, "approval-11-washing-queue")
    page.click(f'tr[data-order="{order.pk}"] [data-action="washed"]')
    expect(page.locator(".alert-success")).to_be_visible()
    assert RepairOrder.objects.get(pk=order.pk).status == Status.READY

    page.goto(f"{live_server.url}/messages/")
    expect(page.locator("main")).to_contain_text("京A12345")
    ready = OutboundMessage.objects.get(kind="ready_notice")
    expect(page.locator("main")).to_contain_text(ready.body[:20])
    shot(page, "approval-12-outbox-ready-notice")

    # The link no longer works once the car is ready.
    other = browser.new_context(viewport={"width": 390, "height": 844})
    response = other.new_page().goto(link)
    assert response.status == 404
    other.close()
