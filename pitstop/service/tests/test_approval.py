"""Add-on approval (B-2, F-4.3): the owner's link (a new random token each time, 404 once
replaced or once the order is closed), decisions made once, declined work kept, approved
parts reserved, the order back to in progress when nothing is pending, phone decisions with
who / how / when, the advisor's page and the printed add-on sheet, permissions and query
counts."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from pitstop.core.exceptions import ApplicationError
from pitstop.customers.tests.factories import CustomerFactory, VehicleFactory
from pitstop.messaging.models import OutboundMessage
from pitstop.parts.models import Warehouse
from pitstop.parts.services import stock_receive
from pitstop.parts.tests.factories import PartFactory, WarehouseFactory
from pitstop.service import approval as services
from pitstop.service.models import (
    Approval,
    ApprovalVia,
    Finding,
    OrderLabour,
    OrderPart,
    OrderPhoto,
    RepairOrder,
    RepairOrderEvent,
)

from .factories import OrderLabourFactory, OrderPartFactory, RepairOrderFactory

pytestmark = pytest.mark.django_db
Status = RepairOrder.Status


def png(name: str = "leak.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 40, 40)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def make_order(
    store, advisor, *, status=Status.WAITING_APPROVAL, mobile="13812345678", plate="京A12345", **fields
) -> RepairOrder:
    owner = CustomerFactory(store=store, name="张伟", gender="male", mobile=mobile or "13900000000")
    vehicle = VehicleFactory(owner=owner, plate=plate, model_name="帕萨特")
    now = timezone.now()
    return RepairOrderFactory(
        vehicle=vehicle,
        advisor=advisor,
        status=status,
        mobile=mobile,
        contact_name="张伟",
        received_at=now - datetime.timedelta(hours=3),
        promised_at=now + datetime.timedelta(hours=4),
        **fields,
    )


def add_finding(order, technician, *, description="左前刹车片磨损到极限", extra="1.5", photo=True) -> Finding:
    finding = Finding.objects.create(
        order=order, description=description, reported_by=technician, extra_hours=Decimal(extra)
    )
    if photo:
        OrderPhoto.objects.create(order=order, kind=OrderPhoto.Kind.FINDING, finding=finding, image=png())
    return finding


@pytest.fixture
def technician(make_staff, store_a):
    return make_staff("technician", store_a)


@pytest.fixture
def job(store_a, advisor, technician):
    """An order waiting for the owner: a finding with a pending labour line and a pending part
    line, a second finding with one pending labour line, and an estimate line (approved)."""
    order = make_order(store_a, advisor)
    OrderLabourFactory(order=order, name="常规保养", amount=Decimal("200.00"), price=Decimal("200.00"))
    brakes = add_finding(order, technician)
    labour = OrderLabourFactory(
        order=order,
        name="更换前刹车片",
        is_addon=True,
        approval=Approval.PENDING,
        finding=brakes,
        price=Decimal("180.00"),
        discount_pct=Decimal("10"),
        amount=Decimal("162.00"),
    )
    part = OrderPartFactory(
        order=order,
        name="前刹车片",
        is_addon=True,
        approval=Approval.PENDING,
        finding=brakes,
        unit_price=Decimal("420.00"),
        amount=Decimal("420.00"),
    )
    wipers = add_finding(order, technician, description="雨刮片老化", extra="0.2", photo=False)
    wiper = OrderLabourFactory(
        order=order,
        name="更换雨刮片",
        is_addon=True,
        approval=Approval.PENDING,
        finding=wipers,
        price=Decimal("30.00"),
        amount=Decimal("30.00"),
    )
    from pitstop.service.orders import order_recalculate

    order_recalculate(order)
    order.refresh_from_db()
    return {"order": order, "labour": labour, "part": part, "wiper": wiper, "brakes": brakes}


# --- the link ------------------------------------------------------------------------------


def test_sending_the_link_makes_a_random_token_and_queues_the_sms(job, advisor, settings):
    settings.PUBLIC_BASE_URL = "https://dms.example.cn"
    order = job["order"]
    url = services.approval_link_send(actor=advisor, order=order)
    order.refresh_from_db()
    assert len(order.approval_token) >= 40 and str(order.pk) not in order.approval_token[:3]
    assert url == f"https://dms.example.cn/a/{order.approval_token}/"
    sms = OutboundMessage.objects.get(kind="approval_link", reference_id=order.pk)
    assert sms.to == "13812345678" and url in sms.body and "张先生" in sms.body and "京A12345" in sms.body
    assert RepairOrderEvent.objects.filter(order=order, note__contains="138****5678").exists()


def test_a_new_link_replaces_the_old_one(job, advisor, client):
    order = job["order"]
    services.approval_link_send(actor=advisor, order=order)
    order.refresh_from_db()
    old = order.approval_token
    services.approval_link_send(actor=advisor, order=order)
    order.refresh_from_db()
    assert order.approval_token != old
    assert client.get(reverse("service:approval_public", args=[old])).status_code == 404
    assert client.get(reverse("service:approval_public", args=[order.approval_token])).status_code == 200


@pytest.mark.parametrize(
    ("change", "code"),
    [("nothing_pending", "nothing_pending"), ("closed", "closed"), ("no_mobile", "mobile")],
)
def test_the_link_is_refused_when_there_is_nothing_to_ask(job, advisor, change, code):
    order = job["order"]
    if change == "nothing_pending":
        OrderLabour.objects.filter(order=order).update(approval=Approval.APPROVED)
        OrderPart.objects.filter(order=order).update(approval=Approval.APPROVED)
    elif change == "closed":
        RepairOrder.objects.filter(pk=order.pk).update(status=Status.CANCELLED)
    else:
        RepairOrder.objects.filter(pk=order.pk).update(mobile="")
    with pytest.raises(ApplicationError) as refused:
        services.approval_link_send(actor=advisor, order=order)
    assert refused.value.code == code
    order.refresh_from_db()
    assert order.approval_token == "" and not OutboundMessage.objects.exists()


# --- the owner's decisions -------------------------------------------------------------------


def test_the_owner_approves_through_the_link_once(job):
    order, labour = job["order"], job["labour"]
    line = services.approval_decide(
        order=order, kind="labour", line_id=labour.pk, approve=True, via=ApprovalVia.LINK
    )
    line.refresh_from_db()
    assert line.approval == Approval.APPROVED and line.approval_via == ApprovalVia.LINK
    assert line.decided_by_name == "张伟" and line.decided_at is not None and line.recorded_by is None
    order.refresh_from_db()
    assert order.total == Decimal("362.00")  # 200 estimate + 162 approved add-on
    decided_at = line.decided_at
    with pytest.raises(ApplicationError) as again:
        services.approval_decide(
            order=order, kind="labour", line_id=labour.pk, approve=False, via=ApprovalVia.LINK
        )
    assert again.value.code == "already_decided"
    line.refresh_from_db()
    assert line.approval == Approval.APPROVED and line.decided_at == decided_at


def test_declined_work_stays_declined_and_the_order_goes_back_to_work(job):
    order = job["order"]
    services.approval_decide(order=order, kind="labour", line_id=job["labour"].pk, approve=True, via="link")
    services.approval_decide(order=order, kind="part", line_id=job["part"].pk, approve=True, via="link")
    order.refresh_from_db()
    assert order.status == Status.WAITING_APPROVAL  # the wiper is still pending
    services.approval_decide(order=order, kind="labour", line_id=job["wiper"].pk, approve=False, via="link")
    order.refresh_from_db()
    assert order.status == Status.IN_PROGRESS
    assert order.total == Decimal("782.00")  # 200 + 162 + 420; the declined wiper not counted
    wiper = OrderLabour.objects.get(pk=job["wiper"].pk)
    assert wiper.approval == Approval.DECLINED and wiper.is_addon
    event = RepairOrderEvent.objects.filter(order=order, to_status=Status.IN_PROGRESS).last()
    assert event.from_status == Status.WAITING_APPROVAL and event.note


def test_an_order_in_progress_stays_in_progress(job):
    order = job["order"]
    RepairOrder.objects.filter(pk=order.pk).update(status=Status.IN_PROGRESS)
    services.approval_decide_all(order=order, approve=True, via="link")
    order.refresh_from_db()
    assert order.status == Status.IN_PROGRESS
    assert not RepairOrderEvent.objects.filter(
        order=order, to_status=Status.IN_PROGRESS, from_status=Status.WAITING_APPROVAL
    ).exists()


def test_approve_all_decides_only_the_pending_lines(job):
    order = job["order"]
    services.approval_decide(order=order, kind="labour", line_id=job["wiper"].pk, approve=False, via="link")
    count = services.approval_decide_all(order=order, approve=True, via="link")
    assert count == 2
    assert OrderLabour.objects.get(pk=job["wiper"].pk).approval == Approval.DECLINED
    assert OrderPart.objects.get(pk=job["part"].pk).approval == Approval.APPROVED
    with pytest.raises(ApplicationError) as nothing:
        services.approval_decide_all(order=order, approve=True, via="link")
    assert nothing.value.code == "nothing_pending"


def test_an_approved_shop_part_is_reserved_when_in_stock(job, store_a):
    order = job["order"]
    warehouse = WarehouseFactory(store=store_a, kind=Warehouse.Kind.MAIN)
    pads = PartFactory(name="前刹车片")
    stock_receive(actor=None, warehouse=warehouse, lines=[(pads, Decimal("4"), Decimal("200"))])
    OrderPart.objects.filter(pk=job["part"].pk).update(part=pads)
    services.approval_decide(order=order, kind="part", line_id=job["part"].pk, approve=True, via="link")
    line = OrderPart.objects.select_related("reservation").get(pk=job["part"].pk)
    assert line.supply == OrderPart.Supply.RESERVED and line.reservation.quantity == Decimal("1.000")


def test_a_declined_part_is_not_reserved(job, store_a):
    warehouse = WarehouseFactory(store=store_a, kind=Warehouse.Kind.MAIN)
    pads = PartFactory()
    stock_receive(actor=None, warehouse=warehouse, lines=[(pads, Decimal("4"), Decimal("200"))])
    OrderPart.objects.filter(pk=job["part"].pk).update(part=pads)
    services.approval_decide(
        order=job["order"], kind="part", line_id=job["part"].pk, approve=False, via="link"
    )
    line = OrderPart.objects.get(pk=job["part"].pk)
    assert line.reservation_id is None and line.supply == OrderPart.Supply.TO_ORDER


def test_a_phone_decision_records_who_how_and_when(job, advisor):
    when = timezone.now() - datetime.timedelta(minutes=20)
    services.approval_decide(
        order=job["order"],
        kind="labour",
        line_id=job["labour"].pk,
        approve=True,
        via=ApprovalVia.PHONE,
        decided_by_name="张伟的爱人",
        actor=advisor,
        decided_at=when,
    )
    line = OrderLabour.objects.get(pk=job["labour"].pk)
    assert (line.approval_via, line.decided_by_name, line.decided_at, line.recorded_by) == (
        ApprovalVia.PHONE,
        "张伟的爱人",
        when,
        advisor,
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"decided_by_name": " "}, "decided_by_name"),
        ({"decided_at": timezone.now() + datetime.timedelta(hours=2)}, "decided_at"),
        ({"via": "signature"}, "via"),
        ({"kind": "tyre"}, "kind"),
        ({"line_id": 999999}, "line"),
    ],
)
def test_bad_phone_decisions_are_refused_and_change_nothing(job, advisor, changes, field):
    arguments = {
        "order": job["order"],
        "kind": "labour",
        "line_id": job["labour"].pk,
        "approve": True,
        "via": ApprovalVia.PHONE,
        "decided_by_name": "张伟",
        "actor": advisor,
        **changes,
    }
    with pytest.raises(ApplicationError) as refused:
        services.approval_decide(**arguments)
    assert refused.value.field == field
    assert OrderLabour.objects.get(pk=job["labour"].pk).approval == Approval.PENDING


def test_a_line_of_another_order_cannot_be_decided(job, store_a, advisor):
    other = make_order(store_a, advisor, mobile="13700001111", plate="京B54321")
    with pytest.raises(ApplicationError) as refused:
        services.approval_decide(
            order=other, kind="labour", line_id=job["labour"].pk, approve=True, via="link"
        )
    assert refused.value.code == "not_found"


def test_no_decision_once_the_order_is_closed(job):
    RepairOrder.objects.filter(pk=job["order"].pk).update(status=Status.READY)
    with pytest.raises(ApplicationError) as refused:
        services.approval_decide(
            order=job["order"], kind="labour", line_id=job["labour"].pk, approve=True, via="link"
        )
    assert refused.value.code == "closed"


# --- the owner's page ------------------------------------------------------------------------


@pytest.fixture
def link(job, advisor):
    services.approval_link_send(actor=advisor, order=job["order"])
    job["order"].refresh_from_db()
    return job["order"].approval_token


def test_the_owner_page_needs_no_login_and_shows_the_items(job, link, client, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = client.get(reverse("service:approval_public", args=[link]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "京A12345" in html and "北京朝阳店" in html and "¥162.00" in html and "¥420.00" in html
    assert f'data-line="labour-{job["labour"].pk}" data-approval="pending"' in html
    photo = job["brakes"].photos.get()
    assert reverse("service:approval_photo", args=[link, photo.pk]) in html
    assert reverse("service:order_photo", args=[photo.pk]) not in html  # staff-only URL not used
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("token", ["nonsense", "x" * 43])
def test_an_unknown_token_is_404(job, link, client, token):
    assert client.get(reverse("service:approval_public", args=[token])).status_code == 404
    response = client.post(reverse("service:approval_public_decide", args=[token]), {"decide": "all:approve"})
    assert response.status_code == 404
    assert OrderLabour.objects.get(pk=job["labour"].pk).approval == Approval.PENDING


def test_the_link_stops_working_when_the_order_is_no_longer_open(job, link, client):
    RepairOrder.objects.filter(pk=job["order"].pk).update(status=Status.READY)
    assert client.get(reverse("service:approval_public", args=[link])).status_code == 404


def test_the_owner_approves_one_and_declines_another_on_the_page(job, link, client):
    url = reverse("service:approval_public_decide", args=[link])
    response = client.post(url, {"decide": f"labour:{job['labour'].pk}:approve"})
    assert response.status_code == 302
    client.post(url, {"decide": f"labour:{job['wiper'].pk}:decline"})
    page = client.get(reverse("service:approval_public", args=[link])).content.decode()
    assert f'data-line="labour-{job["labour"].pk}" data-approval="approved"' in page
    assert f'data-line="labour-{job["wiper"].pk}" data-approval="declined"' in page
    assert 'data-amount="162.00"' in page
    # A second click on a decided line changes nothing and the page says so.
    response = client.post(url, {"decide": f"labour:{job['labour'].pk}:decline"}, follow=True)
    assert OrderLabour.objects.get(pk=job["labour"].pk).approval == Approval.APPROVED
    assert len(list(response.context["messages"])) == 1


def test_the_owner_can_approve_all(job, link, client):
    client.post(reverse("service:approval_public_decide", args=[link]), {"decide": "all:approve"})
    order = RepairOrder.objects.get(pk=job["order"].pk)
    assert order.status == Status.IN_PROGRESS and order.total == Decimal("812.00")


def test_a_bad_decision_value_changes_nothing(job, link, client):
    for value in ["", "labour:abc:approve", "labour:1:maybe", "all:perhaps"]:
        client.post(reverse("service:approval_public_decide", args=[link]), {"decide": value})
    assert (
        not OrderLabour.objects.filter(order=job["order"])
        .exclude(approval=Approval.APPROVED)
        .exclude(approval=Approval.PENDING)
        .exists()
    )
    assert OrderLabour.objects.filter(order=job["order"], approval=Approval.PENDING).count() == 2


def test_the_public_form_needs_the_csrf_token(job, link):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("service:approval_public_decide", args=[link]), {"decide": "all:approve"})
    assert response.status_code == 403
    assert OrderLabour.objects.filter(order=job["order"], approval=Approval.PENDING).count() == 2


def test_decisions_are_rate_limited_per_token(job, link, client, monkeypatch):
    from django.core.cache import cache

    from pitstop.service.views import approval as views

    cache.clear()
    monkeypatch.setattr(views, "DECISIONS_PER_WINDOW", 2)
    url = reverse("service:approval_public_decide", args=[link])
    client.post(url, {"decide": "labour:999999:approve"})
    client.post(url, {"decide": "labour:999999:approve"})
    client.post(url, {"decide": f"labour:{job['labour'].pk}:approve"})
    assert OrderLabour.objects.get(pk=job["labour"].pk).approval == Approval.PENDING
    cache.clear()


def test_photos_are_served_only_through_their_own_link(job, link, client, store_a, advisor, technician):
    photo = job["brakes"].photos.get()
    response = client.get(reverse("service:approval_photo", args=[link, photo.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    other = make_order(store_a, advisor, mobile="13700001111", plate="京B54321")
    other_photo = add_finding(other, technician).photos.get()
    walkaround = OrderPhoto.objects.create(
        order=job["order"], kind=OrderPhoto.Kind.WALKAROUND, image=png("car.png")
    )
    assert client.get(reverse("service:approval_photo", args=[link, other_photo.pk])).status_code == 404
    assert client.get(reverse("service:approval_photo", args=[link, walkaround.pk])).status_code == 404
    assert client.get(reverse("service:approval_photo", args=["y" * 43, photo.pk])).status_code == 404


# --- the advisor's side ------------------------------------------------------------------------


def test_the_advisor_page_lists_add_ons_by_finding(job, advisor, login, django_assert_max_num_queries):
    client = login(advisor)
    with django_assert_max_num_queries(25):
        response = client.get(reverse("service:order_approval", args=[job["order"].pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-finding="{job["brakes"].pk}"' in html and "左前刹车片磨损到极限" in html
    assert "¥162.00" in html and 'data-count="3"' in html
    assert reverse("service:order_photo", args=[job["brakes"].photos.get().pk]) in html


def test_the_advisor_page_keeps_its_query_count_with_many_findings(
    job, advisor, technician, login, django_assert_max_num_queries
):
    for n in range(12):
        finding = add_finding(job["order"], technician, description=f"发现{n}")
        OrderLabourFactory(order=job["order"], is_addon=True, approval=Approval.PENDING, finding=finding)
        OrderPartFactory(order=job["order"], is_addon=True, approval=Approval.PENDING, finding=finding)
    client = login(advisor)
    with django_assert_max_num_queries(25):
        assert client.get(reverse("service:order_approval", args=[job["order"].pk])).status_code == 200
    with django_assert_max_num_queries(25):
        assert client.get(reverse("service:addon_print", args=[job["order"].pk])).status_code == 200


def test_the_advisor_sends_the_link_from_the_page(job, advisor, login):
    client = login(advisor)
    response = client.post(reverse("service:order_approval_send", args=[job["order"].pk]))
    assert response.status_code == 302
    assert OutboundMessage.objects.filter(kind="approval_link").count() == 1
    page = client.get(reverse("service:order_approval", args=[job["order"].pk])).content.decode()
    assert 'id="approval-link"' in page


def test_the_advisor_records_a_phone_decision_on_the_page(job, advisor, login):
    client = login(advisor)
    data = {
        "phone-decided_by_name": "张伟",
        "phone-via": "phone",
        "phone-decided_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "decide": f"part:{job['part'].pk}:decline",
    }
    response = client.post(reverse("service:order_approval_record", args=[job["order"].pk]), data)
    assert response.status_code == 302
    line = OrderPart.objects.get(pk=job["part"].pk)
    assert (
        line.approval == Approval.DECLINED
        and line.approval_via == ApprovalVia.PHONE
        and line.recorded_by == advisor
    )
    data["decide"] = "all:approve"
    client.post(reverse("service:order_approval_record", args=[job["order"].pk]), data)
    assert RepairOrder.objects.get(pk=job["order"].pk).status == Status.IN_PROGRESS


def test_a_bad_phone_decision_on_the_page_shows_the_error(job, advisor, login):
    client = login(advisor)
    data = {
        "phone-decided_by_name": "",
        "phone-via": "phone",
        "phone-decided_at": "",
        "decide": "all:approve",
    }
    response = client.post(reverse("service:order_approval_record", args=[job["order"].pk]), data)
    assert response.status_code == 400
    assert OrderLabour.objects.filter(order=job["order"], approval=Approval.PENDING).count() == 2


def test_the_add_on_sheet_prints(job, advisor, login):
    response = login(advisor).get(reverse("service:addon_print", args=[job["order"].pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert job["order"].number in html and "北京朝阳店" in html and "¥612.00" in html  # 162 + 420 + 30


def test_a_role_without_the_permission_is_refused(job, technician, login):
    client = login(technician)
    assert client.get(reverse("service:order_approval", args=[job["order"].pk])).status_code == 403
    assert client.post(reverse("service:order_approval_send", args=[job["order"].pk])).status_code == 403
    assert not OutboundMessage.objects.exists()


def test_another_store_gets_404(job, advisor_b, login):
    client = login(advisor_b)
    for name in ("service:order_approval", "service:addon_print"):
        assert client.get(reverse(name, args=[job["order"].pk])).status_code == 404
    assert client.post(reverse("service:order_approval_send", args=[job["order"].pk])).status_code == 404
    response = client.post(
        reverse("service:order_approval_record", args=[job["order"].pk]),
        {"phone-decided_by_name": "x", "phone-via": "phone", "decide": "all:approve"},
    )
    assert response.status_code == 404
    assert not OutboundMessage.objects.exists()
    assert OrderLabour.objects.filter(order=job["order"], approval=Approval.PENDING).count() == 2


def test_writes_are_post_only(job, advisor, login):
    client = login(advisor)
    assert client.get(reverse("service:order_approval_send", args=[job["order"].pk])).status_code == 405
    assert client.get(reverse("service:approval_public_decide", args=["x" * 43])).status_code == 405
