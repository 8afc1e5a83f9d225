"""Delivery (交车): a car leaves only when it is ready, settled (or on a company's account) and,
for the categories that need one, certified; everything held at reception goes back; the
order becomes delivered with its event row and the exit pass number."""

from decimal import Decimal

import pytest
from django.urls import reverse

from pitstop.billing.delivery import delivery_blockers, order_deliver
from pitstop.billing.models import Delivery, Payment
from pitstop.billing.payments import payment_record
from pitstop.billing.settlement import settlement_reverse
from pitstop.core.exceptions import ApplicationError
from pitstop.service.models import RepairOrder, RepairOrderEvent

from .factories import credit_account, ready_order, settle, settled_order

Status = RepairOrder.Status
HANDBACK = {
    "keys_returned": True,
    "items_returned": ["spare_wheel", "jack"],
    "documents_returned": ["driving_licence"],
}


@pytest.fixture
def cashier(make_staff, store_a):
    return make_staff("cashier", store_a)


@pytest.fixture
def settled(store_a, advisor, cashier):
    return settled_order(store=store_a, advisor=advisor, cashier=cashier)


def test_a_settled_car_is_handed_back_and_the_order_becomes_delivered(settled, advisor):
    order, settlement = settled
    assert settlement.outstanding == Decimal("0") and delivery_blockers(order) == []
    delivery = order_deliver(actor=advisor, order=order, received_by="王先生", **HANDBACK)
    order.refresh_from_db()
    assert order.status == Status.DELIVERED and order.delivered_at is not None
    event = RepairOrderEvent.objects.filter(order=order).latest("id")
    assert (event.from_status, event.to_status, event.actor) == (Status.READY, Status.DELIVERED, advisor)
    assert event.note == delivery.exit_pass_no and delivery.exit_pass_no.startswith("CMBJ01")
    assert delivery.settlement == settlement and not delivery.on_credit
    assert delivery.items_returned == ["spare_wheel", "jack"]
    assert delivery.documents_returned == ["driving_licence"]
    assert delivery.old_parts == Delivery.OldParts.HANDED  # the work order said the owner takes them
    assert delivery.received_by == "王先生" and delivery.delivered_by == advisor


def test_the_cashier_hands_over_too_and_a_second_handover_is_refused(settled, cashier):
    order, _settlement = settled
    order_deliver(actor=cashier, order=order, **HANDBACK)
    with pytest.raises(ApplicationError) as refused:
        order_deliver(actor=cashier, order=order, **HANDBACK)
    assert refused.value.code == "blocked"
    assert Delivery.objects.filter(order=order).count() == 1


def test_a_role_that_cannot_hand_over_is_refused(settled, make_staff, store_a):
    order, _settlement = settled
    with pytest.raises(ApplicationError) as refused:
        order_deliver(actor=make_staff("technician", store_a), order=order, **HANDBACK)
    assert refused.value.code == "permission"
    order.refresh_from_db()
    assert order.status == Status.READY


def _blocked(order, actor):
    blockers = delivery_blockers(order)
    with pytest.raises(ApplicationError) as refused:
        order_deliver(actor=actor, order=order, **HANDBACK)
    assert refused.value.code == "blocked" and refused.value.extra["blockers"] == blockers
    order.refresh_from_db()
    assert not Delivery.objects.filter(order=order).exists() and order.status != Status.DELIVERED
    return blockers


def test_a_car_not_ready_may_not_leave(store_a, advisor):
    order = ready_order(store=store_a, advisor=advisor, status=Status.CHECKING)
    assert len(_blocked(order, advisor)) == 2  # not ready, and not settled either


def test_a_car_not_settled_may_not_leave(store_a, advisor):
    order = ready_order(store=store_a, advisor=advisor)
    assert len(_blocked(order, advisor)) == 1


def test_a_car_with_money_outstanding_may_not_leave_until_it_is_paid(store_a, advisor, cashier):
    order, settlement = settled_order(store=store_a, advisor=advisor, cashier=cashier, pay="500.00")
    (blocker,) = _blocked(order, advisor)
    assert str(settlement.outstanding) in blocker and settlement.number in blocker
    payment_record(
        actor=cashier, settlement=settlement, method=Payment.Method.CASH, amount=settlement.outstanding
    )
    assert delivery_blockers(order) == []
    assert order_deliver(actor=advisor, order=order, **HANDBACK).settlement == settlement


def test_a_reversed_bill_does_not_count(settled, advisor, manager):
    order, settlement = settled
    settlement_reverse(actor=manager, settlement=settlement, reason="发票抬头错误")
    assert len(_blocked(order, advisor)) == 1


def test_a_certified_category_needs_its_completion_certificate(store_a, advisor, cashier):
    order, _settlement = settled_order(
        store=store_a, advisor=advisor, cashier=cashier, repair_category="level_2", certificate=False
    )
    (blocker,) = _blocked(order, advisor)
    order.certificate_no = "HGBJ01000001"  # the passed final issues it (workshop.checks)
    order.save(update_fields=["certificate_no"])
    assert delivery_blockers(order) == []
    assert order_deliver(actor=advisor, order=order, **HANDBACK).order == order


def test_a_car_on_a_company_account_may_leave_on_credit(store_a, advisor, cashier):
    order = ready_order(store=store_a, advisor=advisor)
    credit_account(store=store_a, customer=order.customer)
    settlement = settle(order, advisor=advisor, cashier=cashier, pay="all", method=Payment.Method.CREDIT)
    assert settlement.outstanding == Decimal("0")
    delivery = order_deliver(actor=advisor, order=order, **HANDBACK)
    assert delivery.on_credit and delivery.settlement == settlement


def test_the_stores_own_car_leaves_without_a_bill_to_the_owner(store_a, advisor):
    order = ready_order(store=store_a, advisor=advisor, business_type="internal", parts=())
    assert delivery_blockers(order) == []
    delivery = order_deliver(actor=advisor, order=order, **HANDBACK)
    assert delivery.settlement is None and delivery.old_parts == Delivery.OldParts.NONE


@pytest.mark.parametrize(
    "changes,field,missing",
    [
        ({"items_returned": ["spare_wheel"]}, "items_returned", 1),
        ({"items_returned": []}, "items_returned", 2),
        ({"documents_returned": []}, "documents_returned", 1),
        ({"keys_returned": False}, "keys_returned", 0),
    ],
)
def test_everything_held_at_reception_must_be_handed_back(settled, advisor, changes, field, missing):
    order, _settlement = settled
    with pytest.raises(ApplicationError) as refused:
        order_deliver(actor=advisor, order=order, **{**HANDBACK, **changes})
    assert refused.value.field == field and refused.value.code == "not_returned"
    assert len(refused.value.extra.get("missing", [])) == missing
    order.refresh_from_db()
    assert order.status == Status.READY and not Delivery.objects.exists()


def test_valuables_written_down_at_reception_are_handed_back_too(store_a, advisor, cashier):
    order, _settlement = settled_order(
        store=store_a, advisor=advisor, cashier=cashier, valuables="行车记录仪存储卡"
    )
    with pytest.raises(ApplicationError) as refused:
        order_deliver(actor=advisor, order=order, **HANDBACK)
    assert "行车记录仪存储卡" in refused.value.extra["missing"][0]
    items = [*HANDBACK["items_returned"], "valuables"]
    delivery = order_deliver(actor=advisor, order=order, **{**HANDBACK, "items_returned": items})
    assert delivery.items_returned == items


def test_old_parts_go_as_the_work_order_said(store_a, advisor, cashier):
    left, _ = settled_order(store=store_a, advisor=advisor, cashier=cashier, old_parts="leave")
    assert order_deliver(actor=advisor, order=left, **HANDBACK).old_parts == Delivery.OldParts.KEPT
    claim, _ = settled_order(store=store_a, advisor=advisor, cashier=cashier, old_parts="claim")
    with pytest.raises(ApplicationError) as refused:
        order_deliver(actor=advisor, order=claim, old_parts="handed", **HANDBACK)
    assert refused.value.field == "old_parts"
    assert order_deliver(actor=advisor, order=claim, **HANDBACK).old_parts == Delivery.OldParts.KEPT


# --- the page --------------------------------------------------------------------------------


def test_the_page_shows_the_blockers_and_the_checklist(login, store_a, advisor):
    order = ready_order(store=store_a, advisor=advisor, repair_category="level_2", certificate=False)
    page = login(advisor).get(reverse("billing:delivery", args=[order.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert body.count("data-blocker") == 2  # not settled, no certificate
    assert 'value="spare_wheel"' in body and 'value="jack"' in body and 'value="driving_licence"' in body
    assert reverse("workshop:order_checks", args=[order.pk]) in body
    assert 'id="deliver"' in body and "disabled" in body
    partial = login(advisor).get(
        reverse("billing:delivery", args=[order.pk]),
        headers={"HX-Request": "true", "HX-Target": "delivery-form"},
    )
    assert partial.content.decode().lstrip().startswith('<div id="delivery-form">')
    assert partial.content.decode().count("data-blocker") == 2


def test_the_page_hands_the_car_over_and_then_links_the_prints(login, settled, advisor):
    order, settlement = settled
    client = login(advisor)
    url = reverse("billing:delivery", args=[order.pk])
    refused = client.post(url, {"keys_returned": "on", "items_returned": ["jack"], "old_parts": "handed"})
    assert refused.status_code == 400 and not Delivery.objects.exists()
    response = client.post(
        url,
        {
            "keys_returned": "on",
            "items_returned": ["spare_wheel", "jack"],
            "documents_returned": ["driving_licence"],
            "old_parts": "handed",
            "received_by": "王先生",
        },
    )
    assert response.status_code == 302
    delivery = Delivery.objects.get(order=order)
    body = client.get(url).content.decode()
    assert delivery.exit_pass_no in body
    assert reverse("billing:print_exit_pass", args=[order.pk]) in body
    assert reverse("billing:print_statement", args=[settlement.pk]) in body
    assert reverse("billing:print_guarantee", args=[order.pk]) in body


def test_the_page_is_another_stores_404_and_a_technicians_403(
    client, settled, advisor_b, make_staff, store_a
):
    order, _settlement = settled
    url = reverse("billing:delivery", args=[order.pk])
    client.force_login(advisor_b)
    assert client.get(url).status_code == 404
    assert client.post(url, {"keys_returned": "on"}).status_code == 404
    client.force_login(make_staff("technician", store_a))
    assert client.get(url).status_code == 403
    assert client.post(url, {"keys_returned": "on"}).status_code == 403
